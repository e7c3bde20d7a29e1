import assert from 'node:assert/strict';
import { jobRow, runRow, shortSubject, shortTime } from '../../../src/extension/runs/run-row';
import type { RunSummary } from '../../../src/extension/runs/run-summary';

const at = new Date(2026, 11, 6, 8, 51).getTime();
const run = (r: Partial<RunSummary>): RunSummary => ({
  dir: '/ws/.pxp/runs/x',
  name: 'x',
  kind: 'prune',
  mtimeMs: at,
  ...r,
});
// The widest label a row can have ("⚠ 100.0 % · 12.34×"): it fits the 300 px sidebar with room for the description.
const LABEL_CHARS = 18;

describe('Runs view rows (issue 17 item 8: status and key figures without truncation)', () => {
  it('a pruned model: pruned accuracy and speed-up as label, then criterion and time; every figure a child', () => {
    const r = runRow(
      run({
        name: 'prune-lrp-epsilon-plus-flat-rate0.25-20261206-085105',
        subject: 'lrp:epsilon-plus-flat',
        auc: 0.3371,
        accuracy: { original: 0.93, pruned: 0.912 },
        rate: 0.25,
        speedup: 1.4,
      }),
      at,
    );
    assert.equal(r.label, '91.2 % · 1.40×');
    assert.equal(r.description, 'prune · epsilon-plus-flat · 08:51');
    assert.deepEqual(r.details, [
      ['AUC', '0.3371'],
      ['accuracy', '93.0 → 91.2 %'],
      ['removed', '25 % · 1.40× faster'],
      ['criterion', 'lrp:epsilon-plus-flat'],
      ['finished', '08:51'],
      ['folder', 'prune-lrp-epsilon-plus-flat-rate0.25-20261206-085105'],
    ]);
    assert.match(r.tooltip, /AUC 0\.337 · 93\.0 → 91\.2 % · 25 % removed · 1\.40× faster/);
  });

  it('a collapse shows in the label; a composite file is named by its file name', () => {
    const r = runRow(
      run({
        subject: 'lrp:/home/me/studies/best-composite.json',
        accuracy: { original: 0.93, pruned: 0.096 },
        warning: { kind: 'collapse', text: 'Collapsed: near chance' },
        speedup: 12.345,
      }),
      at,
    );
    assert.equal(r.label, '⚠ 9.6 % · 12.35×');
    assert.ok(r.label.length <= LABEL_CHARS);
    assert.equal(r.description, 'prune · best-composite · 08:51');
    assert.ok(r.details.some(([k, v]) => k === '⚠' && v === 'Collapsed: near chance'));
  });

  it('rate 0 removes nothing: no speed-up is claimed from two timings of the same model', () => {
    const r = runRow(
      run({ subject: 'weight', accuracy: { original: 0.945, pruned: 0.945 }, rate: 0, speedup: 1.13 }),
      at,
    );
    assert.equal(r.label, '94.5 % · unchanged');
    assert.ok(r.details.some(([k, v]) => k === 'removed' && v === 'nothing (rate 0)'));
    assert.ok(!/faster/.test(r.tooltip + r.details.join(' ')), r.tooltip);
  });

  it('a curve or a search shows its AUC; a run without figures its kind', () => {
    const curve = runRow(run({ subject: 'taylor', auc: 0.41234, accuracy: { original: 0.93 } }), at);
    assert.deepEqual([curve.label, curve.description], ['AUC 0.412', 'prune · taylor · 08:51']);
    const search = runRow(run({ kind: 'search', trials: 25, auc: 0.45 }), at);
    assert.deepEqual([search.label, search.description], ['AUC 0.450', 'search · 25 trials · 08:51']);
    const relevance = runRow(run({ kind: 'relevance', subject: 'epsilon-gamma-box' }), at + 86_400_000);
    assert.deepEqual([relevance.label, relevance.description], ['relevance', 'epsilon-gamma-box · 12-06 08:51']);
    assert.deepEqual(relevance.details[0], ['composite', 'epsilon-gamma-box']);
  });

  it('a job shows its status as label, its title after it', () => {
    const running = jobRow({
      title: 'optimize attribution of model (50 trials)',
      status: 'running',
      done: 9,
      total: 20,
      message: 'trial 9/20',
    });
    assert.deepEqual(
      [running.label, running.description],
      ['running 45 %', 'optimize attribution of model (50 trials)'],
    );
    assert.equal(running.tooltip, 'optimize attribution of model (50 trials)\ntrial 9/20');
    const failed = jobRow({
      title: 'prune broken by weight',
      status: 'failed',
      done: 0,
      total: 0,
      message: '',
      error: 'bad',
    });
    assert.deepEqual(
      [failed.label, failed.description, failed.tooltip],
      ['failed', 'prune broken by weight', 'prune broken by weight\nbad'],
    );
  });

  it('shortSubject and shortTime', () => {
    assert.equal(shortSubject('lrp:/a/b/best-composite.json'), 'best-composite');
    assert.equal(shortSubject('lrp:epsilon-plus'), 'epsilon-plus');
    assert.equal(shortSubject('weight'), 'weight');
    assert.equal(shortTime(at, at + 3_600_000), '08:51');
    assert.equal(shortTime(at, at + 86_400_000), '12-06 08:51');
  });
});
