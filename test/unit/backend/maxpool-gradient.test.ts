import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/core/backend/select';
import { maxPoolBackward, poolGeometry } from '../../../src/core/backend/maxpool-gradient';

describe('max-pooling gradient: the first maximum of each window (PyTorch tie rule)', () => {
  after(() => initBackend('wasm'));

  // 4×4 input with ties: row 2 is all 5s, so the bottom windows hold two equal maxima each.
  const x = [0, 0, 0, 0, 1, 2, 2, 1, 5, 5, 5, 5, 3, 3, 3, 3];

  it('sends each 2×2 window to its first maximum in row-major order', () => {
    const dx = maxPoolBackward(
      Float32Array.from(x),
      [1, 4, 4, 1],
      Float32Array.from([1, 2, 3, 4]),
      poolGeometry([1, 4, 4, 1], [2, 2], [2, 2], 'valid'),
    );
    // windows: TL max 2 at (1,1); TR max 2 at (1,2); BL 5 first at (2,0); BR 5 first at (2,2).
    assert.deepEqual(Array.from(dx), [0, 0, 0, 0, 0, 1, 2, 0, 3, 0, 4, 0, 0, 0, 0, 0]);
  });

  it('accumulates overlapping windows and ignores padding (3×3, stride 1, same)', () => {
    const dx = maxPoolBackward(
      Float32Array.from(x),
      [1, 4, 4, 1],
      new Float32Array(16).fill(1),
      poolGeometry([1, 4, 4, 1], [3, 3], [1, 1], 'same'),
    );
    // Output row 0 sees input rows 0–1 (max 2, first at (1,1), or (1,2) when the window starts at column 2);
    // output rows 1–3 see row 2 (all 5s) and take the first 5 inside their window: columns 0, 0, 1, 2.
    const want = new Array(16).fill(0);
    want[5] = 3;
    want[6] = 1;
    want[8] = 6;
    want[9] = 3;
    want[10] = 3;
    assert.deepEqual(Array.from(dx), want);
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`tf.grad through tf.maxPool follows the rule on ${backend}`, async () => {
      await initBackend(backend);
      const g = tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'))(
        tf.tensor4d(x, [1, 4, 4, 1]),
        tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]),
      );
      assert.deepEqual(Array.from(g.dataSync()), [0, 0, 0, 0, 0, 1, 2, 0, 3, 0, 4, 0, 0, 0, 0, 0]);
    });
  }
});
