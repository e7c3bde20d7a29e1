import assert from 'node:assert/strict';
import { normalizeScores } from '../../../src/core/prune/normalize';
import { rankComponents } from '../../../src/core/prune/ranking';

const f = (...v: number[]) => Float64Array.from(v);
const plain = (s: Float64Array[]) => s.map((l) => Array.from(l));

describe('per-layer score normalization before the global ranking (--normalize)', () => {
  // A narrow layer with large scores and a wide one with small scores, as conserved relevance gives.
  const scores = [f(0.3, 0.5, 0.2), f(0.04, 0.1, 0.02, 0.04)];

  it('none leaves the scores as method.md ranks them: the wide layer goes first', () => {
    assert.deepEqual(plain(normalizeScores(scores, 'none')), plain(scores));
    assert.deepEqual(
      rankComponents(scores.map((s) => ({ scores: s })))
        .slice(0, 4)
        .map((c) => c.layer),
      [1, 1, 1, 1],
    );
  });

  it('mean divides by the layer mean of |score|; max by the layer max; the ranking then mixes the layers', () => {
    // Layer means 1/3 and 0.05, maxima 0.5 and 0.1, computed by hand.
    const mean = plain(normalizeScores(scores, 'mean'));
    [0.9, 1.5, 0.6].forEach((v, i) => assert.ok(Math.abs(mean[0][i] - v) < 1e-12, `mean[0][${i}]`));
    [0.8, 2, 0.4, 0.8].forEach((v, i) => assert.ok(Math.abs(mean[1][i] - v) < 1e-12, `mean[1][${i}]`));
    const max = plain(normalizeScores(scores, 'max'));
    [0.6, 1, 0.4].forEach((v, i) => assert.ok(Math.abs(max[0][i] - v) < 1e-12, `max[0][${i}]`));
    [0.4, 1, 0.2, 0.4].forEach((v, i) => assert.ok(Math.abs(max[1][i] - v) < 1e-12, `max[1][${i}]`));
    const order = rankComponents(normalizeScores(scores, 'mean').map((s) => ({ scores: s }))).map(
      (c) => `${c.layer}:${c.index}`,
    );
    assert.deepEqual(order, ['1:2', '0:2', '1:0', '1:3', '0:0', '0:1', '1:1']);
  });

  it('keeps signs (signed scores) and leaves an all-zero layer alone', () => {
    assert.deepEqual(plain(normalizeScores([f(-1, 3), f(0, 0)], 'mean')), [
      [-0.5, 1.5],
      [0, 0],
    ]);
  });
});
