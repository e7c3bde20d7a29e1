/** The eager Algebra: tfjs tensors on the active backend. */
import * as tf from '@tensorflow/tfjs';
import { maxPoolBackward, poolGeometry } from '../backend/maxpool-gradient';
import type { Algebra } from './algebra';
import type { Padding } from './graph';
import { fromPatches, mergeHeads, splitHeads } from './attention';
import { linearForward, linearInputGradient, opForward } from './ops';

function firstMax(
  x: tf.Tensor,
  r: tf.Tensor,
  pool: [number, number],
  strides: [number, number],
  padding: Padding,
): tf.Tensor {
  const dx = maxPoolBackward(
    x.dataSync() as Float32Array,
    x.shape,
    r.dataSync() as Float32Array,
    poolGeometry(x.shape, pool, strides, padding),
  );
  return tf.tensor(dx, x.shape);
}

export const tfAlgebra: Algebra<tf.Tensor> = {
  scope: (f) => tf.tidy(f as () => tf.TensorContainer) as ReturnType<typeof f>,
  weight: (t) => t,
  shape: (t) => t.shape,
  isNonNegative: (t) => tf.tidy(() => tf.min(t).dataSync()[0] >= 0),
  add: (a, b) => tf.add(a, b),
  sub: (a, b) => tf.sub(a, b),
  mul: (a, b) => tf.mul(a, b),
  div: (a, b) => tf.div(a, b),
  addN: (ts) => (ts.length === 1 ? ts[0] : tf.addN(ts)),
  relu: (a) => tf.relu(a),
  minZero: (a) => tf.minimum(a, 0),
  square: (a) => tf.square(a),
  abs: (a) => tf.abs(a),
  sqrt: (a) => tf.sqrt(a),
  fillLike: (a, v) =>
    typeof v === 'number' ? tf.fill(a.shape, v) : tf.tidy(() => tf.broadcastTo(tf.tensor1d(v), a.shape)),
  positiveMask: (a) => tf.cast(tf.greater(a, 0), 'float32'),
  negativeMask: (a) => tf.cast(tf.less(a, 0), 'float32'),
  whereNonNegative: (d, atLeastZero, belowZero) =>
    tf.tidy(() => tf.where(tf.greaterEqual(d, 0), tf.scalar(atLeastZero), tf.scalar(belowZero))),
  sum: (t, axis, keepDims = false) => tf.sum(t, axis, keepDims),
  mean: (t, axis) => tf.mean(t, axis, true),
  unsqueeze: (t, axis) => tf.expandDims(t, axis < 0 ? t.rank + 1 + axis : axis),
  eye: (n) => tf.eye(n),
  matMul: (a, b, transposeA = false, transposeB = false) => tf.matMul(a, b, transposeA, transposeB),
  softmax: (t) => tf.softmax(t),
  // The forward's head layout [N·H, T, d], seen as [N, H, T, d] (reshapes only).
  splitHeads: (t, heads, headDim) => {
    const [n, tokens] = t.shape;
    return splitHeads(t, heads, headDim).reshape([n, heads, tokens, headDim]);
  },
  mergeHeads: (t) => {
    const [n, heads, tokens, d] = t.shape;
    return mergeHeads(t.reshape([n * heads, tokens, d]), heads);
  },
  linearForward: (op, x, kernel, bias) => linearForward(op, x, kernel, bias),
  linearInputGradient: (op, g, kernel, x) => linearInputGradient(op, g, kernel, x.shape),
  forward: (op, inputs) => opForward(op, inputs),
  maxPoolRelevance: firstMax,
  avgPoolInputGradient: (op, g, x) =>
    tf.grad((t: tf.Tensor) => tf.avgPool(t as tf.Tensor4D, op.pool, op.strides, op.padding as 'same' | 'valid'))(x, g),
  globalAvgPoolInputGradient: (g, x) => {
    const [n, h, w, c] = x.shape as number[];
    return tf.tidy(() => tf.div(g.reshape([n, 1, 1, c]), h * w));
  },
  globalMaxPoolRelevance: (x, r) => {
    const [n, h, w, c] = x.shape as number[];
    return tf.tidy(() => firstMax(x, r.reshape([n, 1, 1, c]), [h, w], [1, 1], 'valid'));
  },
  reshapeLike: (r, x) => r.reshape(x.shape),
  unpad: (r, x, padding) => tf.slice(r, [0, padding[0][0], padding[1][0], 0], x.shape),
  splitLike: (r, parts, axis) => {
    const ax = axis < 0 ? r.rank + axis : axis;
    return tf.split(
      r,
      parts.map((t) => t.shape[ax]),
      ax,
    );
  },
  unpatch: (r, x, size) => fromPatches(r, size, x.shape),
  dropClassToken: (r) => tf.slice(r, [0, 1, 0], [-1, -1, -1]),
  placeToken: (r, x, index) =>
    tf.tidy(() => {
      const [n, t, d] = x.shape as number[];
      return tf.pad(r.reshape([n, 1, d]), [
        [0, 0],
        [index, t - index - 1],
        [0, 0],
      ]);
    }),
};
