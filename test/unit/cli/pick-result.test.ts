import assert from 'node:assert/strict';
import type { CommandContext } from '../../../src/cli/command';
import { pickResult } from '../../../src/cli/commands/search';
import { trapezoidAuc } from '../../../src/core/prune/ranking';
import type { AttributionObjective } from '../../../src/core/search/attribution-search';
import type { Trial } from '../../../src/core/search/space';

const rates = [0, 0.5, 1];
const n = 200;

/** A fake objective: point `k` gets samples 0 … right[k]−1 right at rate 0.5 (all at 0, none at 1). */
function objective(right: number[], asked: number[]): AttributionObjective {
  return {
    async evaluate(p: Trial['params'], _e: unknown, perSample: boolean) {
      const k = Number(p.k);
      asked.push(k);
      const correct = [
        new Uint8Array(n).fill(1),
        Uint8Array.from({ length: n }, (_, i) => (i < right[k] ? 1 : 0)),
        new Uint8Array(n),
      ];
      const acc = correct.map((c) => c.reduce((a, v) => a + v, 0) / n);
      return {
        criterion: 'lrp:trial',
        points: rates.map((rate, i) => ({ rate, removed: 0, accuracy: acc[i], params: 0, flops: 0 })),
        auc: trapezoidAuc(rates, acc),
        ...(perSample ? { correct } : {}),
      };
    },
  } as unknown as AttributionObjective;
}

const ctx = { progress: () => undefined } as unknown as CommandContext;
const trialsFor = (right: number[]) =>
  right.map((r, k) => ({ number: k, params: { k: String(k) }, value: trapezoidAuc(rates, [1, r / n, 0]) }));

describe('pxp search: which trial is the result (pickResult)', () => {
  it('the best trial when it is a starting point, without any further evaluation', async () => {
    const asked: number[] = [];
    const r = await pickResult(trialsFor([100, 150, 90, 140]), 2, objective([100, 150, 90, 140], asked), ctx);
    assert.equal(r.best.number, 1);
    assert.equal(r.selection, undefined);
    assert.deepEqual(asked, []);
  });

  it('the best starting point when the better trials gain within the noise; the first clear winner otherwise', async () => {
    // Starting points 0 and 1 (best: 1, 150 right); trial 3 is 2 samples better, trial 2 is 40.
    const right = [100, 150, 190, 152, 151];
    const asked: number[] = [];
    const noisy = await pickResult(
      trialsFor([100, 150, 90, 152, 151]),
      2,
      objective([100, 150, 90, 152, 151], asked),
      ctx,
    );
    assert.equal(noisy.best.number, 1);
    assert.deepEqual(
      noisy.selection?.candidates.map((c) => c.number),
      [3, 4],
      'only trials above the best starting point, best first; trial 2 is below it',
    );
    assert.deepEqual(asked, [1, 3, 4]);
    const clear = await pickResult(trialsFor(right), 2, objective(right, []), ctx);
    assert.equal(clear.best.number, 2);
    assert.equal(clear.selection?.picked, 2);
    assert.equal(clear.selection?.base.number, 1);
  });

  it('without starting points, the best trial', async () => {
    const r = await pickResult(trialsFor([100, 150]), 0, objective([100, 150], []), ctx);
    assert.equal(r.best.number, 1);
    assert.equal(r.selection, undefined);
  });
});
