/**
 * pxp search with its trials in PostgreSQL (issue 19), against a throw-away cluster (test/helpers/postgres.ts):
 * worker processes sharing one study, a worker killed mid-trial, the database restarted mid-study, connections
 * that fail, concurrent creation, and the run folder exported from the database.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readSearchSnapshot } from '../../src/views/search-view';
import { CLI, type PxpRun } from '../helpers/pxp';
import { type Cluster, postgresAvailable, startCluster } from '../helpers/postgres';
import { REPO, listFiles, tempDir } from '../helpers/tmp';
import { assertPicked } from '../helpers/search-result';

const DEMO = path.join(REPO, 'examples', 'fashion-mnist');
const MODEL = path.join(DEMO, 'model', 'model.json');
const data = [
  '--reference',
  path.join(DEMO, 'reference'),
  '--eval',
  path.join(DEMO, 'test'),
  '--eval-limit',
  '300',
  '--rates',
  '0,0.1,0.2,0.3,0.4',
  '--baselines',
  'none',
];
/** Five starting points, a random trial, then TPE with the constant liar in batches of 3. */
const settings = ['--trials', '12', '--batch', '3', '--seed', '3', '--startup-trials', '6'];

interface Started {
  child: ChildProcess;
  done: Promise<PxpRun>;
}

function start(args: string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<PxpRun>((resolve) =>
    child.on('close', (code, signal) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr, json });
    }),
  );
  return { child, done };
}

const run = (args: string[], env: NodeJS.ProcessEnv) => start(args, env).done;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const trialsOf = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
type Pair = [number, unknown, number];
const pairs = (trials: { number: number; params: unknown; auc: number }[]): Pair[] =>
  trials.map((t) => [t.number, t.params, t.auc]);

describe('pxp search --storage postgresql:// (one study, many workers)', function () {
  this.timeout(900_000);
  let cluster: Cluster;
  let tmp: ReturnType<typeof tempDir>;
  /** The one-process run with the same batch size, kept in a run folder. */
  let reference: Pair[];

  before(async function () {
    if (!postgresAvailable()) {
      if (process.env.PXP_REQUIRE_POSTGRES) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
      console.warn('    PostgreSQL is not installed: skipping (scripts/test.sh installs it)');
      this.skip();
    }
    cluster = await startCluster({ ssl: true });
    tmp = tempDir();
    const out = path.join(tmp.dir, 'reference');
    const r = await run(['search', '--model', MODEL, ...data, ...settings, '--out', out], process.env);
    assert.equal(r.code, 0, r.stderr);
    reference = pairs(trialsOf(path.join(out, 'trials.jsonl')));
    assert.equal(reference.length, 12);
  });

  after(() => {
    cluster?.stop();
    tmp?.cleanup();
  });

  const search = (study: string, ...more: string[]) => [
    'search',
    '--model',
    MODEL,
    ...data,
    '--storage',
    cluster.url(),
    '--study',
    study,
    ...more,
  ];
  const rows = async (study: string) =>
    (
      await cluster.query(
        `SELECT t.number, t.state, t.worker, t.claims, t.auc FROM pxp_trials t JOIN pxp_studies s ON s.id = t.study_id WHERE s.name = $1 ORDER BY t.number`,
        [study],
      )
    ).rows;
  const studyCount = async (study: string) => {
    const exists = (await cluster.query(`SELECT to_regclass('pxp_studies') IS NOT NULL AS ok`)).rows[0].ok;
    return exists
      ? Number((await cluster.query('SELECT count(*) FROM pxp_studies WHERE name = $1', [study])).rows[0].count)
      : 0;
  };
  /** Waits until the study exists and `n` of its trials have finished. */
  const waitForDone = async (study: string, n: number, timeoutMs = 300_000) => {
    const t0 = Date.now();
    const enough = (r: { state: string }[]) => r.length > 0 && r.filter((t) => t.state === 'done').length >= n;
    while (!enough(await rows(study).catch(() => []))) {
      if (Date.now() - t0 > timeoutMs)
        throw new Error(`study ${study}: fewer than ${n} trials after ${timeoutMs / 1000} s`);
      await sleep(100);
    }
  };

  it('3 worker processes finish a 12-trial study with the trials and AUCs of one process with the same batch size; --export writes the run folder', async () => {
    const followed = path.join(tmp.dir, 'worker-out');
    const workers = [0, 1, 2].map((i) =>
      start([...search('three', ...settings), ...(i === 0 ? ['--out', followed] : []), '--json'], cluster.env),
    );
    // What the Search panel reads from the --out folder while the study runs.
    const live = new Set<number>();
    let running = true;
    const following = (async () => {
      while (running) {
        const { view } = (() => {
          try {
            return readSearchSnapshot(followed);
          } catch {
            return { view: { status: 'missing', trials: [] as { number: number }[] } };
          }
        })();
        if (view.status === 'running') view.trials.forEach((t) => live.add(t.number));
        await sleep(200);
      }
    })();
    const results = await Promise.all(workers.map((w) => w.done));
    running = false;
    await following;
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.ok(
      [...live].some((n) => !results[0].json.ranHere.includes(n)),
      `the folder showed other workers' trials while the study ran: ${[...live]} vs ${results[0].json.ranHere}`,
    );
    assert.equal(
      results.filter((r) => r.json.created).length,
      1,
      'one of the three created the study, the others joined it',
    );
    const ran = results.flatMap((r) => r.json.ranHere as number[]).sort((a, b) => a - b);
    assert.deepEqual(ran, [...Array(12).keys()], 'every trial ran once, in one of the processes');
    for (const r of results)
      assert.ok(
        r.json.ranHere.length >= 1,
        `a worker ran no trial: ${JSON.stringify(results.map((x) => x.json.ranHere))}`,
      );
    const stored = await rows('three');
    assert.deepEqual(
      stored.map((r) => [r.state, r.claims]),
      Array(12).fill(['done', 1]),
    );
    // The worker given --out kept a copy of the whole study there and wrote the run folder at the end.
    assert.deepEqual(pairs(trialsOf(path.join(followed, 'trials.jsonl'))), reference);
    assert.equal(JSON.parse(fs.readFileSync(path.join(followed, 'run.json'), 'utf8')).status, 'done');

    const out = path.join(tmp.dir, 'export-three');
    const e = await run([...search('three'), '--export', out, '--json'], cluster.env);
    assert.equal(e.code, 0, e.stderr);
    assert.deepEqual(pairs(trialsOf(path.join(out, 'trials.jsonl'))), reference);
    for (const f of ['run.json', 'best-composite.json', 'comparison.json', 'curve.json', 'report.html', 'search.html'])
      assert.ok(fs.existsSync(path.join(out, f)), f);
    const runJson = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    assert.equal(runJson.study, 'three');
    assert.equal(runJson.storage, cluster.url());
    assertPicked(
      runJson,
      [...reference].sort((a, b) => a[0] - b[0]).map((t) => ({ auc: t[2] })),
      runJson.startingPoints.length,
    );
    // The password is in no file, no log, no output.
    for (const f of listFiles(out))
      assert.ok(!fs.readFileSync(path.join(out, f), 'utf8').includes(cluster.password), f);
    for (const r of [...results, e]) assert.ok(!(r.stdout + r.stderr).includes(cluster.password));
  });

  it('a worker killed with SIGKILL mid-trial loses its trial to another after --heartbeat-timeout: 12 distinct trials, the same as one process', async () => {
    const first = start([...search('killed', ...settings, '--heartbeat-timeout', '10'), '--json'], cluster.env);
    await waitForDone('killed', 0);
    const other = start([...search('killed', '--join'), '--json'], cluster.env);
    const victim = start([...search('killed', '--join')], cluster.env);
    const tag = `:${victim.child.pid}:`;
    let held: { number: number } | undefined;
    const t0 = Date.now();
    while (!held) {
      if (Date.now() - t0 > 300_000) throw new Error('the victim never claimed a trial');
      held = (await rows('killed')).find((r) => r.state === 'running' && String(r.worker).includes(tag));
      if (!held) await sleep(20);
    }
    victim.child.kill('SIGKILL');
    await victim.done;
    const right = (await rows('killed'))[held.number];
    assert.ok(
      right.state === 'running' && String(right.worker).includes(tag),
      `trial ${held.number} was still running in the killed worker (${right.state})`,
    );
    const results = await Promise.all([first.done, other.done]);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const stored = await rows('killed');
    assert.deepEqual(
      stored.map((r) => r.number),
      [...Array(12).keys()],
    );
    assert.ok(stored.every((r) => r.state === 'done'));
    assert.ok(!String(stored[held.number].worker).includes(tag), 'another worker finished the killed trial');
    // 2, or more where a loaded machine delayed a survivor's heartbeat past the timeout too (its late result is dropped).
    assert.ok(stored[held.number].claims >= 2);
    assert.ok(results.some((r) => /was given up by its worker \(no heartbeat\)/.test(r.stderr)));
    const ran = results.flatMap((r) => r.json.ranHere as number[]).sort((a, b) => a - b);
    assert.deepEqual(ran, [...Array(12).keys()], 'the two survivors recorded every trial once');
    const out = path.join(tmp.dir, 'export-killed');
    assert.equal((await run([...search('killed'), '--export', out], cluster.env)).code, 0);
    assert.deepEqual(pairs(trialsOf(path.join(out, 'trials.jsonl'))), reference);
  });

  it('the database restarted mid-study: the workers retry with backoff and finish the same 12 trials', async () => {
    // Heartbeats every 3 s (a quarter of the timeout) and 4 s down: a worker running a trial meets the restart for sure,
    // and its trial's heartbeat is never 12 s old, so no trial changes hands.
    const workers = [0, 1].map(() =>
      start([...search('restart', ...settings, '--heartbeat-timeout', '12'), '--json'], cluster.env),
    );
    await waitForDone('restart', 3);
    await cluster.restart(4000);
    const results = await Promise.all(workers.map((w) => w.done));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.ok(
      results.some((r) => /database unreachable while .*: trying again in/.test(r.stderr)),
      'a worker met the restart',
    );
    const stored = await rows('restart');
    assert.deepEqual(
      stored.map((r) => [r.state, r.claims]),
      Array(12).fill(['done', 1]),
    );
    const ran = results.flatMap((r) => r.json.ranHere as number[]).sort((a, b) => a - b);
    assert.deepEqual(ran, [...Array(12).keys()], 'no trial recorded twice');
    const out = path.join(tmp.dir, 'export-restart');
    assert.equal((await run([...search('restart'), '--export', out], cluster.env)).code, 0);
    assert.deepEqual(pairs(trialsOf(path.join(out, 'trials.jsonl'))), reference);
  });

  it('a bad URL, a refused connection, a wrong password and a password in the URL each exit 2 with one clear message and no study', async () => {
    const free = `postgresql://pxp@127.0.0.1:${cluster.port + 1}/pxp_test`;
    const cases: [string, string[], NodeJS.ProcessEnv, RegExp][] = [
      [
        'bad URL',
        ['--storage', `postgresql://pxp@127.0.0.1:${cluster.port}`],
        cluster.env,
        /no database name after the host/,
      ],
      ['refused', ['--storage', free], cluster.env, /cannot connect to .*: connection refused/],
      [
        'wrong password',
        ['--storage', cluster.url()],
        { ...cluster.env, PGPASSWORD: 'not-the-password' },
        /password authentication failed for user pxp/,
      ],
      [
        'password in the URL',
        ['--storage', `postgresql://pxp:${cluster.password}@127.0.0.1:${cluster.port}/pxp_test`],
        cluster.env,
        /the URL holds a password/,
      ],
    ];
    for (const [what, storage, env, message] of cases) {
      const r = await run(
        ['search', '--model', MODEL, ...data, ...settings, ...storage, '--study', `bad-${what.replace(/ /g, '-')}`],
        env,
      );
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.filter((l) => /error:/.test(l)).length, 1, `${what}: one error line\n${r.stderr}`);
      assert.match(lines[0], message, what);
      assert.ok(
        !r.stderr.includes(cluster.password) && !r.stdout.includes(cluster.password),
        `${what}: the password is not shown`,
      );
      assert.equal(await studyCount(`bad-${what.replace(/ /g, '-')}`), 0, `${what}: no study`);
    }
  });

  it('the password comes from ~/.pgpass (ignored unless mode 0600); sslmode is honoured (verify-full needs the server’s CA)', async () => {
    const home = path.join(tmp.dir, 'home');
    fs.mkdirSync(home, { recursive: true });
    const noPassword = { ...cluster.env, PGPASSWORD: undefined, HOME: home, PGPASSFILE: undefined };
    const pgpass = path.join(home, '.pgpass');
    fs.writeFileSync(
      pgpass,
      `# test\nother:1:*:*:nope\n127.0.0.1:${cluster.port}:*:${cluster.user}:${cluster.password}\n`,
      { mode: 0o644 },
    );
    fs.chmodSync(pgpass, 0o644);
    const loose = await run(['studies', '--storage', cluster.url()], noPassword);
    assert.equal(loose.code, 2, loose.stderr);
    assert.match(loose.stderr, /readable by group or others/);
    fs.chmodSync(pgpass, 0o600);
    const ok = await run(['studies', '--storage', cluster.url(), '--json'], noPassword);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(Array.isArray(ok.json.studies));

    const tls = (mode: string, extra = '') => cluster.url({ sslmode: mode }) + extra;
    assert.equal((await run(['studies', '--storage', tls('require')], cluster.env)).code, 0);
    assert.equal(
      (await run(['studies', '--storage', tls('verify-full', `&sslrootcert=${cluster.caFile}`)], cluster.env)).code,
      0,
    );
    const unverified = await run(['studies', '--storage', tls('verify-full')], { ...cluster.env, HOME: home });
    assert.equal(unverified.code, 2);
    assert.match(unverified.stderr, /certificate fails sslmode=verify-full/);
    const unknown = await run(['studies', '--storage', tls('sometimes')], cluster.env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /sslmode=sometimes is not an ssl mode/);
  });

  it('two processes creating the same study at once leave one study; other settings, other data or a missing study are refused naming the difference', async () => {
    const quick = ['--trials', '4', '--batch', '2', '--seed', '5'];
    const both = await Promise.all([0, 1].map(() => run([...search('twin', ...quick), '--json'], cluster.env)));
    for (const r of both) assert.equal(r.code, 0, r.stderr);
    assert.equal(await studyCount('twin'), 1);
    assert.deepEqual(both.map((r) => r.json.created).sort(), [false, true]);
    assert.deepEqual(both.flatMap((r) => r.json.ranHere).sort(), [0, 1, 2, 3]);

    const seed = await run(search('twin', '--trials', '4', '--batch', '2', '--seed', '6'), cluster.env);
    assert.equal(seed.code, 2);
    assert.match(
      seed.stderr,
      /study twin already exists .* with other settings: --seed: the study has 5, this command 6/,
    );
    const dataDir = path.join(tmp.dir, 'other-eval');
    fs.mkdirSync(dataDir);
    for (const f of ['x.npy', 'y.npy']) fs.copyFileSync(path.join(DEMO, 'test', f), path.join(dataDir, f));
    const otherData = await run(
      [
        'search',
        '--model',
        MODEL,
        ...data.map((a) => (a === path.join(DEMO, 'test') ? dataDir : a)),
        '--storage',
        cluster.url(),
        '--study',
        'twin',
        '--join',
      ],
      cluster.env,
    );
    assert.equal(otherData.code, 0, `the same samples at another path join: ${otherData.stderr}`);
    const fewer = await run(
      [
        'search',
        '--model',
        MODEL,
        ...data.map((a) => (a === '300' ? '200' : a)),
        '--storage',
        cluster.url(),
        '--study',
        'twin',
        '--join',
      ],
      cluster.env,
    );
    assert.equal(fewer.code, 2);
    assert.match(fewer.stderr, /--join: this command does not match study twin: the evaluation samples differ/);
    const missing = await run(search('nobody', '--join'), cluster.env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /there is no study nobody/);

    const listed = await run(['studies', '--storage', cluster.url(), '--json'], cluster.env);
    assert.equal(listed.code, 0, listed.stderr);
    const twin = listed.json.studies.find((s: { name: string }) => s.name === 'twin');
    assert.deepEqual([twin.done, twin.trialsWanted, twin.batch], [4, 4, 2]);
    assert.ok(!listed.stdout.includes(cluster.password));
  });
});
