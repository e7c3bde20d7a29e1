import assert from 'node:assert/strict';
import { trapezoidAuc } from '../../../src/core/prune/ranking';
import {
  SELECTION_Z,
  describeSelection,
  pairedGain,
  perSampleAuc,
  selectTrial,
} from '../../../src/core/search/selection';

const rates = [0, 0.5, 1];
/** Per rate, which of the samples are right, from strings like '1101' (one per rate). */
const curve = (...perRate: string[]) => perRate.map((r) => Uint8Array.from([...r].map(Number)));

describe('search result selection (issue 13: a pick beyond the noise)', () => {
  it("a sample's AUC share is the trapezoid of its own correctness; their mean is the curve's AUC", () => {
    // Sample 0 right everywhere: 1. Sample 1 right at rate 0 only: 0.25. Sample 2 right at 0 and 0.5: 0.75.
    const c = curve('111', '101', '100');
    assert.deepEqual(Array.from(perSampleAuc(rates, c)), [1, 0.25, 0.75]);
    const accuracies = c.map((r) => r.reduce((a, v) => a + v, 0) / r.length);
    const mean = Array.from(perSampleAuc(rates, c)).reduce((a, v) => a + v, 0) / 3;
    assert.ok(Math.abs(mean - trapezoidAuc(rates, accuracies)) < 1e-15);
  });

  it('the paired gain, its standard error and z, by hand', () => {
    // a: shares [1, 0.75, 0.25, 1]; b: [0.75, 0.75, 0.25, 0.5]; differences [0.25, 0, 0, 0.5].
    const a = curve('1111', '1101', '1001');
    const b = curve('1110', '1101', '0000');
    assert.deepEqual(Array.from(perSampleAuc(rates, a)), [1, 0.75, 0.25, 1]);
    assert.deepEqual(Array.from(perSampleAuc(rates, b)), [0.75, 0.75, 0.25, 0.5]);
    const g = pairedGain(rates, a, b);
    const d = [0.25, 0, 0, 0.5];
    const mean = 0.1875;
    const sd = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / 3);
    assert.ok(Math.abs(g.gain - mean) < 1e-15);
    assert.ok(Math.abs(g.se - sd / 2) < 1e-15);
    assert.ok(Math.abs(g.z - mean / (sd / 2)) < 1e-12);
    assert.deepEqual(pairedGain(rates, a, a), { gain: 0, se: 0, z: 0 });
  });

  it('keeps the best starting point when the better trials are within the noise, and takes one that is not', () => {
    const n = 400;
    const row = (f: (i: number) => number) => Uint8Array.from({ length: n }, (_, i) => f(i));
    const base = { number: 2, auc: 0, correct: [row(() => 1), row((i) => (i % 2 === 0 ? 1 : 0)), row(() => 0)] };
    // Noise: 3 samples better (1, 3, 5), 2 worse (4, 6) than the base at rate 0.5.
    const noisy = {
      number: 7,
      auc: 0,
      correct: [
        base.correct[0],
        row((i) => ([1, 3, 5].includes(i) || (i % 2 === 0 && i !== 4 && i !== 6) ? 1 : 0)),
        base.correct[2],
      ],
    };
    // Clear: 60 more samples right at rate 0.5 and none fewer.
    const clear = {
      number: 9,
      auc: 0,
      correct: [base.correct[0], row((i) => (i % 2 === 0 || i < 120 ? 1 : 0)), base.correct[2]],
    };
    for (const c of [base, noisy, clear])
      c.auc = trapezoidAuc(
        rates,
        c.correct.map((r) => r.reduce((a, v) => a + v, 0) / n),
      );
    assert.ok(noisy.auc > base.auc && clear.auc > noisy.auc);
    const kept = selectTrial(rates, base, [noisy]);
    assert.equal(kept.picked, 2);
    assert.ok(kept.candidates[0].z > 0 && kept.candidates[0].z < SELECTION_Z, `z ${kept.candidates[0].z}`);
    assert.match(
      describeSelection(kept),
      /^kept trial 3, the best starting point .*: the best trial, 8 .* within the noise$/,
    );
    const taken = selectTrial(rates, base, [noisy, clear]);
    assert.equal(taken.picked, 9);
    assert.deepEqual(
      taken.candidates.map((c) => c.number),
      [9, 7],
      'the best trial is tested first',
    );
    assert.ok(taken.candidates[0].z >= SELECTION_Z);
    assert.match(
      describeSelection(taken),
      /^trial 10 beats the best starting point, trial 3 .* \(z \d+\.\d\d ≥ 1\.645\)$/,
    );
  });
});
