import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useDefaultBackend } from '../../helpers/backend';

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('Tile gradient (one reshape + sum) and transpose-free BatchMatMul', () => {
  before(useDefaultBackend);

  it('the Tile gradient sums dy over the repetitions, as a loop over them does', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 1, 3], 0, 1, 'float32', 1);
      const reps = [3, 4, 2];
      const dy = tf.randomNormal([6, 4, 6], 0, 1, 'float32', 2);
      const got = tf.grad((t: tf.Tensor) => tf.tile(t, reps))(x, dy);
      // The same map without Tile: concatenation along each axis.
      const byConcat = (t: tf.Tensor) => reps.reduce((acc, r, axis) => tf.concat(new Array(r).fill(acc), axis), t);
      const want = tf.grad(byConcat)(x, dy);
      assert.ok(maxDiff(got, want) < 1e-5);
    });
  });

  it('matMul with transposeA / transposeB gives the products of explicitly transposed operands, batched or not', () => {
    tf.tidy(() => {
      for (const batch of [[], [3]]) {
        const a = tf.randomNormal([...batch, 5, 7], 0, 1, 'float32', 3);
        const b = tf.randomNormal([...batch, 5, 7], 0, 1, 'float32', 4);
        const c = tf.randomNormal([...batch, 7, 5], 0, 1, 'float32', 5);
        const t = (m: tf.Tensor) => tf.transpose(m, batch.length ? [0, 2, 1] : [1, 0]);
        // Reference products from element-wise ops only: Σ_k a[i,k]·b[k,j] via broadcasting.
        const product = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(x.expandDims(-1), y.expandDims(-3)), -2);
        assert.ok(maxDiff(tf.matMul(a, b, true, false), product(t(a), b)) < 1e-4, 'transposeA');
        assert.ok(maxDiff(tf.matMul(a, b, false, true), product(a, t(b))) < 1e-4, 'transposeB');
        assert.ok(maxDiff(tf.matMul(a, c, true, true), product(t(a), t(c))) < 1e-4, 'both');
      }
    });
  });
});
