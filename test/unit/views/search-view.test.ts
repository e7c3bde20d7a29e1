import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { isSearchView } from '../../../src/protocol/webview';
import { parseTrialRows, readSearchSnapshot } from '../../../src/views/search-view';
import { tempDir } from '../../helpers/tmp';
import { demoRuns } from './demo-runs';

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

describe('search view of a finished run', function () {
  this.timeout(300_000);

  it('lists the trials of trials.jsonl with the best AUC after each and the best of run.json', () => {
    const { search } = demoRuns();
    const { view } = readSearchSnapshot(search);
    const lines = fs
      .readFileSync(path.join(search, 'trials.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const run = readJson(path.join(search, 'run.json'));
    assert.equal(view.status, 'done');
    assert.deepEqual(
      view.trials.map((t) => [t.number, t.auc, t.seconds]),
      lines.map((l) => [l.number, l.auc, l.seconds]),
    );
    let best = -Infinity;
    assert.deepEqual(
      view.bestSoFar,
      lines.map((l) => (best = Math.max(best, l.auc))),
    );
    assert.equal(view.best?.auc, run.best.auc);
    assert.equal(view.best?.number, run.best.number);
    assert.equal(view.trialsWanted, 3);
    assert.ok(
      view.trials.every((t) => t.label.length > 0 && t.label.includes('init')),
      'each trial has its parameters in words',
    );
    assert.ok(isSearchView(view));
  });

  it('has the comparison curves of comparison.json: the best composite and the requested baselines', () => {
    const { search } = demoRuns();
    const { view } = readSearchSnapshot(search);
    const comparison = readJson(path.join(search, 'comparison.json'));
    assert.deepEqual(view.comparison, comparison.curves);
    assert.deepEqual(
      view.comparison!.map((c) => c.criterion),
      ['lrp:best-composite.json', 'lrp:epsilon-plus-flat', 'random'],
    );
  });

  it('weighs every parameter of the space, with shares that sum to 1 (or are all 0 when the AUC did not vary)', () => {
    const { search } = demoRuns();
    const { view } = readSearchSnapshot(search);
    const run = readJson(path.join(search, 'run.json'));
    assert.deepEqual(view.importance.map((p) => p.name).sort(), run.space.map((p: { name: string }) => p.name).sort());
    const total = view.importance.reduce((a, p) => a + p.importance, 0);
    const aucs = view.trials.map((t) => t.auc);
    assert.ok(
      Math.max(...aucs) > Math.min(...aucs) ? Math.abs(total - 1) < 1e-9 : total === 0,
      `shares sum to ${total}`,
    );
  });
});

describe('search view while the search runs', function () {
  this.timeout(300_000);

  it('reads trials as they are appended, leaving a line still being written for the next read', () => {
    const { search } = demoRuns();
    const text = fs.readFileSync(path.join(search, 'trials.jsonl'), 'utf8');
    const lines = text.trim().split('\n');
    const { dir, cleanup } = tempDir();
    try {
      const run = readJson(path.join(search, 'run.json'));
      fs.writeFileSync(
        path.join(dir, 'run.json'),
        JSON.stringify({
          command: 'search',
          model: run.model,
          sampler: run.sampler,
          space: run.space,
          status: 'running',
        }),
      );
      // One trial done, the second half written.
      const partial = `${lines[0]}\n${lines[1].slice(0, 40)}`;
      fs.writeFileSync(path.join(dir, 'trials.jsonl'), partial);
      const first = readSearchSnapshot(dir);
      assert.equal(first.view.status, 'running');
      assert.equal(first.view.comparison, undefined);
      assert.deepEqual(
        first.view.trials.map((t) => t.number),
        [0],
      );
      assert.equal(first.trialsConsumed, lines[0].length + 1);
      // The writer finishes the line and appends another: reading on from `consumed` gives exactly the new trials.
      fs.writeFileSync(path.join(dir, 'trials.jsonl'), `${lines[0]}\n${lines[1]}\n${lines[2]}\n`);
      const more = parseTrialRows(fs.readFileSync(path.join(dir, 'trials.jsonl'), 'utf8').slice(first.trialsConsumed));
      assert.deepEqual(
        more.trials.map((t) => t.number),
        [1, 2],
      );
      assert.equal(first.trialsConsumed + more.consumed, text.length);
    } finally {
      cleanup();
    }
  });

  it('stops at a line that is not a trial, and an empty log is no trials', () => {
    const good = JSON.stringify({
      number: 0,
      params: { 'low.rule': 'z-plus' },
      auc: 0.4,
      curve: [{ rate: 0, accuracy: 0.9 }],
      seconds: 1,
      cached: false,
    });
    const parsed = parseTrialRows(`${good}\n{"number": "one"}\n${good}\n`);
    assert.equal(parsed.trials.length, 1);
    assert.equal(parsed.consumed, good.length + 1);
    assert.deepEqual(parseTrialRows(''), { trials: [], consumed: 0 });
  });
});
