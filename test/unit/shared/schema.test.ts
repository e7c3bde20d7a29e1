import assert from 'node:assert/strict';
import {
  type Infer,
  array,
  index,
  literal,
  number,
  object,
  optional,
  record,
  refine,
  string,
  union,
} from '../../../src/shared/schema';

describe('schema checks (a validator and its type from one declaration)', () => {
  const isPoint = object({ rate: number, label: optional(string) });

  it('an object needs every required property with its type; optional ones may be missing or undefined', () => {
    assert.equal(isPoint({ rate: 0.5 }), true);
    assert.equal(isPoint({ rate: 0.5, label: 'a' }), true);
    assert.equal(isPoint({ rate: 0.5, label: undefined }), true);
    assert.equal(isPoint({ label: 'a' }), false);
    assert.equal(isPoint({ rate: '0.5' }), false);
    assert.equal(isPoint({ rate: 0.5, label: 3 }), false);
    for (const v of [null, undefined, 3, 'x', [0.5]]) assert.equal(isPoint(v), false, String(v));
  });

  it('an object ignores properties it does not declare (a newer writer may add some)', () => {
    assert.equal(isPoint({ rate: 0.5, extra: { anything: true } }), true);
  });

  it('a larger object is declared from a smaller one’s shape and checks both parts', () => {
    const isLabelled = object({ ...isPoint.shape, label: string });
    assert.equal(isLabelled({ rate: 1, label: 'x' }), true);
    assert.equal(isLabelled({ rate: 1 }), false);
  });

  it('literals, unions, arrays, records, refinements and indices accept exactly their values', () => {
    const kind = literal('a', 'b');
    assert.deepEqual(['a', 'b', 'c', 1, undefined].map(kind), [true, true, false, false, false]);
    const numOrStr = union(number, string);
    assert.deepEqual([1, 'x', true, null].map(numOrStr), [true, true, false, false]);
    assert.deepEqual([[1, 2], [], [1, '2'], 'x'].map(array(number)), [true, true, false, false]);
    assert.deepEqual([{ a: 1, b: 'x' }, {}, { a: true }, [1]].map(record(numOrStr)), [true, true, false, false]);
    const short = refine(string, (s) => s.length < 3);
    assert.deepEqual(['ab', 'abc', 5].map(short), [true, false, false]);
    assert.deepEqual([0, 7, -1, 1.5, Number.NaN, '3'].map(index), [true, true, false, false, false, false]);
  });

  it('the derived type has the declared properties, optional ones optional', () => {
    type Point = Infer<typeof isPoint>;
    const p: Point = { rate: 1 };
    const q: Point = { rate: 1, label: 'x' };
    // @ts-expect-error rate is required
    const r: Point = { label: 'x' };
    assert.ok(p && q && r);
  });
});
