import assert from 'node:assert/strict';
import { RandomSampler } from '../../../src/core/search/random-sampler';
import type { Params, Sampler, SearchSpace } from '../../../src/core/search/space';
import { bestTrial, optimize } from '../../../src/core/search/study';
import { TpeSampler } from '../../../src/core/search/tpe';

const SEEDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const BUDGET = 40;

async function meanBest(
  make: (seed: number) => Sampler,
  objective: (p: Params) => number,
): Promise<{ mean: number; bests: number[] }> {
  const bests: number[] = [];
  for (const seed of SEEDS) {
    // async objective, the way the search will call it
    const trials = await optimize(make(seed), async (p) => objective(p), BUDGET);
    bests.push(bestTrial(trials)!.value!);
  }
  return { mean: bests.reduce((a, b) => a + b, 0) / bests.length, bests };
}

function report(name: string, rnd: { mean: number; bests: number[] }, tpe: { mean: number; bests: number[] }): void {
  const wins = tpe.bests.filter((v, i) => v > rnd.bests[i]).length;
  console.log(
    `      ${name}: mean best over ${SEEDS.length} seeds × ${BUDGET} trials — random ${rnd.mean.toExponential(3)}, ` +
      `TPE ${tpe.mean.toExponential(3)} (TPE better on ${wins}/${SEEDS.length} seeds)`,
  );
}

describe('TPE beats random search on synthetic objectives (fixed seeds)', () => {
  it('2-D continuous bowl −(x−0.3)² − (y−0.7)² on [0,1]²', async () => {
    const space: SearchSpace = [
      { kind: 'float', name: 'x', low: 0, high: 1 },
      { kind: 'float', name: 'y', low: 0, high: 1 },
    ];
    const f = (p: Params) => -(((p.x as number) - 0.3) ** 2) - ((p.y as number) - 0.7) ** 2;
    const rnd = await meanBest((seed) => new RandomSampler(space, { seed }), f);
    const tpe = await meanBest((seed) => new TpeSampler(space, { seed }), f);
    report('bowl', rnd, tpe);
    // regret (distance of the best value from the optimum 0) at most half of random's
    assert.ok(-tpe.mean < 0.5 * -rnd.mean, `TPE ${tpe.mean} vs random ${rnd.mean}`);
  });

  it('mixed conditional space: rule ∈ {a,b,c,d}, log eps only for a, alpha only for c; best at a with eps ≈ 1e-3', async () => {
    const space: SearchSpace = [
      { kind: 'categorical', name: 'rule', choices: ['a', 'b', 'c', 'd'] },
      { kind: 'float', name: 'eps', low: 1e-6, high: 1, log: true, when: { param: 'rule', equals: ['a'] } },
      { kind: 'float', name: 'alpha', low: 1, high: 3, when: { param: 'rule', equals: ['c'] } },
    ];
    const f = (p: Params) => {
      switch (p.rule) {
        case 'a':
          return -Math.abs(Math.log10(p.eps as number) + 3); // in [−3, 0], 0 at eps = 1e-3
        case 'c':
          return -2 - 0.1 * ((p.alpha as number) - 2) ** 2;
        case 'b':
          return -2.5;
        default:
          return -3;
      }
    };
    const rnd = await meanBest((seed) => new RandomSampler(space, { seed }), f);
    const tpe = await meanBest((seed) => new TpeSampler(space, { seed }), f);
    report('mixed', rnd, tpe);
    assert.ok(-tpe.mean < 0.25 * -rnd.mean, `TPE ${tpe.mean} vs random ${rnd.mean}`);
    assert.ok(
      tpe.bests.every((v) => v > -0.5),
      'TPE found rule a with eps within half a decade of 1e-3 on every seed',
    );
  });
});
