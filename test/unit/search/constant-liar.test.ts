import assert from 'node:assert/strict';
import { type LayerGroups } from '../../../src/core/search/layer-groups';
import { lrpSearchSpace, rulePattern } from '../../../src/core/search/lrp-space';
import type { Params, Trial } from '../../../src/core/search/space';
import { historyFor } from '../../../src/core/search/study';
import { JointParzen, TpeSampler } from '../../../src/core/search/tpe';

const groups: LayerGroups = { groups: { low: ['a'], mid: ['b'], high: ['c'], fc: ['d'] }, inert: [], softmax: 'none' };
const space = lrpSearchSpace(groups);

/** A made-up AUC with one clearly best rule pattern (z-plus low and mid, epsilon high and fc) and interactions. */
function objective(p: Params): number {
  const want: Record<string, string> = { low: 'z-plus', mid: 'z-plus', high: 'epsilon', fc: 'epsilon' };
  let v = 0;
  for (const [g, rule] of Object.entries(want)) v += p[`${g}.rule`] === rule ? 0.1 : 0;
  if (p['low.rule'] === p['mid.rule']) v += 0.05;
  return v + (p.abs_sort === 'true' ? 0.02 : 0) + (p.init === 'logit' ? 0.01 : 0);
}

/** Runs a search in batches of `workers` as pxp search does (trial k sees its batch's earlier trials running). */
function runBatches(sampler: TpeSampler, trials: number, workers: number): Trial[] {
  const done: Trial[] = [];
  while (done.length < trials) {
    const first = done.length;
    const batch: Trial[] = [];
    for (let n = first; n < Math.min(trials, first + workers); n++) {
      batch.push({ number: n, params: sampler.suggest(historyFor([...done, ...batch], n, workers)) });
    }
    for (const t of batch) done.push({ ...t, value: objective(t.params) });
  }
  return done;
}

/** Batches (from the first model-based one) whose two trials share the rules of every group. */
function twins(trials: Trial[], from: number): number {
  let n = 0;
  for (let i = from; i + 1 < trials.length; i += 2)
    if (rulePattern(trials[i].params) === rulePattern(trials[i + 1].params)) n++;
  return n;
}

describe('TPE with trials in flight (constant liar)', () => {
  it('a batch of 2 never proposes the same rule pattern twice (seed 0, 40 trials)', () => {
    const trials = runBatches(new TpeSampler(space, { seed: 0, startupTrials: 10, patternOf: rulePattern }), 40, 2);
    assert.equal(twins(trials, 10), 0);
    // Without the liar (running trials ignored) the same seed repeats patterns within batches: the test can fail.
    const blind = runBatches(
      new TpeSampler(space, { seed: 0, startupTrials: 10, patternOf: rulePattern, constantLiar: false }),
      40,
      2,
    );
    assert.ok(twins(blind, 10) >= 3, `${twins(blind, 10)} twin batches without the liar`);
  });

  it('still finds the best pattern, and one worker is unaffected (no trial is ever running then)', () => {
    const trials = runBatches(new TpeSampler(space, { seed: 0, startupTrials: 10, patternOf: rulePattern }), 40, 2);
    assert.ok(Math.max(...trials.map((t) => t.value!)) >= 0.47, 'the best pattern (0.45) with abs_sort');
    const serial = runBatches(new TpeSampler(space, { seed: 3 }), 20, 1);
    const again = runBatches(new TpeSampler(space, { seed: 3, constantLiar: false }), 20, 1);
    assert.deepEqual(serial, again);
  });

  it('models the parameters jointly: a component is the product over one trial’s parameters', () => {
    // Two good trials, (z-plus, z-plus) and (epsilon, epsilon): a joint density prefers those pairs to the mixed ones,
    // which univariate densities (the product of marginals) would rate the same.
    const a: Params = { 'low.rule': 'z-plus', 'mid.rule': 'z-plus' };
    const b: Params = { 'low.rule': 'epsilon', 'low.epsilon': 1e-3, 'mid.rule': 'epsilon', 'mid.epsilon': 1e-3 };
    const l = new JointParzen(space, [a, b], 1);
    const mixed = { 'low.rule': 'z-plus', 'mid.rule': 'epsilon', 'mid.epsilon': 1e-3 };
    assert.ok(l.logPdf(a) > l.logPdf(mixed) + 0.5, `${l.logPdf(a)} vs ${l.logPdf(mixed)}`);
  });
});
