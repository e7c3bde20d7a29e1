import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useDefaultBackend } from '../../helpers/backend';

describe('batch-norm gradient (registered without Tile)', () => {
  before(useDefaultBackend);

  it('equals the gradient of batch norm written as element-wise ops, for every input', () => {
    const x = tf.randomNormal([3, 4, 5, 6], 0, 2, 'float32', 1);
    const mean = tf.randomNormal([6], 0, 1, 'float32', 2);
    const variance = tf.randomUniform([6], 0.5, 2, 'float32', 3);
    const scale = tf.randomNormal([6], 1, 0.3, 'float32', 4);
    const offset = tf.randomNormal([6], 0, 1, 'float32', 5);
    const dy = tf.randomNormal([3, 4, 5, 6], 0, 1, 'float32', 6);
    const eps = 1e-3;
    const fused = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor) =>
      tf.batchNorm(a, m, v, o, s, eps);
    const plain = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor) =>
      tf.add(tf.mul(tf.div(tf.sub(a, m), tf.sqrt(tf.add(v, eps))), s), o);
    const got = tf.grads(fused)([x, mean, variance, scale, offset], dy);
    const want = tf.grads(plain)([x, mean, variance, scale, offset], dy);
    for (let i = 0; i < 5; i++) {
      const diff = tf.max(tf.abs(tf.sub(got[i], want[i]))).dataSync()[0];
      const mag = tf.max(tf.abs(want[i])).dataSync()[0];
      assert.ok(diff <= 1e-4 * Math.max(1, mag), `input ${i}: max diff ${diff}`);
    }
  });
});
