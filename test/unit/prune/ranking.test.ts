/**
 * The ranking conventions of method.md §1 (step 4, 5) and §5 ("Ranking details"), checked on small hand-made score
 * tables. Every expectation below is worked out by hand in the comments; none is computed with the code under test.
 */
import assert from 'node:assert/strict';
import {
  curveRates,
  protectedComponents,
  rankComponents,
  removalCount,
  removedSet,
  trapezoidAuc,
  type LayerScores,
  type RankedComponent,
} from '../../../src/core/prune/ranking';

/** [layer, index] pairs of a ranking, in ranking order. */
function order(ranking: RankedComponent[]): Array<[number, number]> {
  return ranking.map((c) => [c.layer, c.index]);
}

function table(...layers: number[][]): LayerScores[] {
  return layers.map((scores) => ({ scores }));
}

/**
 * Table A, used throughout (3 layers, N = 8):
 *   layer 0: [3, 1, 2]
 *   layer 1: [1, 5, 1]
 *   layer 2: [2, 1]
 * Ascending by (score, layer, index):
 *   score 1: (0,1) (1,0) (1,2) (2,1)    ← four-way tie: layer 0 first, then layer 1 by index, then layer 2
 *   score 2: (0,2) (2,0)
 *   score 3: (0,0)
 *   score 5: (1,1)
 */
const TABLE_A = table([3, 1, 2], [1, 5, 1], [2, 1]);
const TABLE_A_SIZES = [3, 3, 2];
const TABLE_A_ORDER: Array<[number, number]> = [
  [0, 1], // pos 0, score 1
  [1, 0], // pos 1, score 1
  [1, 2], // pos 2, score 1
  [2, 1], // pos 3, score 1
  [0, 2], // pos 4, score 2
  [2, 0], // pos 5, score 2
  [0, 0], // pos 6, score 3
  [1, 1], // pos 7, score 5
];

describe('ranking: ascending sort by (score, layer index, component index)', () => {
  it('orders a 3-layer table by score, ties between layers to the lower layer, within a layer to the lower index', () => {
    const r = rankComponents(TABLE_A);
    assert.deepEqual(order(r), TABLE_A_ORDER);
    // The entries carry the original scores, in ascending order.
    assert.deepEqual(
      r.map((c) => c.score),
      [1, 1, 1, 1, 2, 2, 3, 5],
    );
  });

  it('puts a lower score first even when it is in a higher layer or at a higher index (score is the primary key)', () => {
    // layer 0: [1 + 2^-52, 7], layer 1: [1, 0.5]. The two near-equal scores differ in float64 and must not tie:
    //   0.5 (1,1) < 1 (1,0) < 1 + 2^-52 (0,0) < 7 (0,1)
    const r = rankComponents(table([1 + 2 ** -52, 7], [1, 0.5]));
    assert.deepEqual(order(r), [
      [1, 1],
      [1, 0],
      [0, 0],
      [0, 1],
    ]);
  });

  it('sorts negative scores below zero and positive ones (no absolute value is taken)', () => {
    // layer 0: [-1, 0, -3], layer 1: [-3, 2]
    //   -3: (0,2) (1,0)   (tie between layers → layer 0 first)
    //   -1: (0,0)
    //    0: (0,1)
    //    2: (1,1)
    const r = rankComponents(table([-1, 0, -3], [-3, 2]));
    assert.deepEqual(order(r), [
      [0, 2],
      [1, 0],
      [0, 0],
      [0, 1],
      [1, 1],
    ]);
    assert.deepEqual(
      r.map((c) => c.score),
      [-3, -3, -1, 0, 2],
    );
  });

  it('with equal scores everywhere, the order is layer-major, then component index', () => {
    // sizes [2, 3, 1], every score 0.5 → pure (layer, index) order
    const r = rankComponents(table([0.5, 0.5], [0.5, 0.5, 0.5], [0.5]));
    assert.deepEqual(order(r), [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
      [1, 2],
      [2, 0],
    ]);
  });

  it('treats +0 and -0, and equal infinities, as ties broken by (layer, index)', () => {
    // layer 0: [+Inf, 0], layer 1: [-0, +Inf]
    //   0 == -0: (0,1) then (1,0);   +Inf == +Inf: (0,0) then (1,1)
    const r = rankComponents(table([Infinity, 0], [-0, Infinity]));
    assert.deepEqual(order(r), [
      [0, 1],
      [1, 0],
      [0, 0],
      [1, 1],
    ]);
  });

  it('accepts typed arrays (ArrayLike scores) and ranks them the same as plain arrays', () => {
    const r = rankComponents([
      { scores: Float64Array.from([3, 1, 2]) },
      { scores: Float32Array.from([1, 5, 1]) },
      { scores: [2, 1] },
    ]);
    assert.deepEqual(order(r), TABLE_A_ORDER);
  });

  it('returns an empty ranking for no layers, and skips empty layers', () => {
    assert.deepEqual(rankComponents([]), []);
    // layer 0 empty, layer 1: [2, 1] → (1,1) (1,0)
    assert.deepEqual(order(rankComponents(table([], [2, 1]))), [
      [1, 1],
      [1, 0],
    ]);
  });
});

describe('ranking: leastRelevantFirst = false negates the score, keeping the (layer, index) tie-break', () => {
  it('orders Table A most relevant first, ties still to the lower layer, then lower index', () => {
    // Key (-score, layer, index) on Table A:
    //   -5: (1,1)
    //   -3: (0,0)
    //   -2: (0,2) (2,0)                 ← NOT (2,0) (0,2): ties are not reversed
    //   -1: (0,1) (1,0) (1,2) (2,1)     ← NOT reversed either (a reversed ascending list would start (2,1) ...)
    const r = rankComponents(TABLE_A, { leastRelevantFirst: false });
    assert.deepEqual(order(r), [
      [1, 1],
      [0, 0],
      [0, 2],
      [2, 0],
      [0, 1],
      [1, 0],
      [1, 2],
      [2, 1],
    ]);
    // The score field keeps the original (un-negated) value.
    assert.deepEqual(
      r.map((c) => c.score),
      [5, 3, 2, 2, 1, 1, 1, 1],
    );
  });

  it('puts positive scores before negative ones, equal scores everywhere stay in (layer, index) order', () => {
    // layer 0: [-1, 0, -3], layer 1: [-3, 2]; key -score: (1,1)=-2, (0,1)=0, (0,0)=1, (0,2)=3, (1,0)=3
    assert.deepEqual(order(rankComponents(table([-1, 0, -3], [-3, 2]), { leastRelevantFirst: false })), [
      [1, 1],
      [0, 1],
      [0, 0],
      [0, 2],
      [1, 0],
    ]);
    assert.deepEqual(order(rankComponents(table([4, 4], [4]), { leastRelevantFirst: false })), [
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
  });

  it('leastRelevantFirst: true and an omitted option give the same (ascending) order', () => {
    assert.deepEqual(order(rankComponents(TABLE_A, { leastRelevantFirst: true })), TABLE_A_ORDER);
    assert.deepEqual(order(rankComponents(TABLE_A, {})), TABLE_A_ORDER);
  });
});

describe('ranking: each layer keeps exactly one component (its last-ranked one); protected entries are skipped, not replaced', () => {
  it('protects, per layer, the position of its last entry in the ranking (its highest score)', () => {
    // Table A positions (see TABLE_A_ORDER): layer 0's entries at 0, 4, 6 → 6 = (0,0), score 3 (its max);
    // layer 1's at 1, 2, 7 → 7 = (1,1), score 5; layer 2's at 3, 5 → 5 = (2,0), score 2.
    const r = rankComponents(TABLE_A);
    assert.deepEqual(
      [...protectedComponents(r)].sort((a, b) => a - b),
      [5, 6, 7],
    );
  });

  it("on a tie for a layer's highest score, protects the tied component ranked last (the higher index)", () => {
    // layer 0: [4, 4, 1], layer 1: [2]
    // ranking: (0,2)=1 pos 0, (1,0)=2 pos 1, (0,0)=4 pos 2, (0,1)=4 pos 3
    // layer 0's max 4 is tied between indices 0 and 1; (0,1) is ranked last → pos 3. Layer 1's only entry → pos 1.
    const r = rankComponents(table([4, 4, 1], [2]));
    assert.deepEqual(order(r), [
      [0, 2],
      [1, 0],
      [0, 0],
      [0, 1],
    ]);
    assert.deepEqual(
      [...protectedComponents(r)].sort((a, b) => a - b),
      [1, 3],
    );
    // With everything removable requested, layer 0 keeps index 1 (not 0), layer 1 keeps its single component.
    assert.deepEqual(removedSet(r, 4, [3, 1]), [[true, false, true], [false]]);
  });

  it("with leastRelevantFirst = false, still protects each layer's highest-scored component (method.md §5)", () => {
    // Descending Table A: pos 0 (1,1) 5, pos 1 (0,0) 3, pos 2 (0,2) 2, pos 3 (2,0) 2, pos 4 (0,1) 1, pos 5 (1,0) 1,
    // pos 6 (1,2) 1, pos 7 (2,1) 1. Highest per layer: layer 0 → (0,0) pos 1; layer 1 → (1,1) pos 0; layer 2 → (2,0) pos 3.
    const r = rankComponents(TABLE_A, { leastRelevantFirst: false });
    assert.deepEqual(
      [...protectedComponents(r)].sort((a, b) => a - b),
      [0, 1, 3],
    );
    // Removing all 8: every layer keeps exactly its highest-scored component.
    assert.deepEqual(removedSet(r, 8, TABLE_A_SIZES), [
      [false, true, true],
      [true, false, true],
      [false, true],
    ]);
  });

  it('skips a protected entry without taking the next one: fewer than n are removed (Table A, n = 6 and 7)', () => {
    const r = rankComponents(TABLE_A);
    // n = 5: positions 0..4 = (0,1) (1,0) (1,2) (2,1) (0,2), none protected → 5 removed.
    const five: boolean[][] = [
      [false, true, true],
      [true, false, true],
      [false, true],
    ];
    assert.deepEqual(removedSet(r, 5, TABLE_A_SIZES), five);
    // n = 6: position 5 = (2,0) is protected → skipped, and position 6 is NOT taken in its place → still the 5 above.
    assert.deepEqual(removedSet(r, 6, TABLE_A_SIZES), five);
    // n = 7 (0.95 for N = 8: floor(19·8/20) = floor(7.6) = 7): positions 5, 6 both protected → still the same 5.
    assert.deepEqual(removedSet(r, 7, TABLE_A_SIZES), five);
    // n = 8 = N and n > N: still the same 5; each layer keeps one.
    assert.deepEqual(removedSet(r, 8, TABLE_A_SIZES), five);
    assert.deepEqual(removedSet(r, 100, TABLE_A_SIZES), five);
  });

  it('a protected entry early in the list is skipped and the count is not extended past n (every rate, N = 6)', () => {
    // layer 0: [2, 1], layer 1: [5, 6, 7, 8]
    // ranking: pos 0 (0,1)=1, pos 1 (0,0)=2 [protected: layer 0's max], pos 2 (1,0)=5, pos 3 (1,1)=6, pos 4 (1,2)=7,
    //          pos 5 (1,3)=8 [protected]
    // n(i) = floor(6i/20): 6i = 0 6 12 18 24 30 36 42 48 54 60 66 72 78 84 90 96 102 108 114
    //                   → 0 0 0 0 1 1 1 2 2 2 3 3 3 3 4 4 4 5 5 5
    // removed = first n positions minus pos 1 (and pos 5): with n = 2 only (0,1) goes — (1,0) does NOT replace (0,0).
    const r = rankComponents(table([2, 1], [5, 6, 7, 8]));
    assert.deepEqual(
      [...protectedComponents(r)].sort((a, b) => a - b),
      [1, 5],
    );
    const n = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5];
    const byN: boolean[][][] = [
      [
        [false, false],
        [false, false, false, false],
      ], // n = 0
      [
        [false, true],
        [false, false, false, false],
      ], // n = 1: (0,1)
      [
        [false, true],
        [false, false, false, false],
      ], // n = 2: pos 1 protected → still only (0,1)
      [
        [false, true],
        [true, false, false, false],
      ], // n = 3: + (1,0)
      [
        [false, true],
        [true, true, false, false],
      ], // n = 4: + (1,1)
      [
        [false, true],
        [true, true, true, false],
      ], // n = 5 (0.95): + (1,2); 4 removed, not 5
    ];
    for (let i = 0; i < 20; i++) assert.deepEqual(removedSet(r, n[i], [2, 4]), byN[n[i]], `rate ${i}/20 (n = ${n[i]})`);
  });

  it('keeps exactly the protected components at every rate i = 0..19 of Table A, including 0.95', () => {
    const r = rankComponents(TABLE_A);
    // n(i) = floor(8i/20): 8i = 0 8 16 24 32 40 48 56 64 72 80 88 96 104 112 120 128 136 144 152
    //                   /20 → 0 0 0  1  1  2  2  2  3  3  4  4  4   5   5   6   6   6   7   7
    const n = [0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7];
    // Protected positions 5, 6, 7 are never removed, so the count removed is min(n, 5):
    const removedCount = [0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5];
    for (let i = 0; i < 20; i++) {
      const set = removedSet(r, n[i], TABLE_A_SIZES);
      const count = set.flat().filter(Boolean).length;
      assert.equal(count, removedCount[i], `rate ${i}/20: removed ${count}`);
      // the protected ones (0,0), (1,1), (2,0) are kept at every rate
      assert.equal(set[0][0], false, `rate ${i}/20: (0,0) removed`);
      assert.equal(set[1][1], false, `rate ${i}/20: (1,1) removed`);
      assert.equal(set[2][0], false, `rate ${i}/20: (2,0) removed`);
      // every layer keeps at least one component
      set.forEach((layer, l) =>
        assert.ok(
          layer.some((f) => !f),
          `rate ${i}/20: layer ${l} emptied`,
        ),
      );
    }
  });

  it('never touches a layer with a single component, even when it holds the lowest score of all', () => {
    // layer 0: [0] (the global minimum), layer 1: [5, 6, 7, 8]; N = 5
    // ranking: (0,0) pos 0 [protected: only one in layer 0], (1,0) 1, (1,1) 2, (1,2) 3, (1,3) 4 [protected]
    // n(i) = floor(5i/20) = floor(i/4): i 0..3 → 0, 4..7 → 1, 8..11 → 2, 12..15 → 3, 16..19 → 4
    // removed in layer 1 = first n positions minus pos 0: 0, 0, 1, 2, 3 for those blocks of four rates
    const r = rankComponents(table([0], [5, 6, 7, 8]));
    assert.deepEqual(
      [...protectedComponents(r)].sort((a, b) => a - b),
      [0, 4],
    );
    const n = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4];
    const expectedLayer1: boolean[][] = [
      [false, false, false, false], // n = 0
      [false, false, false, false], // n = 1: only pos 0 = (0,0), protected → nothing
      [true, false, false, false], // n = 2: + (1,0)
      [true, true, false, false], // n = 3: + (1,1)
      [true, true, true, false], // n = 4: + (1,2); (1,3) is protected
    ];
    for (let i = 0; i < 20; i++) {
      const set = removedSet(r, n[i], [1, 4]);
      assert.deepEqual(set[0], [false], `rate ${i}/20: single-component layer touched`);
      assert.deepEqual(set[1], expectedLayer1[Math.floor(i / 4)], `rate ${i}/20`);
    }
  });
});

describe('ranking: removal count n(i) = floor(i·N/20) in integer arithmetic', () => {
  const I = Array.from({ length: 20 }, (_, i) => i);

  it('N = 1: 0 at every rate (i·1/20 < 1 for i ≤ 19)', () => {
    assert.deepEqual(
      I.map((i) => removalCount(i, 1)),
      new Array(20).fill(0),
    );
  });

  it('N = 7: floor(7i/20) from 7i = 0 7 14 21 28 35 42 49 56 63 70 77 84 91 98 105 112 119 126 133', () => {
    assert.deepEqual(
      I.map((i) => removalCount(i, 7)),
      [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6],
    );
  });

  it('N = 20: n(i) = i', () => {
    assert.deepEqual(
      I.map((i) => removalCount(i, 20)),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
    );
  });

  it('N = 33: floor(33i/20), e.g. i = 7 → floor(231/20) = 11, i = 19 → floor(627/20) = 31', () => {
    // 33i = 0 33 66 99 132 165 198 231 264 297 330 363 396 429 462 495 528 561 594 627
    assert.deepEqual(
      I.map((i) => removalCount(i, 33)),
      [0, 1, 3, 4, 6, 8, 9, 11, 13, 14, 16, 18, 19, 21, 23, 24, 26, 28, 29, 31],
    );
    assert.equal(removalCount(7, 33), 11);
  });

  it('N = 100: n(i) = 5i', () => {
    assert.deepEqual(
      I.map((i) => removalCount(i, 100)),
      [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95],
    );
  });

  it('is exact where floor(p·N) with a float rate p would round down (0.7·90 = 62.999… but 14·90/20 = 63)', () => {
    // In float64, 0.7 * 90 = 62.99999999999999 and 0.35 * 180 = 62.99999999999999; integer arithmetic gives 63.
    assert.equal(removalCount(14, 90), 63); // 1260 / 20
    assert.equal(removalCount(7, 180), 63); // 1260 / 20
    assert.equal(removalCount(14, 170), 119); // 2380 / 20
  });
});

describe('ranking: curveRates() is [0, 0.05, …, 0.95] (20 values, 1.0 excluded)', () => {
  it('gives the 20 rates i/20, the last 0.95', () => {
    const rates = curveRates();
    assert.equal(rates.length, 20);
    assert.deepEqual(
      rates,
      [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95],
    );
    assert.equal(rates[0], 0);
    assert.equal(rates[19], 0.95);
    assert.ok(!rates.includes(1));
  });
});

describe('ranking: trapezoidAuc integrates accuracy over the rates by the trapezoid rule', () => {
  const close = (got: number, want: number, what: string) =>
    assert.ok(Math.abs(got - want) <= 1e-12, `${what}: got ${got}, want ${want}`);

  it('a constant accuracy a over the default rates gives 0.95·a (1.0 → the maximum 0.95)', () => {
    const rates = curveRates();
    // 19 intervals of 0.05, each (a + a)/2 · 0.05 → 19 · 0.05 · a = 0.95·a
    close(trapezoidAuc(rates, new Array(20).fill(1)), 0.95, 'a = 1');
    close(trapezoidAuc(rates, new Array(20).fill(0.8)), 0.76, 'a = 0.8');
    close(trapezoidAuc(rates, new Array(20).fill(0)), 0, 'a = 0');
  });

  it('a hand-computed 4-point curve: rates 0, 0.05, 0.1, 0.15 with accuracies 1, 0.8, 0.6, 0.2 → 0.1', () => {
    // 0.05·(1 + 0.8)/2 = 0.045;  0.05·(0.8 + 0.6)/2 = 0.035;  0.05·(0.6 + 0.2)/2 = 0.02;  sum = 0.1
    close(trapezoidAuc([0, 0.05, 0.1, 0.15], [1, 0.8, 0.6, 0.2]), 0.1, '4 points');
  });

  it('uses each interval’s own width with unequal spacing (not a left or right Riemann sum)', () => {
    // rates 0, 0.1, 0.5, 0.95; accuracies 0.9, 0.7, 0.5, 0.1
    // 0.1·(0.9 + 0.7)/2 = 0.08;  0.4·(0.7 + 0.5)/2 = 0.24;  0.45·(0.5 + 0.1)/2 = 0.135;  sum = 0.455
    // (left sum would be 0.595, right sum 0.315, equal spacing 0.05 would be 0.0925)
    close(trapezoidAuc([0, 0.1, 0.5, 0.95], [0.9, 0.7, 0.5, 0.1]), 0.455, 'unequal spacing');
  });

  it('is exact for a linear curve: acc = 1 − p over the default rates → 0.95 − 0.95²/2 = 0.49875', () => {
    const rates = [
      0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95,
    ];
    close(
      trapezoidAuc(
        rates,
        rates.map((p) => 1 - p),
      ),
      0.49875,
      'linear',
    );
  });

  it('a single point has zero area (as numpy.trapz)', () => {
    assert.equal(trapezoidAuc([0], [0.9]), 0);
  });
});

describe('ranking: removedSet marks exactly the expected [layer][index] flags for a 3-layer table', () => {
  /**
   * Table B (N = 10, sizes [4, 3, 3]):
   *   layer 0: [0.4, 0.1, 0.9, 0.1]
   *   layer 1: [0.3, 0.0, 0.3]
   *   layer 2: [0.2, 0.8, 0.05]
   * Ascending (score, layer, index):
   *   pos 0 (1,1) 0.0
   *   pos 1 (2,2) 0.05
   *   pos 2 (0,1) 0.1
   *   pos 3 (0,3) 0.1     ← tie with (0,1): lower index first
   *   pos 4 (2,0) 0.2
   *   pos 5 (1,0) 0.3
   *   pos 6 (1,2) 0.3     ← tie: (1,2) ranked last in layer 1 → protected
   *   pos 7 (0,0) 0.4
   *   pos 8 (2,1) 0.8     ← protected (layer 2's max)
   *   pos 9 (0,2) 0.9     ← protected (layer 0's max)
   * n(i) = floor(10i/20) = floor(i/2).
   */
  const B = table([0.4, 0.1, 0.9, 0.1], [0.3, 0.0, 0.3], [0.2, 0.8, 0.05]);
  const SIZES = [4, 3, 3];

  it('ranks Table B as worked out by hand', () => {
    assert.deepEqual(order(rankComponents(B)), [
      [1, 1],
      [2, 2],
      [0, 1],
      [0, 3],
      [2, 0],
      [1, 0],
      [1, 2],
      [0, 0],
      [2, 1],
      [0, 2],
    ]);
    assert.deepEqual(
      [...protectedComponents(rankComponents(B))].sort((a, b) => a - b),
      [6, 8, 9],
    );
  });

  it('rate 0 (n = 0) removes nothing', () => {
    assert.deepEqual(removedSet(rankComponents(B), removalCount(0, 10), SIZES), [
      [false, false, false, false],
      [false, false, false],
      [false, false, false],
    ]);
  });

  it('rate 0.3 (i = 6, n = floor(60/20) = 3) removes (1,1), (2,2), (0,1)', () => {
    assert.deepEqual(removedSet(rankComponents(B), 3, SIZES), [
      [false, true, false, false],
      [false, true, false],
      [false, false, true],
    ]);
  });

  it('rate 0.6 (i = 12, n = 6) removes positions 0..5: also (0,3), (2,0), (1,0)', () => {
    assert.deepEqual(removedSet(rankComponents(B), 6, SIZES), [
      [false, true, false, true],
      [true, true, false],
      [true, false, true],
    ]);
  });

  it('rate 0.8 (i = 16, n = 8) skips protected (1,2) at pos 6 and takes (0,0) at pos 7: 7 removed, not 8', () => {
    assert.deepEqual(removedSet(rankComponents(B), 8, SIZES), [
      [true, true, false, true],
      [true, true, false],
      [true, false, true],
    ]);
  });

  it('rate 0.95 (i = 19, n = floor(190/20) = 9) adds nothing: pos 8 (2,1) is protected; each layer keeps one', () => {
    const set = removedSet(rankComponents(B), 9, SIZES);
    assert.deepEqual(set, [
      [true, true, false, true],
      [true, true, false],
      [true, false, true],
    ]);
  });

  it('most relevant first (leastRelevantFirst = false), rate 0.5 (n = 5)', () => {
    // Descending (-score, layer, index):
    //   pos 0 (0,2) 0.9, pos 1 (2,1) 0.8, pos 2 (0,0) 0.4, pos 3 (1,0) 0.3, pos 4 (1,2) 0.3,
    //   pos 5 (2,0) 0.2, pos 6 (0,1) 0.1, pos 7 (0,3) 0.1, pos 8 (2,2) 0.05, pos 9 (1,1) 0.0
    // protected (highest per layer): layer 0 → (0,2) pos 0; layer 1 → .3 tie of (1,0) pos 3 and (1,2) pos 4, ranked
    // last wins → pos 4; layer 2 → (2,1) pos 1
    // n = 5: positions 0..4 minus {0, 1, 4} → (0,0) pos 2, (1,0) pos 3
    const r = rankComponents(B, { leastRelevantFirst: false });
    assert.deepEqual(removedSet(r, 5, SIZES), [
      [true, false, false, false],
      [true, false, false],
      [false, false, false],
    ]);
    // n = 9 (0.95): positions 0..8 minus {0, 1, 4} → (0,0) (1,0) (2,0) (0,1) (0,3) (2,2)
    assert.deepEqual(removedSet(r, 9, SIZES), [
      [true, true, false, true],
      [true, false, false],
      [true, false, true],
    ]);
  });
});
