/**
 * Multi-head self-attention on projected tokens, shared by the custom Keras-style layer (training, saved models) and
 * the graph's 'attention' op (LRP, masking): q, k, v are [N, T, heads·headDim]; per head, L = s·Q·Kᵀ with
 * s = 1/√headDim, A = softmax over keys, O = A·V; heads are concatenated again. headDim, not the width, fixes s, so
 * a model whose heads were removed computes the same scores for the heads it keeps.
 */
import * as tf from '@tensorflow/tfjs';

/** [N, T, H·d] → [N·H, T, d]: one batch entry per (sample, head). */
export function splitHeads(t: tf.Tensor, heads: number, headDim: number): tf.Tensor3D {
  const [n, tokens] = t.shape as number[];
  return t
    .reshape([n, tokens, heads, headDim])
    .transpose([0, 2, 1, 3])
    .reshape([n * heads, tokens, headDim]) as tf.Tensor3D;
}

/** [N·H, T, d] → [N, T, H·d]. */
export function mergeHeads(t: tf.Tensor, heads: number): tf.Tensor3D {
  const [nh, tokens, d] = t.shape as number[];
  return t
    .reshape([nh / heads, heads, tokens, d])
    .transpose([0, 2, 1, 3])
    .reshape([nh / heads, tokens, heads * d]) as tf.Tensor3D;
}

export const attentionScale = (headDim: number) => 1 / Math.sqrt(headDim);

/** Per (sample, head): the scores L = s·Q·Kᵀ [N·H, T, T]. */
export function attentionScores(q: tf.Tensor, k: tf.Tensor, heads: number, headDim: number): tf.Tensor3D {
  return tf.tidy(
    () =>
      tf.mul(
        tf.matMul(splitHeads(q, heads, headDim), splitHeads(k, heads, headDim), false, true),
        attentionScale(headDim),
      ) as tf.Tensor3D,
  );
}

/** O = softmax(s·Q·Kᵀ)·V with heads merged: [N, T, H·d]. */
export function selfAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, heads: number, headDim: number): tf.Tensor3D {
  return tf.tidy(() => {
    const a = tf.softmax(attentionScores(q, k, heads, headDim));
    return mergeHeads(tf.matMul(a, splitHeads(v, heads, headDim)), heads);
  });
}

/**
 * Non-overlapping p×p patches as tokens: [N, H, W, C] → [N, (H/p)·(W/p), p·p·C], each patch flattened row-major
 * (rows, then columns, then channels). Only rank-4 reshapes and transposes, which every backend has.
 */
export function toPatches(x: tf.Tensor, p: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape as number[];
    const rows = x.reshape([n * (h / p), p, w / p, p * c]).transpose([0, 2, 1, 3]);
    return rows.reshape([n, (h / p) * (w / p), p * p * c]) as tf.Tensor3D;
  });
}

/** The inverse of toPatches (its gradient, and LRP's, as the map only moves values). */
export function fromPatches(t: tf.Tensor, p: number, shape: number[]): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = shape;
    return t
      .reshape([n * (h / p), w / p, p, p * c])
      .transpose([0, 2, 1, 3])
      .reshape([n, h, w, c]) as tf.Tensor4D;
  });
}
