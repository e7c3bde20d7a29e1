import assert from 'node:assert/strict';
import { mulberry32 } from '../../../src/core/random';
import { parameterImportance } from '../../../src/core/search/importance';
import type { Params, SearchSpace } from '../../../src/core/search/space';

const space: SearchSpace = [
  { kind: 'categorical', name: 'rule', choices: ['epsilon', 'z-plus', 'alpha-beta', 'gamma'] },
  { kind: 'float', name: 'epsilon', low: 1e-6, high: 1, log: true, when: { param: 'rule', equals: ['epsilon'] } },
  { kind: 'float', name: 'alpha', low: 1, high: 3, when: { param: 'rule', equals: ['alpha-beta'] } },
  { kind: 'categorical', name: 'abs_sort', choices: ['true', 'false'] },
  { kind: 'int', name: 'steps', low: 1, high: 8 },
  { kind: 'float', name: 'lr', low: 1e-4, high: 1, log: true },
];

/** n random points of the space (active parameters only), reproducible. */
function points(n: number, seed = 7): Params[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const logU = (lo: number, hi: number) => Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo)));
  return Array.from({ length: n }, () => {
    const rule = pick(['epsilon', 'z-plus', 'alpha-beta', 'gamma']);
    const p: Params = { rule };
    if (rule === 'epsilon') p.epsilon = logU(1e-6, 1);
    if (rule === 'alpha-beta') p.alpha = 1 + 2 * rand();
    p.abs_sort = pick(['true', 'false']);
    p.steps = 1 + Math.floor(rand() * 8);
    p.lr = logU(1e-4, 1);
    return p;
  });
}

const byName = (rows: { name: string; importance: number }[]) =>
  Object.fromEntries(rows.map((r) => [r.name, r.importance]));

describe('parameter importance (main-effect variance share)', () => {
  it('gives a categorical that alone decides the AUC an importance near 1, the others near 0', () => {
    const auc: Record<string, number> = { epsilon: 0.9, 'z-plus': 0.5, 'alpha-beta': 0.7, gamma: 0.6 };
    const trials = points(400).map((params) => ({ params, value: auc[params.rule as string] }));
    const rows = parameterImportance(space, trials);
    const imp = byName(rows);
    assert.equal(rows[0].name, 'rule');
    assert.ok(imp.rule > 0.9, JSON.stringify(rows));
    for (const name of ['abs_sort', 'steps', 'lr', 'epsilon', 'alpha'])
      assert.ok(imp[name] < 0.05, `${name}: ${imp[name]}`);
    assert.ok(Math.abs(rows.reduce((a, r) => a + r.importance, 0) - 1) < 1e-12);
  });

  it('finds a log-scaled float that decides the AUC through its logarithm', () => {
    const trials = points(400, 11).map((params) => ({ params, value: 0.5 + 0.05 * Math.log10(params.lr as number) }));
    const imp = byName(parameterImportance(space, trials));
    assert.ok(imp.lr > 0.9, JSON.stringify(imp));
    for (const name of ['rule', 'abs_sort', 'steps', 'epsilon', 'alpha'])
      assert.ok(imp[name] < 0.05, `${name}: ${imp[name]}`);
  });

  it('weights a conditional parameter by how often it is active', () => {
    // The AUC follows epsilon where it exists (a quarter of the trials) and is constant elsewhere.
    const trials = points(400, 5).map((params) => ({
      params,
      value: params.rule === 'epsilon' ? 0.8 + 0.01 * Math.log10(params.epsilon as number) : 0.8,
    }));
    const rows = parameterImportance(space, trials);
    const imp = byName(rows);
    // rule matters too (the epsilon trials' mean differs from the rest); epsilon counts a quarter of its within-group share.
    assert.deepEqual(
      rows
        .slice(0, 2)
        .map((r) => r.name)
        .sort(),
      ['epsilon', 'rule'],
      JSON.stringify(rows),
    );
    assert.ok(imp.epsilon > 0.15 && imp.epsilon < 0.5, JSON.stringify(rows));
    for (const name of ['abs_sort', 'steps', 'lr', 'alpha']) assert.ok(imp[name] < 0.05, `${name}: ${imp[name]}`);
  });

  it('is all zero when the AUC does not vary, or with a single trial; lists every parameter', () => {
    const same = points(50).map((params) => ({ params, value: 0.75 }));
    const rows = parameterImportance(space, same);
    assert.deepEqual(
      rows.map((r) => r.name),
      space.map((p) => p.name),
    );
    assert.ok(rows.every((r) => r.importance === 0));
    assert.ok(parameterImportance(space, [{ params: points(1)[0], value: 0.6 }]).every((r) => r.importance === 0));
    assert.ok(parameterImportance(space, []).every((r) => r.importance === 0));
  });

  it('is deterministic and ignores trials without a value', () => {
    const trials = points(60, 3).map((params, i) => ({
      params,
      value: i % 7 === 0 ? undefined : (params.steps as number) / 10 + (params.abs_sort === 'true' ? 0.2 : 0),
    }));
    const a = parameterImportance(space, trials);
    assert.deepEqual(parameterImportance(space, trials), a);
    assert.deepEqual(
      parameterImportance(
        space,
        trials.filter((t) => t.value !== undefined),
      ),
      a,
    );
    assert.ok(
      a
        .slice(0, 2)
        .map((r) => r.name)
        .sort()
        .join() === 'abs_sort,steps',
      JSON.stringify(a),
    );
  });
});
