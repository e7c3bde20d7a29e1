/**
 * The one stabilizer every rule divides by: s(d) = d + ε·sign(d) with sign(0) = +1, so a zero denominator becomes ε
 * and the sign of the others is kept (zennit's convention, method.md §2).
 */
import * as tf from '@tensorflow/tfjs';

export const DEFAULT_STABILIZER = 1e-6;

export function stabilize(d: tf.Tensor, epsilon = DEFAULT_STABILIZER): tf.Tensor {
  return tf.tidy(() => tf.add(d, tf.where(tf.greaterEqual(d, 0), tf.scalar(epsilon), tf.scalar(-epsilon))));
}

/** R / s(d), the normalised relevance every x·∂-style rule multiplies back. */
export function divideStabilized(r: tf.Tensor, d: tf.Tensor, epsilon = DEFAULT_STABILIZER): tf.Tensor {
  return tf.tidy(() => tf.div(r, stabilize(d, epsilon)));
}
