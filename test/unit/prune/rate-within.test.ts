import assert from 'node:assert/strict';
import { type CurvePoint, largestRateWithin } from '../../../src/core/prune/curve';

const curve = (pairs: [number, number][]): CurvePoint[] =>
  pairs.map(([rate, accuracy]) => ({ rate, accuracy, removed: 0, params: 0, flops: 0 }));

describe('largestRateWithin: the physical rate for an accuracy budget (pxp prune --max-drop)', () => {
  const points = curve([
    [0, 0.93],
    [0.05, 0.93],
    [0.1, 0.925],
    [0.15, 0.908],
    [0.2, 0.95], // a lucky rate after the dip: never chosen
    [0.25, 0.5],
  ]);

  it('walks up the rates and stops at the first one more than the budget below rate 0', () => {
    assert.deepEqual(largestRateWithin(points, 0.01), { rate: 0.1, baseline: 0.93, accuracy: 0.925 });
    assert.deepEqual(largestRateWithin(points, 0.03), { rate: 0.2, baseline: 0.93, accuracy: 0.95 });
    assert.equal(largestRateWithin(points, 0.5)!.rate, 0.25);
  });

  it('a drop exactly at the budget is within it; a zero budget keeps rates that lose nothing', () => {
    assert.equal(
      largestRateWithin(
        curve([
          [0, 0.9],
          [0.5, 0.89],
          [0.6, 0.88],
        ]),
        0.01,
      )!.rate,
      0.5,
    );
    assert.equal(largestRateWithin(points, 0)!.rate, 0.05);
  });

  it('the order of the points does not matter; no rate 0 gives undefined', () => {
    assert.equal(largestRateWithin([...points].reverse(), 0.01)!.rate, 0.1);
    assert.equal(
      largestRateWithin(
        curve([
          [0.1, 0.9],
          [0.2, 0.8],
        ]),
        0.05,
      ),
      undefined,
    );
  });
});
