import assert from 'node:assert/strict';
import { mulberry32 } from '../../../src/core/random';
import { RandomSampler } from '../../../src/core/search/random-sampler';
import { GridSampler } from '../../../src/core/search/grid-sampler';
import { activeParams, type Params, type SearchSpace, type Trial } from '../../../src/core/search/space';
import { optimize } from '../../../src/core/search/study';
import { TpeSampler, TruncatedMixture, defaultGamma, defaultWeights } from '../../../src/core/search/tpe';

const space: SearchSpace = [
  { kind: 'categorical', name: 'rule', choices: ['epsilon', 'z-plus', 'alpha-beta', 'gamma'] },
  {
    kind: 'float',
    name: 'epsilon',
    low: 1e-6,
    high: 1,
    log: true,
    grid: [1e-6, 1e-3, 1],
    when: { param: 'rule', equals: ['epsilon'] },
  },
  {
    kind: 'float',
    name: 'gamma',
    low: 1e-3,
    high: 10,
    log: true,
    grid: [0.01, 0.25],
    when: { param: 'rule', equals: ['gamma'] },
  },
  { kind: 'float', name: 'alpha', low: 1, high: 3, grid: [1, 2], when: { param: 'rule', equals: ['alpha-beta'] } },
  { kind: 'categorical', name: 'abs_sort', choices: ['true', 'false'] },
  { kind: 'int', name: 'steps', low: 1, high: 4 },
];

/** Active parameters present with legal values; inactive ones absent. */
function assertConforms(params: Params): void {
  const active = activeParams(space, params);
  assert.deepEqual(Object.keys(params).sort(), active.map((p) => p.name).sort(), JSON.stringify(params));
  for (const p of active) {
    const v = params[p.name];
    if (p.kind === 'categorical') assert.ok(p.choices.includes(v as string), `${p.name}=${v}`);
    else {
      assert.equal(typeof v, 'number');
      assert.ok((v as number) >= p.low && (v as number) <= p.high, `${p.name}=${v} in [${p.low}, ${p.high}]`);
      if (p.kind === 'int') assert.ok(Number.isInteger(v), `${p.name}=${v} integer`);
    }
  }
}

/** A made-up objective over the space so that the TPE has something to model. */
const objective = (p: Params): number =>
  (p.rule === 'epsilon'
    ? -Math.abs(Math.log10(p.epsilon as number) + 2)
    : p.rule === 'gamma'
      ? -1 - Math.abs(Math.log10(p.gamma as number))
      : -3) +
  (p.abs_sort === 'true' ? 0.5 : 0) -
  0.1 * Math.abs((p.steps as number) - 3);

describe('samplers: conditions, bounds, determinism', () => {
  it('random sampler: inactive params absent, active present and within bounds, every choice reached', () => {
    const s = new RandomSampler(space, { seed: 7 });
    const seen = new Set<string>();
    const steps = new Set<number>();
    const history: Trial[] = [];
    for (let i = 0; i < 400; i++) {
      const params = s.suggest(history);
      assertConforms(params);
      seen.add(params.rule as string);
      steps.add(params.steps as number);
      history.push({ number: i, params, value: 0 });
    }
    assert.equal(seen.size, 4);
    assert.deepEqual([...steps].sort(), [1, 2, 3, 4]);
  });

  it('random sampler: log-uniform median near the geometric mean, uniform median near the midpoint', () => {
    const s = new RandomSampler(
      [
        { kind: 'float', name: 'eps', low: 1e-6, high: 1, log: true },
        { kind: 'float', name: 'alpha', low: 1, high: 3 },
      ],
      { seed: 3 },
    );
    const eps: number[] = [];
    const alpha: number[] = [];
    const history: Trial[] = [];
    for (let i = 0; i < 4000; i++) {
      const p = s.suggest(history);
      eps.push(p.eps as number);
      alpha.push(p.alpha as number);
      history.push({ number: i, params: p });
    }
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
    // geometric mean of [1e-6, 1] is 1e-3; the median of log10 should be within ~0.15 decades of -3
    assert.ok(Math.abs(Math.log10(median(eps)) + 3) < 0.15, `log10 median ${Math.log10(median(eps))}`);
    assert.ok(Math.abs(median(alpha) - 2) < 0.06, `median ${median(alpha)}`);
    // and a decade holds about a sixth of the draws
    const frac = eps.filter((e) => e >= 1e-5 && e < 1e-4).length / eps.length;
    assert.ok(Math.abs(frac - 1 / 6) < 0.03, `fraction in [1e-5, 1e-4): ${frac}`);
  });

  it('TPE: every suggestion (random start-up and model-based) respects conditions and bounds', async () => {
    const trials = await optimize(new TpeSampler(space, { seed: 11 }), objective, 60);
    trials.forEach((t) => assertConforms(t.params));
    // the model-based phase used the conditional params too: epsilon appears after the start-up trials
    assert.ok(trials.slice(10).some((t) => 'epsilon' in t.params));
  });

  it('grid sampler: every point respects conditions and bounds', () => {
    const g = new GridSampler(space);
    g.points.forEach(assertConforms);
  });

  it('same seed → same sequence; another seed → another sequence (random and TPE)', async () => {
    for (const make of [
      (seed: number) => new RandomSampler(space, { seed }),
      (seed: number) => new TpeSampler(space, { seed }),
    ]) {
      const a = await optimize(make(5), objective, 30);
      const b = await optimize(make(5), objective, 30);
      const c = await optimize(make(6), objective, 30);
      assert.deepEqual(a, b);
      assert.notDeepEqual(
        a.map((t) => t.params),
        c.map((t) => t.params),
      );
    }
  });

  it('TPE: a suggestion is a function of seed and history only (a fresh sampler gives the same one)', async () => {
    const history = await optimize(new TpeSampler(space, { seed: 2 }), objective, 25);
    const s1 = new TpeSampler(space, { seed: 2 });
    s1.suggest(history.slice(0, 12)); // unrelated earlier call
    assert.deepEqual(s1.suggest(history), new TpeSampler(space, { seed: 2 }).suggest(history));
  });

  it('TPE: the start-up trials are the random sampler’s; running trials (no value) are not modelled', async () => {
    const tpe = await optimize(new TpeSampler(space, { seed: 9, startupTrials: 10 }), objective, 10);
    const rnd = await optimize(new RandomSampler(space, { seed: 9 }), objective, 10);
    assert.deepEqual(tpe, rnd);
    // with 9 finished + 5 running trials the TPE is still in its start-up phase
    const history: Trial[] = [
      ...tpe.slice(0, 9),
      ...tpe.slice(0, 5).map((t, i) => ({ number: 9 + i, params: t.params })),
    ];
    assert.deepEqual(
      new TpeSampler(space, { seed: 9 }).suggest(history),
      new RandomSampler(space, { seed: 9 }).suggest(history),
    );
  });

  it('TPE: concentrates near the good region of a 1-D objective', () => {
    const s1: SearchSpace = [{ kind: 'float', name: 'x', low: 0, high: 10 }];
    const history: Trial[] = [];
    for (let i = 0; i < 40; i++) {
      const x = (i * 7.3) % 10;
      history.push({ number: i, params: { x }, value: -Math.abs(x - 8) });
    }
    const tpe = new TpeSampler(s1, { seed: 1 });
    const xs: number[] = [];
    for (let k = 0; k < 50; k++)
      xs.push(tpe.suggest([...history, ...xs.map((x, j) => ({ number: 40 + j, params: { x } }))]).x as number);
    const near = xs.filter((x) => Math.abs(x - 8) < 1.5).length;
    assert.ok(near >= 35, `${near}/50 suggestions within 1.5 of the optimum`);
  });

  it('TPE helpers: γ(n), Optuna-like weights, and a truncated mixture integrating to 1', () => {
    assert.deepEqual([1, 10, 11, 100, 300, 1000].map(defaultGamma), [1, 1, 2, 10, 25, 25]);
    assert.deepEqual(defaultWeights(3), [1, 1, 1]);
    const w = defaultWeights(35);
    assert.equal(w.length, 35);
    assert.ok(Math.abs(w[0] - 1 / 35) < 1e-12 && Math.abs(w[9] - 1) < 1e-12 && w[10] === 1 && w[34] === 1);
    for (let i = 1; i < 35; i++) assert.ok(w[i] >= w[i - 1]);
    const m = new TruncatedMixture([0.1, 0.5, 0.95], [0.05, 1, 0.2], [0.2, 0.5, 0.3], 0, 1);
    let integral = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) integral += Math.exp(m.logPdf((i + 0.5) / n)) / n;
    assert.ok(Math.abs(integral - 1) < 1e-3, `∫pdf = ${integral}`);
    const rng = mulberry32(1);
    for (let i = 0; i < 1000; i++) {
      const x = m.sample(rng);
      assert.ok(x >= 0 && x <= 1);
    }
  });

  it('TPE: integer parameters stay integers within bounds in the model phase', async () => {
    const s: SearchSpace = [{ kind: 'int', name: 'k', low: -3, high: 5 }];
    const trials = await optimize(
      new TpeSampler(s, { seed: 4, startupTrials: 5 }),
      (p) => -Math.abs((p.k as number) - 4),
      40,
    );
    for (const t of trials)
      assert.ok(Number.isInteger(t.params.k) && (t.params.k as number) >= -3 && (t.params.k as number) <= 5);
    // uniform sampling would put about a third of the late trials in {3, 4, 5}
    const late = trials.slice(20).filter((t) => Math.abs((t.params.k as number) - 4) <= 1).length;
    assert.ok(late >= 10, `k within 1 of the optimum ${late}/20 times late in the search`);
    assert.ok(trials.some((t) => t.params.k === 4));
  });
});
