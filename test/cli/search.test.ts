import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { readNpy, writeNpy } from '../../src/core/io/npy';
import { writeSearchReport } from '../../src/core/report/search-report';
import { CLI, pxp } from '../helpers/pxp';
import { REPO, tempDir } from '../helpers/tmp';
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
];
/** Searches in these tests skip the baseline curves (one test checks them). */
const quick = [...data, '--baselines', 'none'];
const lines = (dir: string) =>
  fs
    .readFileSync(path.join(dir, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('pxp search (optimizing the composite)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('starts from the presets and fixed points (counted as trials), logs every trial, writes the best composite, which pxp prune reproduces with no flags, and a report', () => {
    const out = path.join(tmp.dir, 'search');
    const r = pxp([
      'search',
      '--model',
      MODEL,
      ...quick,
      '--trials',
      '7',
      '--sampler',
      'random',
      '--seed',
      '3',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const trials = lines(out);
    assert.equal(trials.length, 7);
    // The presets as points of the space (a preset and its -flat variant are one point), then the fixed points.
    assert.deepEqual(
      trials.map((t) => t.enqueued),
      [
        'epsilon-plus',
        'epsilon-alpha2-beta1',
        'epsilon-gamma-box',
        'all-epsilon',
        'all-epsilon-logit',
        undefined,
        undefined,
      ],
    );
    assert.deepEqual(
      r.json.startingPoints.map((p: { name: string }) => p.name),
      trials.slice(0, 5).map((t) => t.enqueued),
    );
    assert.equal(trials[0].params['low.rule'], 'z-plus');
    assert.equal(trials[4].params.init, 'logit');
    assert.ok(trials.every((t) => !('first.rule' in t.params)));
    assertPicked(r.json, trials, 5);
    assert.equal((r.stderr.match(/^\{"trial"/gm) ?? []).length, 7, 'one progress line per trial on stderr');
    for (const f of ['best-composite.json', 'run.json', 'curve.json', 'report.html'])
      assert.ok(fs.existsSync(path.join(out, f)), f);
    const composite = JSON.parse(fs.readFileSync(path.join(out, 'best-composite.json'), 'utf8'));
    assert.deepEqual(
      [composite.init, composite.abs_sort, composite.least_relevant_first],
      [r.json.settings.init, r.json.settings.absSort, r.json.settings.leastRelevantFirst],
    );
    const p = pxp([
      'prune',
      '--model',
      MODEL,
      ...data,
      '--criterion',
      `lrp:${path.join(out, 'best-composite.json')}`,
      '--out',
      path.join(tmp.dir, 'prune'),
      '--json',
    ]);
    assert.equal(p.code, 0, p.stderr);
    assert.ok(Math.abs(p.json.auc - r.json.best.auc) < 1e-9, `prune ${p.json.auc} vs search ${r.json.best.auc}`);
  });

  it('searches the initial relevance: with --init logit the best composite carries it, pxp prune reproduces it, and epsilon with the logit start is Taylor', () => {
    const out = path.join(tmp.dir, 'logit');
    const r = pxp([
      'search',
      '--model',
      MODEL,
      ...data,
      '--baselines',
      'taylor',
      '--init',
      'logit',
      '--trials',
      '2',
      '--sampler',
      'random',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const trials = lines(out);
    // The presets start from the one-hot target, which this space lacks: all-epsilon-logit is the only starting point.
    assert.deepEqual(
      trials.map((t) => [t.enqueued, t.params.init]),
      [
        ['all-epsilon-logit', 'logit'],
        [undefined, 'logit'],
      ],
    );
    assert.ok(
      r.json.startingNotes.some((n: string) => /epsilon-plus: skipped \(the space allows no init = one-hot\)/.test(n)),
    );
    const taylor = r.json.comparison.find((c: { criterion: string }) => c.criterion === 'taylor');
    assert.ok(
      Math.abs(trials[0].auc - taylor.auc) < 2e-3,
      `epsilon 1e-6 everywhere from the logit: ${trials[0].auc} vs taylor ${taylor.auc}`,
    );
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'best-composite.json'), 'utf8')).init, 'logit');
    const p = pxp([
      'prune',
      '--model',
      MODEL,
      ...data,
      '--criterion',
      `lrp:${path.join(out, 'best-composite.json')}`,
      '--out',
      path.join(tmp.dir, 'prune'),
      '--json',
    ]);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(p.json.settings.init, 'logit');
    assert.ok(Math.abs(p.json.auc - r.json.best.auc) < 1e-9, `prune ${p.json.auc} vs search ${r.json.best.auc}`);
  });

  it('a pxp prune flag that contradicts the composite file is refused; one that agrees is fine', () => {
    const file = path.join(tmp.dir, 'c.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        default: { conv: { rule: 'z-plus' } },
        init: 'one-hot',
        abs_sort: true,
        least_relevant_first: true,
      }),
    );
    const prune = (...flags: string[]) =>
      pxp([
        'prune',
        '--model',
        MODEL,
        ...data,
        '--rates',
        '0,0.2',
        '--criterion',
        `lrp:${file}`,
        ...flags,
        '--out',
        path.join(tmp.dir, `p${flags.length}`),
      ]);
    const signed = prune('--signed');
    assert.equal(signed.code, 1);
    assert.match(signed.stderr, /--signed contradicts .*c\.json, which sets "abs_sort": true/);
    assert.equal(prune('--init', 'logit').code, 1);
    assert.equal(prune('--init', 'one-hot').code, 0);
  });

  it('scores every preset and baseline on the held-out data too (comparison.json), and marks the best trial’s own AUC as selection-biased', () => {
    const holdout = path.join(tmp.dir, 'holdout');
    const x = readNpy(path.join(DEMO, 'test', 'x.npy'));
    const y = readNpy(path.join(DEMO, 'test', 'y.npy'));
    const per = x.data.length / x.shape[0];
    writeNpy(path.join(holdout, 'x.npy'), {
      dtype: 'float32',
      shape: [300, ...x.shape.slice(1)],
      data: (x.data as Float32Array).slice(700 * per, 1000 * per),
    });
    writeNpy(path.join(holdout, 'y.npy'), {
      dtype: 'int32',
      shape: [300],
      data: Int32Array.from(y.data).slice(700, 1000),
    });
    const out = path.join(tmp.dir, 'held');
    const r = pxp([
      'search',
      '--model',
      MODEL,
      ...data,
      '--holdout',
      holdout,
      '--baselines',
      'lrp:epsilon-plus,weight',
      '--trials',
      '2',
      '--sampler',
      'random',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const cmp = JSON.parse(fs.readFileSync(path.join(out, 'comparison.json'), 'utf8'));
    assert.deepEqual(
      cmp.curves.map((c: { criterion: string }) => c.criterion),
      ['lrp:best-composite.json', 'lrp:epsilon-plus', 'weight'],
    );
    assert.deepEqual(cmp.holdout, { source: r.json.holdout.source, samples: 300 });
    assert.deepEqual(
      cmp.curves.map((c: { selectionBiased?: boolean }) => c.selectionBiased === true),
      [true, false, false],
    );
    assert.ok(cmp.curves.every((c: { holdout?: { points: unknown[] } }) => c.holdout && c.holdout.points.length === 5));
    assert.equal(r.json.best.holdoutAuc, cmp.curves[0].holdout.auc);
    // The held-out AUC of a baseline is what pxp prune measures on those samples.
    for (const [i, criterion] of [
      [1, 'lrp:epsilon-plus'],
      [2, 'weight'],
    ] as const) {
      const p = pxp([
        'prune',
        '--model',
        MODEL,
        '--reference',
        path.join(DEMO, 'reference'),
        '--eval',
        holdout,
        '--rates',
        '0,0.1,0.2,0.3,0.4',
        '--criterion',
        criterion,
        '--out',
        path.join(tmp.dir, `hp${i}`),
        '--json',
      ]);
      assert.ok(
        Math.abs(p.json.auc - cmp.curves[i].holdout.auc) < 1e-9,
        `${criterion}: ${p.json.auc} vs ${cmp.curves[i].holdout.auc}`,
      );
    }
    const html = fs.readFileSync(path.join(out, 'search.html'), 'utf8');
    assert.match(html, /AUC held out/);
    assert.match(html, /selection-biased/);
    assert.match(fs.readFileSync(path.join(out, 'report.html'), 'utf8'), /AUC held out/);
  });

  it('reads an older search folder (first-layer rule in its trials) for the reports, and refuses to resume it', () => {
    const out = path.join(tmp.dir, 'old');
    assert.equal(
      pxp(['search', '--model', MODEL, ...quick, '--trials', '2', '--sampler', 'random', '--out', out]).code,
      0,
    );
    const old = lines(out).map((t) => ({ ...t, params: { ...t.params, 'first.rule': 'flat' }, enqueued: undefined }));
    fs.writeFileSync(path.join(out, 'trials.jsonl'), old.map((t) => JSON.stringify(t) + '\n').join(''));
    const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    fs.writeFileSync(
      path.join(out, 'run.json'),
      JSON.stringify({
        ...run,
        space: [
          ...run.space,
          { kind: 'categorical', name: 'first.rule', choices: ['group', 'flat', 'z-box', 'w-square'] },
        ],
      }),
    );
    assert.deepEqual(writeSearchReport(out).sort(), ['importance.svg', 'search-progress.svg', 'search.html']);
    assert.ok(
      !fs.readFileSync(path.join(out, 'importance.svg'), 'utf8').includes('first.rule'),
      'importance never shows the retired parameter',
    );
    const r = pxp([
      'search',
      '--model',
      MODEL,
      ...quick,
      '--trials',
      '3',
      '--sampler',
      'random',
      '--out',
      out,
      '--resume',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /parameters this search space lacks \(first\.rule\).*no longer searched/);
  });

  it('--normalize mean scores each trial with the layer-normalized ranking, which pxp prune --normalize mean reproduces', () => {
    const out = path.join(tmp.dir, 'norm');
    const r = pxp([
      'search',
      '--model',
      MODEL,
      ...data,
      '--baselines',
      'lrp:epsilon-plus',
      '--trials',
      '3',
      '--sampler',
      'random',
      '--seed',
      '3',
      '--normalize',
      'mean',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.settings.normalize, 'mean');
    const flags = [
      ...(r.json.settings.absSort ? [] : ['--signed']),
      ...(r.json.settings.leastRelevantFirst ? [] : ['--most-relevant-first']),
    ];
    const prune = (criterion: string, normalize: string) =>
      pxp([
        'prune',
        '--model',
        MODEL,
        ...data,
        '--criterion',
        criterion,
        ...flags,
        '--normalize',
        normalize,
        '--out',
        path.join(tmp.dir, `p-${normalize}-${criterion.length}`),
        '--json',
      ]);
    const best = `lrp:${path.join(out, 'best-composite.json')}`;
    assert.ok(Math.abs(prune(best, 'mean').json.auc - r.json.best.auc) < 1e-9, 'the best AUC is the normalized one');
    assert.notEqual(prune(best, 'none').json.auc, r.json.best.auc);
    // The baselines beside it are ranked the same way.
    const preset = r.json.comparison.find((c: { criterion: string }) => c.criterion === 'lrp:epsilon-plus');
    assert.ok(
      Math.abs(
        pxp([
          'prune',
          '--model',
          MODEL,
          ...data,
          '--criterion',
          'lrp:epsilon-plus',
          '--normalize',
          'mean',
          '--out',
          path.join(tmp.dir, 'preset'),
          '--json',
        ]).json.auc - preset.auc,
      ) < 1e-9,
    );
    const resumed = pxp([
      'search',
      '--model',
      MODEL,
      ...data,
      '--baselines',
      'none',
      '--trials',
      '4',
      '--sampler',
      'random',
      '--seed',
      '3',
      '--out',
      out,
      '--resume',
    ]);
    assert.equal(resumed.code, 2);
    assert.match(resumed.stderr, /--normalize mean/);
  });

  it('scores the best composite beside the presets and baselines on the same curve (comparison.json)', () => {
    const out = path.join(tmp.dir, 'cmp');
    const r = pxp([
      'search',
      '--model',
      MODEL,
      ...data,
      '--baselines',
      'presets,taylor,random',
      '--trials',
      '2',
      '--sampler',
      'random',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const cmp = JSON.parse(fs.readFileSync(path.join(out, 'comparison.json'), 'utf8')).curves;
    assert.deepEqual(
      cmp.map((c: { criterion: string }) => c.criterion),
      [
        'lrp:best-composite.json',
        'lrp:epsilon-plus',
        'lrp:epsilon-plus-flat',
        'lrp:epsilon-alpha2-beta1',
        'lrp:epsilon-alpha2-beta1-flat',
        'lrp:epsilon-gamma-box',
        'taylor',
        'random',
      ],
    );
    assert.equal(cmp[0].auc, r.json.best.auc);
    assert.ok(cmp.every((c: { points: unknown[] }) => c.points.length === 5));
    assert.match(fs.readFileSync(path.join(out, 'search.html'), 'utf8'), /Against the presets and the baselines/);
    // An unknown criterion is a usage error (exit 1), refused before any trial (issue 16).
    assert.equal(
      pxp([
        'search',
        '--model',
        MODEL,
        ...data,
        '--baselines',
        'magic',
        '--trials',
        '1',
        '--out',
        path.join(tmp.dir, 'x'),
      ]).code,
      1,
    );
  });

  it('resumes where it stopped (a cut-off last line is dropped), with the same trials as an uninterrupted run', () => {
    const whole = path.join(tmp.dir, 'whole');
    // Five starting points, then TPE (its start-up already over): a resume past the starting points.
    assert.equal(
      pxp([
        'search',
        '--model',
        MODEL,
        ...quick,
        '--trials',
        '7',
        '--seed',
        '1',
        '--startup-trials',
        '2',
        '--out',
        whole,
      ]).code,
      0,
    );
    const parts = path.join(tmp.dir, 'parts');
    assert.equal(
      pxp([
        'search',
        '--model',
        MODEL,
        ...quick,
        '--trials',
        '6',
        '--seed',
        '1',
        '--startup-trials',
        '2',
        '--out',
        parts,
      ]).code,
      0,
    );
    fs.appendFileSync(path.join(parts, 'trials.jsonl'), '{"number": 6, "params": {"low.ru'); // killed mid-write
    const r = pxp([
      'search',
      '--model',
      MODEL,
      ...quick,
      '--trials',
      '7',
      '--seed',
      '1',
      '--startup-trials',
      '2',
      '--out',
      parts,
      '--resume',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const a = lines(whole);
    const b = lines(parts);
    assert.equal(b.length, 7);
    assert.deepEqual(
      b.map((t) => [t.params, t.auc]),
      a.map((t) => [t.params, t.auc]),
    );
  });

  it('a new search over an old run folder (--force) starts from no trials; only --resume continues', () => {
    const out = path.join(tmp.dir, 'again');
    assert.equal(
      pxp(['search', '--model', MODEL, ...quick, '--trials', '3', '--sampler', 'random', '--seed', '1', '--out', out])
        .code,
      0,
    );
    const r = pxp([
      'search',
      '--model',
      MODEL,
      ...quick,
      '--trials',
      '2',
      '--sampler',
      'random',
      '--seed',
      '1',
      '--out',
      out,
      '--force',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      lines(out).map((t) => t.number),
      [0, 1],
    );
  });

  it('--space narrows the space and regroups layers; a bad space file is refused naming the field', () => {
    const spaceFile = path.join(tmp.dir, 'space.json');
    fs.writeFileSync(
      spaceFile,
      JSON.stringify({
        groups: {
          early: ['block1_conv1', 'block1_conv2'],
          late: ['block2_conv1', 'block2_conv2', 'block3_conv1', 'block3_conv2', 'fc1', 'classifier'],
        },
        params: {
          'early.rule': { choices: ['gamma'] },
          'early.gamma': { low: 0.1, high: 1 },
          abs_sort: { choices: ['true'] },
          least_relevant_first: { choices: ['true'] },
        },
      }),
    );
    const out = path.join(tmp.dir, 'narrow');
    const r = pxp([
      'search',
      '--model',
      MODEL,
      ...quick,
      '--trials',
      '3',
      '--sampler',
      'random',
      '--space',
      spaceFile,
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    for (const t of lines(out)) {
      assert.equal(t.params['early.rule'], 'gamma');
      assert.ok(t.params['early.gamma'] >= 0.1 && t.params['early.gamma'] <= 1);
      assert.equal(t.params.abs_sort, 'true');
      assert.ok(!('low.rule' in t.params));
    }
    fs.writeFileSync(spaceFile, JSON.stringify({ groups: { early: ['block1_convX'] } }));
    const bad = pxp([
      'search',
      '--model',
      MODEL,
      ...quick,
      '--trials',
      '1',
      '--space',
      spaceFile,
      '--out',
      path.join(tmp.dir, 'bad'),
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /space\.json: groups\.early\[0\]: 'block1_convX' is not a conv or dense layer/);
    assert.ok(!fs.existsSync(path.join(tmp.dir, 'bad')));
  });

  it('resumes after the process is killed with SIGKILL mid-search, losing at most the trial in flight', async () => {
    const args = ['search', '--model', MODEL, ...quick, '--trials', '7', '--seed', '4', '--startup-trials', '2'];
    const whole = path.join(tmp.dir, 'whole');
    assert.equal(pxp([...args, '--out', whole]).code, 0);
    const killed = path.join(tmp.dir, 'killed');
    const child = spawn(process.execPath, [CLI, ...args, '--out', killed], { stdio: 'ignore' });
    const file = path.join(killed, 'trials.jsonl');
    const started = Date.now();
    while (!(fs.existsSync(file) && fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length >= 2)) {
      if (Date.now() - started > 120_000) throw new Error('the search did not log two trials');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const before = lines(killed).length;
    assert.ok(before >= 2 && before < 7, `killed after ${before} trials`);
    const r = pxp([...args, '--out', killed, '--resume']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      lines(killed).map((t) => [t.params, t.auc]),
      lines(whole).map((t) => [t.params, t.auc]),
    );
  });

  it('reuses relevance for points that differ only in abs_sort or least_relevant_first', () => {
    const spaceFile = path.join(tmp.dir, 'space.json');
    const zplus = { choices: ['z-plus'] };
    fs.writeFileSync(
      spaceFile,
      JSON.stringify({
        params: { 'low.rule': zplus, 'mid.rule': zplus, 'high.rule': zplus, 'fc.rule': { choices: ['epsilon'] } },
      }),
    );
    const out = path.join(tmp.dir, 'cache');
    const r = pxp([
      'search',
      '--model',
      MODEL,
      ...quick,
      '--space',
      spaceFile,
      '--sampler',
      'grid',
      '--trials',
      '4',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    // Trial 0 is the one starting point this space expresses (epsilon-plus: fc epsilon 1e-6, one-hot, abs, least
    // first). The grid walks fc.epsilon × init × abs_sort × least_relevant_first, the switches fastest, and skips
    // that point: trials 1–3 only flip the switches.
    assert.deepEqual(
      lines(out).map((t) => t.cached),
      [false, true, true, true],
    );
    assert.equal(r.json.relevanceComputed, 1);
  });

  it('--workers 2 runs trials side by side: the same objective as one thread, and an exact resume', () => {
    const args = ['search', '--model', MODEL, ...quick, '--seed', '5', '--startup-trials', '2'];
    const pairs = (dir: string) => lines(dir).map((t) => [t.number, t.params, t.auc]);
    const parallel = path.join(tmp.dir, 'parallel');
    const r = pxp([...args, '--trials', '7', '--workers', '2', '--out', parallel, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.workers, 2);
    const serial = path.join(tmp.dir, 'serial');
    assert.equal(pxp([...args, '--trials', '6', '--out', serial]).code, 0);
    // Trials 0–4 are the starting points, the same on any number of threads; trial 5 runs beside trial 4 and sees it
    // as running (a bad observation for the constant liar), where one thread sees its value.
    assert.deepEqual(pairs(parallel).slice(0, 5), pairs(serial).slice(0, 5));
    const resumed = path.join(tmp.dir, 'resumed');
    assert.equal(pxp([...args, '--trials', '6', '--workers', '2', '--out', resumed]).code, 0);
    assert.equal(
      pxp([...args, '--trials', '7', '--out', resumed, '--resume']).code,
      2,
      'resuming needs the same --workers',
    );
    const again = pxp([...args, '--trials', '7', '--workers', '2', '--out', resumed, '--resume']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(pairs(resumed), pairs(parallel));
  });

  it('--workers 2 shares one relevance computation between trials of a batch with the same rules', () => {
    const spaceFile = path.join(tmp.dir, 'space.json');
    const zplus = { choices: ['z-plus'] };
    fs.writeFileSync(
      spaceFile,
      JSON.stringify({
        params: { 'low.rule': zplus, 'mid.rule': zplus, 'high.rule': zplus, 'fc.rule': { choices: ['epsilon'] } },
      }),
    );
    const out = path.join(tmp.dir, 'cache');
    const r = pxp([
      'search',
      '--model',
      MODEL,
      ...quick,
      '--space',
      spaceFile,
      '--sampler',
      'grid',
      '--trials',
      '4',
      '--workers',
      '2',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      lines(out).map((t) => t.cached),
      [false, true, true, true],
    );
    assert.equal(r.json.relevanceComputed, 1);
  });

  it('the same seed gives identical trials.jsonl (timings aside)', () => {
    const runs = ['a', 'b'].map((name) => {
      const out = path.join(tmp.dir, name);
      assert.equal(
        pxp([
          'search',
          '--model',
          MODEL,
          ...quick,
          '--trials',
          '4',
          '--seed',
          '9',
          '--startup-trials',
          '2',
          '--out',
          out,
        ]).code,
        0,
      );
      return lines(out).map(({ seconds: _seconds, ...rest }) => rest);
    });
    assert.deepEqual(runs[0], runs[1]);
  });

  it('never ends below the best preset: each preset’s starting point scores exactly the preset’s AUC', () => {
    const out = path.join(tmp.dir, 'presets');
    const r = pxp([
      'search',
      '--model',
      MODEL,
      ...data,
      '--baselines',
      'presets',
      '--trials',
      '5',
      '--seed',
      '0',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const trials = lines(out);
    const presets = r.json.comparison.filter((c: { criterion: string }) => c.criterion !== 'lrp:best-composite.json');
    assert.equal(presets.length, 5);
    for (const c of presets as { criterion: string; auc: number }[]) {
      // A "-flat" preset is the same point as its preset: the first layer's rule changes no component score.
      const name = c.criterion.slice('lrp:'.length).replace(/-flat$/, '');
      const start = trials.find((t) => t.enqueued === name);
      assert.ok(start, `a starting point for ${c.criterion}`);
      assert.ok(Math.abs(start.auc - c.auc) < 1e-9, `${c.criterion}: ${c.auc} vs its starting point ${start.auc}`);
    }
    assert.ok(r.json.best.auc >= Math.max(...presets.map((c: { auc: number }) => c.auc)));
  });

  it('--trials 0 (a flag value out of range: usage, exit 1) or --resume on a run that is not a search (exit 2): nothing overwritten', () => {
    const zero = pxp(['search', '--model', MODEL, ...quick, '--trials', '0', '--out', path.join(tmp.dir, 'zero')]);
    assert.equal(zero.code, 1);
    assert.match(zero.stderr, /--trials 0/);
    assert.ok(!fs.existsSync(path.join(tmp.dir, 'zero')));
    const prune = path.join(tmp.dir, 'prune');
    assert.equal(
      pxp(['prune', '--model', MODEL, ...data, '--criterion', 'weight', '--rates', '0', '--out', prune]).code,
      0,
    );
    const before = fs.readFileSync(path.join(prune, 'run.json'), 'utf8');
    const r = pxp(['search', '--model', MODEL, ...quick, '--trials', '2', '--out', prune, '--resume']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not a search run/);
    assert.equal(fs.readFileSync(path.join(prune, 'run.json'), 'utf8'), before);
    assert.ok(!fs.existsSync(path.join(prune, 'trials.jsonl')));
  });

  it('refuses to resume with another seed, or a folder that is not a search', () => {
    const out = path.join(tmp.dir, 's');
    assert.equal(pxp(['search', '--model', MODEL, ...quick, '--trials', '1', '--seed', '1', '--out', out]).code, 0);
    const r = pxp(['search', '--model', MODEL, ...quick, '--trials', '2', '--seed', '2', '--out', out, '--resume']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ran with --seed 1/);
    assert.equal(
      pxp(['search', '--model', MODEL, ...quick, '--trials', '1', '--out', path.join(tmp.dir, 'none'), '--resume'])
        .code,
      2,
    );
  });
});
