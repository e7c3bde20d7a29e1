import assert from 'node:assert/strict';
import { PxpError } from '../../../src/core/errors';
import { GridSampler, gridPoints } from '../../../src/core/search/grid-sampler';
import type { SearchSpace, Trial } from '../../../src/core/search/space';

describe('grid sampler', () => {
  it('enumerates the full cartesian product in a stable order (first parameter slowest)', () => {
    const space: SearchSpace = [
      { kind: 'categorical', name: 'rule', choices: ['a', 'b'] },
      { kind: 'categorical', name: 'abs', choices: ['true', 'false'] },
      { kind: 'int', name: 'k', low: 1, high: 3 },
    ];
    const points = gridPoints(space);
    assert.equal(points.length, 12);
    assert.deepEqual(points.slice(0, 4), [
      { rule: 'a', abs: 'true', k: 1 },
      { rule: 'a', abs: 'true', k: 2 },
      { rule: 'a', abs: 'true', k: 3 },
      { rule: 'a', abs: 'false', k: 1 },
    ]);
    assert.deepEqual(points[11], { rule: 'b', abs: 'false', k: 3 });
    assert.equal(new Set(points.map((p) => JSON.stringify(p))).size, 12);
    assert.deepEqual(gridPoints(space), points);
  });

  it('expands conditional parameters only under their parent values', () => {
    const space: SearchSpace = [
      { kind: 'categorical', name: 'rule', choices: ['epsilon', 'z-plus', 'alpha-beta'] },
      {
        kind: 'float',
        name: 'eps',
        low: 1e-6,
        high: 1,
        log: true,
        grid: [1e-6, 1e-3, 1],
        when: { param: 'rule', equals: ['epsilon'] },
      },
      { kind: 'float', name: 'alpha', low: 1, high: 3, grid: [1, 2], when: { param: 'rule', equals: ['alpha-beta'] } },
      { kind: 'categorical', name: 'abs', choices: ['true', 'false'] },
    ];
    const points = gridPoints(space);
    assert.equal(points.length, (3 + 1 + 2) * 2);
    assert.deepEqual(points[0], { rule: 'epsilon', eps: 1e-6, abs: 'true' });
    assert.deepEqual(points[6], { rule: 'z-plus', abs: 'true' });
    assert.deepEqual(points[8], { rule: 'alpha-beta', alpha: 1, abs: 'true' });
  });

  it('requires a grid for floats (badInput naming the parameter)', () => {
    assert.throws(
      () => new GridSampler([{ kind: 'float', name: 'low.epsilon', low: 1e-6, high: 1, log: true }]),
      (e: unknown) => e instanceof PxpError && e.code === 'bad-input' && /low\.epsilon/.test(e.message),
    );
  });

  it('suggests each point once in order, skipping points already in the history, then cycles', () => {
    const g = new GridSampler([
      { kind: 'categorical', name: 'r', choices: ['a', 'b', 'c'] },
      { kind: 'categorical', name: 's', choices: ['x', 'y'] },
    ]);
    const history: Trial[] = [];
    for (let i = 0; i < 6; i++) history.push({ number: i, params: g.suggest(history), value: i });
    assert.deepEqual(
      history.map((t) => t.params),
      g.points,
    );
    assert.ok(g.exhausted(history));
    // a history in another order (e.g. resumed from disk) still yields the first missing point
    const partial: Trial[] = [
      { number: 0, params: { s: 'x', r: 'a' } },
      { number: 1, params: { r: 'b', s: 'x' } },
    ];
    assert.deepEqual(g.suggest(partial), { r: 'a', s: 'y' });
    assert.deepEqual(g.suggest(history), g.points[0]);
  });
});
