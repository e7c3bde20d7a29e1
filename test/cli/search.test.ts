import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, pxp } from '../helpers/pxp';
import { REPO, tempDir } from '../helpers/tmp';

const DEMO = path.join(REPO, 'examples', 'fashion-mnist');
const MODEL = path.join(DEMO, 'model', 'model.json');
const data = ['--reference', path.join(DEMO, 'reference'), '--eval', path.join(DEMO, 'test'), '--eval-limit', '300', '--rates', '0,0.1,0.2,0.3,0.4'];
/** Searches in these tests skip the baseline curves (one test checks them). */
const quick = [...data, '--baselines', 'none'];
const lines = (dir: string) => fs.readFileSync(path.join(dir, 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('pxp search (optimizing the composite)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('logs every trial, writes the best composite, which pxp prune reproduces, and a report', () => {
    const out = path.join(tmp.dir, 'search');
    const r = pxp(['search', '--model', MODEL, ...quick, '--trials', '6', '--sampler', 'random', '--seed', '3', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const trials = lines(out);
    assert.equal(trials.length, 6);
    assert.equal(r.json.best.auc, Math.max(...trials.map((t) => t.auc)));
    assert.equal((r.stderr.match(/^\{"trial"/gm) ?? []).length, 6, "one progress line per trial on stderr");
    for (const f of ['best-composite.json', 'run.json', 'curve.json', 'report.html']) assert.ok(fs.existsSync(path.join(out, f)), f);
    const flags = [...(r.json.settings.absSort ? [] : ['--signed']), ...(r.json.settings.leastRelevantFirst ? [] : ['--most-relevant-first'])];
    const p = pxp(['prune', '--model', MODEL, ...data, '--criterion', `lrp:${path.join(out, 'best-composite.json')}`, ...flags, '--out', path.join(tmp.dir, 'prune'), '--json']);
    assert.equal(p.code, 0, p.stderr);
    assert.ok(Math.abs(p.json.auc - r.json.best.auc) < 1e-9, `prune ${p.json.auc} vs search ${r.json.best.auc}`);
  });

  it('--normalize mean scores each trial with the layer-normalized ranking, which pxp prune --normalize mean reproduces', () => {
    const out = path.join(tmp.dir, 'norm');
    const r = pxp(['search', '--model', MODEL, ...data, '--baselines', 'lrp:epsilon-plus', '--trials', '3', '--sampler', 'random', '--seed', '3', '--normalize', 'mean', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.settings.normalize, 'mean');
    const flags = [...(r.json.settings.absSort ? [] : ['--signed']), ...(r.json.settings.leastRelevantFirst ? [] : ['--most-relevant-first'])];
    const prune = (criterion: string, normalize: string) => pxp(['prune', '--model', MODEL, ...data, '--criterion', criterion, ...flags, '--normalize', normalize, '--out', path.join(tmp.dir, `p-${normalize}-${criterion.length}`), '--json']);
    const best = `lrp:${path.join(out, 'best-composite.json')}`;
    assert.ok(Math.abs(prune(best, 'mean').json.auc - r.json.best.auc) < 1e-9, 'the best AUC is the normalized one');
    assert.notEqual(prune(best, 'none').json.auc, r.json.best.auc);
    // The baselines beside it are ranked the same way.
    const preset = r.json.comparison.find((c: { criterion: string }) => c.criterion === 'lrp:epsilon-plus');
    assert.ok(Math.abs(pxp(['prune', '--model', MODEL, ...data, '--criterion', 'lrp:epsilon-plus', '--normalize', 'mean', '--out', path.join(tmp.dir, 'preset'), '--json']).json.auc - preset.auc) < 1e-9);
    const resumed = pxp(['search', '--model', MODEL, ...data, '--baselines', 'none', '--trials', '4', '--sampler', 'random', '--seed', '3', '--out', out, '--resume']);
    assert.equal(resumed.code, 2);
    assert.match(resumed.stderr, /--normalize mean/);
  });

  it('scores the best composite beside the presets and baselines on the same curve (comparison.json)', () => {
    const out = path.join(tmp.dir, 'cmp');
    const r = pxp(['search', '--model', MODEL, ...data, '--baselines', 'presets,taylor,random', '--trials', '2', '--sampler', 'random', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const cmp = JSON.parse(fs.readFileSync(path.join(out, 'comparison.json'), 'utf8')).curves;
    assert.deepEqual(cmp.map((c: { criterion: string }) => c.criterion), ['lrp:best-composite.json', 'lrp:epsilon-plus', 'lrp:epsilon-plus-flat', 'lrp:epsilon-alpha2-beta1', 'lrp:epsilon-alpha2-beta1-flat', 'lrp:epsilon-gamma-box', 'taylor', 'random']);
    assert.equal(cmp[0].auc, r.json.best.auc);
    assert.ok(cmp.every((c: { points: unknown[] }) => c.points.length === 5));
    assert.match(fs.readFileSync(path.join(out, 'search.html'), 'utf8'), /Against the presets and the baselines/);
    assert.equal(pxp(['search', '--model', MODEL, ...data, '--baselines', 'magic', '--trials', '1', '--out', path.join(tmp.dir, 'x')]).code, 2);
  });

  it('resumes where it stopped (a cut-off last line is dropped), with the same trials as an uninterrupted run', () => {
    const whole = path.join(tmp.dir, 'whole');
    assert.equal(pxp(['search', '--model', MODEL, ...quick, '--trials', '5', '--seed', '1', '--startup-trials', '2', '--out', whole]).code, 0);
    const parts = path.join(tmp.dir, 'parts');
    assert.equal(pxp(['search', '--model', MODEL, ...quick, '--trials', '3', '--seed', '1', '--startup-trials', '2', '--out', parts]).code, 0);
    fs.appendFileSync(path.join(parts, 'trials.jsonl'), '{"number": 3, "params": {"low.ru'); // killed mid-write
    const r = pxp(['search', '--model', MODEL, ...quick, '--trials', '5', '--seed', '1', '--startup-trials', '2', '--out', parts, '--resume']);
    assert.equal(r.code, 0, r.stderr);
    const a = lines(whole);
    const b = lines(parts);
    assert.equal(b.length, 5);
    assert.deepEqual(b.map((t) => [t.params, t.auc]), a.map((t) => [t.params, t.auc]));
  });

  it('a new search over an old run folder (--force) starts from no trials; only --resume continues', () => {
    const out = path.join(tmp.dir, 'again');
    assert.equal(pxp(['search', '--model', MODEL, ...quick, '--trials', '3', '--sampler', 'random', '--seed', '1', '--out', out]).code, 0);
    const r = pxp(['search', '--model', MODEL, ...quick, '--trials', '2', '--sampler', 'random', '--seed', '1', '--out', out, '--force']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(out).map((t) => t.number), [0, 1]);
  });

  it('--space narrows the space and regroups layers; a bad space file is refused naming the field', () => {
    const spaceFile = path.join(tmp.dir, 'space.json');
    fs.writeFileSync(spaceFile, JSON.stringify({
      groups: { early: ['block1_conv1', 'block1_conv2'], late: ['block2_conv1', 'block2_conv2', 'block3_conv1', 'block3_conv2', 'fc1', 'classifier'] },
      params: { 'early.rule': { choices: ['gamma'] }, 'early.gamma': { low: 0.1, high: 1 }, abs_sort: { choices: ['true'] }, least_relevant_first: { choices: ['true'] } },
    }));
    const out = path.join(tmp.dir, 'narrow');
    const r = pxp(['search', '--model', MODEL, ...quick, '--trials', '3', '--sampler', 'random', '--space', spaceFile, '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    for (const t of lines(out)) {
      assert.equal(t.params['early.rule'], 'gamma');
      assert.ok(t.params['early.gamma'] >= 0.1 && t.params['early.gamma'] <= 1);
      assert.equal(t.params.abs_sort, 'true');
      assert.ok(!('low.rule' in t.params));
    }
    fs.writeFileSync(spaceFile, JSON.stringify({ groups: { early: ['block1_convX'] } }));
    const bad = pxp(['search', '--model', MODEL, ...quick, '--trials', '1', '--space', spaceFile, '--out', path.join(tmp.dir, 'bad')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /space\.json: groups\.early\[0\]: 'block1_convX' is not a conv or dense layer/);
    assert.ok(!fs.existsSync(path.join(tmp.dir, 'bad')));
  });

  it('resumes after the process is killed with SIGKILL mid-search, losing at most the trial in flight', async () => {
    const args = ['search', '--model', MODEL, ...quick, '--trials', '5', '--seed', '4', '--startup-trials', '2'];
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
    assert.ok(before >= 2 && before < 5, `killed after ${before} trials`);
    const r = pxp([...args, '--out', killed, '--resume']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(killed).map((t) => [t.params, t.auc]), lines(whole).map((t) => [t.params, t.auc]));
  });

  it('reuses relevance for points that differ only in abs_sort or least_relevant_first', () => {
    const spaceFile = path.join(tmp.dir, 'space.json');
    const zplus = { choices: ['z-plus'] };
    fs.writeFileSync(spaceFile, JSON.stringify({ params: { 'low.rule': zplus, 'mid.rule': zplus, 'high.rule': zplus, 'fc.rule': { choices: ['epsilon'] }, 'first.rule': { choices: ['flat'] } } }));
    const out = path.join(tmp.dir, 'cache');
    const r = pxp(['search', '--model', MODEL, ...quick, '--space', spaceFile, '--sampler', 'grid', '--trials', '4', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    // The grid walks fc.epsilon (its grid) × abs_sort × least_relevant_first, the switches fastest: the first four
    // trials share fc.epsilon = 1e-6 and only flip switches.
    assert.deepEqual(lines(out).map((t) => t.cached), [false, true, true, true]);
    assert.equal(r.json.relevanceComputed, 1);
  });

  it('--workers 2 runs trials side by side: the same objective as one thread, and an exact resume', () => {
    const args = ['search', '--model', MODEL, ...quick, '--seed', '5', '--startup-trials', '2'];
    const pairs = (dir: string) => lines(dir).map((t) => [t.number, t.params, t.auc]);
    const parallel = path.join(tmp.dir, 'parallel');
    const r = pxp([...args, '--trials', '5', '--workers', '2', '--out', parallel, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.workers, 2);
    const serial = path.join(tmp.dir, 'serial');
    assert.equal(pxp([...args, '--trials', '3', '--out', serial]).code, 0);
    // Trials 0–1 are random and trial 2 starts a batch (it sees both finished), so they match the one-thread run;
    // trial 3 runs beside trial 2 and cannot see its value.
    assert.deepEqual(pairs(parallel).slice(0, 3), pairs(serial));
    const resumed = path.join(tmp.dir, 'resumed');
    assert.equal(pxp([...args, '--trials', '3', '--workers', '2', '--out', resumed]).code, 0);
    assert.equal(pxp([...args, '--trials', '5', '--out', resumed, '--resume']).code, 2, 'resuming needs the same --workers');
    const again = pxp([...args, '--trials', '5', '--workers', '2', '--out', resumed, '--resume']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(pairs(resumed), pairs(parallel));
  });

  it('--workers 2 shares one relevance computation between trials of a batch with the same rules', () => {
    const spaceFile = path.join(tmp.dir, 'space.json');
    const zplus = { choices: ['z-plus'] };
    fs.writeFileSync(spaceFile, JSON.stringify({ params: { 'low.rule': zplus, 'mid.rule': zplus, 'high.rule': zplus, 'fc.rule': { choices: ['epsilon'] }, 'first.rule': { choices: ['flat'] } } }));
    const out = path.join(tmp.dir, 'cache');
    const r = pxp(['search', '--model', MODEL, ...quick, '--space', spaceFile, '--sampler', 'grid', '--trials', '4', '--workers', '2', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(out).map((t) => t.cached), [false, true, true, true]);
    assert.equal(r.json.relevanceComputed, 1);
  });

  it('the same seed gives identical trials.jsonl (timings aside)', () => {
    const runs = ['a', 'b'].map((name) => {
      const out = path.join(tmp.dir, name);
      assert.equal(pxp(['search', '--model', MODEL, ...quick, '--trials', '4', '--seed', '9', '--startup-trials', '2', '--out', out]).code, 0);
      return lines(out).map(({ seconds: _seconds, ...rest }) => rest);
    });
    assert.deepEqual(runs[0], runs[1]);
  });

  it('on the demo model the best of 20 trials is at least as good as the best preset', () => {
    const out = path.join(tmp.dir, 'twenty');
    const r = pxp(['search', '--model', MODEL, ...data, '--baselines', 'presets', '--trials', '20', '--seed', '0', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const presets = r.json.comparison.filter((c: { criterion: string }) => c.criterion !== 'lrp:best-composite.json');
    assert.equal(presets.length, 5);
    const bestPreset = Math.max(...presets.map((c: { auc: number }) => c.auc));
    assert.ok(r.json.best.auc >= bestPreset, `search ${r.json.best.auc} vs best preset ${bestPreset}`);
  });

  it('bad input: --trials 0, or --resume on a run that is not a search: exit 2, nothing overwritten', () => {
    const zero = pxp(['search', '--model', MODEL, ...quick, '--trials', '0', '--out', path.join(tmp.dir, 'zero')]);
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /--trials 0/);
    assert.ok(!fs.existsSync(path.join(tmp.dir, 'zero')));
    const prune = path.join(tmp.dir, 'prune');
    assert.equal(pxp(['prune', '--model', MODEL, ...data, '--criterion', 'weight', '--rates', '0', '--out', prune]).code, 0);
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
    assert.equal(pxp(['search', '--model', MODEL, ...quick, '--trials', '1', '--out', path.join(tmp.dir, 'none'), '--resume']).code, 2);
  });
});
