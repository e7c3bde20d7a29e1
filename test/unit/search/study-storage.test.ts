/**
 * The trial loop over its two storages (issue 19): trials.jsonl in a run folder, and a PostgreSQL study shared by
 * several workers (a throw-away cluster, test/helpers/postgres.ts). The sampler and the trials are fakes whose
 * results a plain loop computes independently: trial k's parameter is k·1000 plus the sum of the values it may see
 * (those of the batches before its own), its value a fixed function of the parameter.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Params, Sampler, Trial } from '../../../src/core/search/space';
import { type TrialRunner, runStudy } from '../../../src/core/search/run-study';
import { FileStudyStorage } from '../../../src/core/search/storage/file-storage';
import { TrialMirror } from '../../../src/core/search/storage/trial-mirror';
import { StudyDatabase } from '../../../src/core/search/storage/postgres/study-database';
import { parseStorageUrl } from '../../../src/core/search/storage/postgres/storage-url';
import { type Cluster, postgresAvailable, startCluster } from '../../helpers/postgres';
import { tempDir } from '../../helpers/tmp';

const N = 10;
const BATCH = 3;
const valueOf = (x: number) => (Math.sin(x) + 1) / 2;

/** The plain loop: every trial in order, each from the values of the batches before it. */
function expected(n: number, batch: number): [number, number, number][] {
  const values: number[] = [];
  const out: [number, number, number][] = [];
  for (let k = 0; k < n; k++) {
    const batchStart = k - (k % batch);
    let seen = 0;
    for (let j = 0; j < batchStart; j++) seen += values[j];
    const x = k * 1000 + seen;
    values.push(valueOf(x));
    out.push([k, x, valueOf(x)]);
  }
  return out;
}

const sampler: Sampler = {
  suggest(history: Trial[]): Params {
    return { x: history.length * 1000 + history.reduce((s, t) => s + (t.value ?? 0), 0) };
  },
};

/** Trials that take `ms()` milliseconds each. */
function fakeRunner(ms: () => number): TrialRunner {
  return {
    run: async (params) => {
      await new Promise((r) => setTimeout(r, ms()));
      const auc = valueOf(params.x as number);
      return {
        curve: { criterion: 'fake', auc, points: [{ rate: 0, removed: 0, accuracy: auc, params: 0, flops: 0 }] },
        cached: false,
        seconds: 0,
      };
    },
  };
}

const triples = (lines: { number: number; params: Params; auc: number }[]) =>
  lines.map((t) => [t.number, t.params.x, t.auc]);

describe('the trial loop and its study storages', function () {
  this.timeout(120_000);

  it('trials.jsonl: 3 trials at a time in batches of 3 give the plain loop’s trials, written in order', async () => {
    const tmp = tempDir();
    try {
      const storage = new FileStudyStorage(tmp.dir, [], N, BATCH);
      const result = await runStudy(
        { sampler, workers: 3 },
        fakeRunner(() => Math.random() * 20),
        storage,
        () => undefined,
      );
      assert.deepEqual(triples(await storage.trials()), expected(N, BATCH));
      assert.deepEqual(
        result.trials.map((t) => t.number),
        [...Array(N).keys()],
      );
      const lines = fs
        .readFileSync(path.join(tmp.dir, 'trials.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(triples(lines), expected(N, BATCH));
    } finally {
      tmp.cleanup();
    }
  });

  it('a run folder mirrors a shared study: trials appended as they are seen, nothing after stop()', async () => {
    const tmp = tempDir();
    try {
      const line = (number: number) => ({
        number,
        params: { x: number },
        auc: number / 10,
        curve: [],
        seconds: 0,
        cached: false,
      });
      let finished = [line(1)];
      const mirror = new TrialMirror(tmp.dir, { trials: async () => finished }, 60_000);
      const file = path.join(tmp.dir, 'trials.jsonl');
      assert.equal(fs.readFileSync(file, 'utf8'), '');
      await mirror.poll();
      finished = [line(0), line(1), line(2)];
      await mirror.poll();
      await mirror.poll();
      const read = () =>
        fs
          .readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).number);
      assert.deepEqual(read(), [1, 0, 2]);
      mirror.stop();
      finished = [line(0), line(1), line(2), line(3)];
      await mirror.poll();
      assert.deepEqual(read(), [1, 0, 2]);
    } finally {
      tmp.cleanup();
    }
  });

  describe('PostgreSQL', () => {
    let cluster: Cluster;
    before(async function () {
      if (!postgresAvailable()) {
        if (process.env.PXP_REQUIRE_POSTGRES)
          throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
        this.skip();
      }
      cluster = await startCluster();
      process.env.PGPASSWORD = cluster.password;
    });
    after(() => {
      delete process.env.PGPASSWORD;
      cluster?.stop();
    });

    const open = () => StudyDatabase.connect(parseStorageUrl(cluster.url()));
    const newStudy = (name: string, heartbeatTimeout = 60) => ({
      name,
      settings: {},
      description: {},
      trialsWanted: N,
      batch: BATCH,
      heartbeatTimeout,
    });

    it('3 workers with their own connections finish the study with the plain loop’s trials, each trial claimed once', async () => {
      const dbs = await Promise.all([0, 1, 2].map(open));
      try {
        const made = await Promise.all(dbs.map((db) => db.create(newStudy('three'))));
        assert.equal(made.filter((m) => m.created).length, 1);
        const ran: number[][] = [[], [], []];
        await Promise.all(
          dbs.map((db, i) =>
            runStudy(
              { sampler, workers: 1 },
              fakeRunner(() => 5 + Math.random() * 40),
              db.storage(made[i].study, `w${i}`),
              (line) => ran[i].push(line.number),
            ),
          ),
        );
        assert.deepEqual(
          ran.flat().sort((a, b) => a - b),
          [...Array(N).keys()],
        );
        assert.deepEqual(triples(await dbs[0].trials(made[0].study)), expected(N, BATCH));
        const claims = await cluster.query(
          `SELECT claims FROM pxp_trials t JOIN pxp_studies s ON s.id = t.study_id WHERE s.name = 'three'`,
        );
        assert.deepEqual(
          claims.rows.map((r) => r.claims),
          Array(N).fill(1),
        );
      } finally {
        await Promise.all(dbs.map((db) => db.close()));
      }
    });

    it('claims made at once from many connections never hand one trial to two workers', async () => {
      const dbs = await Promise.all([0, 1, 2, 3, 4].map(open));
      try {
        const { study } = await dbs[0].create({ ...newStudy('race'), batch: N });
        const storages = dbs.map((db, i) => db.storage(study, `w${i}`));
        const got: number[] = [];
        await Promise.all(
          storages.map(async (s) => {
            for (;;) {
              const c = await s.claim((n, history) => sampler.suggest(history));
              if (c.kind !== 'trial') return;
              got.push(c.number);
            }
          }),
        );
        assert.deepEqual(
          got.sort((a, b) => a - b),
          [...Array(N).keys()],
        );
      } finally {
        await Promise.all(dbs.map((db) => db.close()));
      }
    });

    it('a trial whose worker stops sending heartbeats goes to another; the first worker can no longer record it', async () => {
      const [a, b] = await Promise.all([open(), open()]);
      try {
        const { study } = await a.create(newStudy('stale', 0.5));
        const quiet = a.storage(study, 'quiet');
        const first = await quiet.claim((n, history) => sampler.suggest(history));
        assert.equal(first.kind === 'trial' && first.number, 0);
        const notes: string[] = [];
        await runStudy(
          { sampler, workers: 1, note: (l) => notes.push(l) },
          fakeRunner(() => 1),
          b.storage(study, 'live'),
          () => undefined,
        );
        assert.ok(
          notes.some((l) => /trial 1 was given up by its worker/.test(l)),
          notes.join('\n'),
        );
        assert.deepEqual(triples(await b.trials(study)), expected(N, BATCH));
        const late = {
          number: 0,
          params: (first as { params: Params }).params,
          auc: 0.5,
          curve: [],
          seconds: 0,
          cached: false,
        };
        assert.equal(await quiet.record(late), false);
        assert.deepEqual(await quiet.heartbeat([0]), []);
        const row = await cluster.query(
          `SELECT worker, claims, auc FROM pxp_trials t JOIN pxp_studies s ON s.id = t.study_id WHERE s.name = 'stale' AND number = 0`,
        );
        assert.deepEqual(
          [row.rows[0].worker, row.rows[0].claims, row.rows[0].auc],
          ['live', 2, expected(1, BATCH)[0][2]],
        );
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
});
