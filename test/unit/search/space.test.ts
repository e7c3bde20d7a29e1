import assert from 'node:assert/strict';
import { PxpError } from '../../../src/core/errors';
import { activeParams, isActive, validateSpace, type SearchSpace } from '../../../src/core/search/space';

const badInputNaming = (name: string) => (e: unknown) => {
  assert.ok(e instanceof PxpError, 'a PxpError');
  assert.equal(e.code, 'bad-input');
  assert.match(e.message, new RegExp(name.replace('.', '\\.')));
  return true;
};

const lrpSpace: SearchSpace = [
  { kind: 'categorical', name: 'low.rule', choices: ['epsilon', 'z-plus', 'alpha-beta', 'gamma'] },
  {
    kind: 'float',
    name: 'low.epsilon',
    low: 1e-6,
    high: 1,
    log: true,
    when: { param: 'low.rule', equals: ['epsilon'] },
  },
  { kind: 'float', name: 'low.gamma', low: 1e-3, high: 10, log: true, when: { param: 'low.rule', equals: ['gamma'] } },
  { kind: 'float', name: 'low.alpha', low: 1, high: 3, when: { param: 'low.rule', equals: ['alpha-beta'] } },
  { kind: 'categorical', name: 'abs_sort', choices: ['true', 'false'] },
  { kind: 'int', name: 'steps', low: 1, high: 4 },
];

describe('search space', () => {
  it('accepts a well-formed conditional space', () => {
    validateSpace(lrpSpace);
  });

  it('rejects a condition on an unknown parameter, naming the parameter', () => {
    assert.throws(
      () =>
        validateSpace([
          { kind: 'float', name: 'low.epsilon', low: 1e-6, high: 1, when: { param: 'low.rul', equals: ['epsilon'] } },
        ]),
      badInputNaming('low.epsilon'),
    );
  });

  it('rejects a condition on a parameter declared later, on a non-categorical, or on a value that is no choice', () => {
    assert.throws(
      () =>
        validateSpace([
          { kind: 'float', name: 'eps', low: 0, high: 1, when: { param: 'rule', equals: ['a'] } },
          { kind: 'categorical', name: 'rule', choices: ['a'] },
        ]),
      badInputNaming('eps'),
    );
    assert.throws(
      () =>
        validateSpace([
          { kind: 'float', name: 'x', low: 0, high: 1 },
          { kind: 'float', name: 'y', low: 0, high: 1, when: { param: 'x', equals: ['a'] } },
        ]),
      badInputNaming('y'),
    );
    assert.throws(
      () =>
        validateSpace([
          { kind: 'categorical', name: 'rule', choices: ['a', 'b'] },
          { kind: 'float', name: 'eps', low: 0, high: 1, when: { param: 'rule', equals: ['z'] } },
        ]),
      badInputNaming('eps'),
    );
  });

  it('rejects low ≥ high, naming the parameter', () => {
    assert.throws(() => validateSpace([{ kind: 'float', name: 'alpha', low: 3, high: 1 }]), badInputNaming('alpha'));
    assert.throws(() => validateSpace([{ kind: 'float', name: 'alpha', low: 2, high: 2 }]), badInputNaming('alpha'));
    assert.throws(() => validateSpace([{ kind: 'int', name: 'steps', low: 5, high: 5 }]), badInputNaming('steps'));
  });

  it('rejects a log float with low ≤ 0, naming the parameter', () => {
    assert.throws(
      () => validateSpace([{ kind: 'float', name: 'high.gamma', low: 0, high: 10, log: true }]),
      badInputNaming('high.gamma'),
    );
    assert.throws(
      () => validateSpace([{ kind: 'float', name: 'g', low: -1, high: 10, log: true }]),
      badInputNaming('g'),
    );
    validateSpace([{ kind: 'float', name: 'g', low: 0, high: 10 }]); // fine without log
  });

  it('rejects duplicate names, empty choices, non-integer int bounds and out-of-range grid values', () => {
    assert.throws(
      () =>
        validateSpace([
          { kind: 'categorical', name: 'r', choices: ['a'] },
          { kind: 'int', name: 'r', low: 0, high: 1 },
        ]),
      badInputNaming('r'),
    );
    assert.throws(() => validateSpace([{ kind: 'categorical', name: 'r', choices: [] }]), badInputNaming('r'));
    assert.throws(() => validateSpace([{ kind: 'int', name: 'n', low: 0.5, high: 3 }]), badInputNaming('n'));
    assert.throws(
      () => validateSpace([{ kind: 'float', name: 'f', low: 0, high: 1, grid: [0.5, 2] }]),
      badInputNaming('f'),
    );
    assert.throws(() => validateSpace([]), PxpError);
  });

  it('activeParams lists unconditional parameters and the conditional ones whose condition holds', () => {
    const names = (params: Record<string, string | number>) => activeParams(lrpSpace, params).map((p) => p.name);
    assert.deepEqual(names({ 'low.rule': 'epsilon' }), ['low.rule', 'low.epsilon', 'abs_sort', 'steps']);
    assert.deepEqual(names({ 'low.rule': 'z-plus' }), ['low.rule', 'abs_sort', 'steps']);
    assert.deepEqual(names({ 'low.rule': 'alpha-beta' }), ['low.rule', 'low.alpha', 'abs_sort', 'steps']);
    assert.deepEqual(names({}), ['low.rule', 'abs_sort', 'steps']);
  });

  it('a parameter whose parent is absent is absent too (chained conditions)', () => {
    const space: SearchSpace = [
      { kind: 'categorical', name: 'a', choices: ['x', 'y'] },
      { kind: 'categorical', name: 'b', choices: ['u', 'v'], when: { param: 'a', equals: ['x'] } },
      { kind: 'float', name: 'c', low: 0, high: 1, when: { param: 'b', equals: ['u'] } },
    ];
    validateSpace(space);
    assert.equal(isActive(space[2], { a: 'y' }), false);
    assert.equal(isActive(space[2], { a: 'x', b: 'u' }), true);
  });
});
