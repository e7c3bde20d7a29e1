/**
 * The gradient of FusedBatchNorm without Tile. tfjs-core's stock gradient tiles 1/σ to the full [N, H, W, C] shape
 * before multiplying; on the wasm backend that Tile alone took about a third of a VGG training step. Broadcasting
 * the [C] vector in the multiply gives the same numbers. Registered once for all backends (it is backend-agnostic).
 */
import * as tf from '@tensorflow/tfjs';

let registered = false;

export function registerBatchNormGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const g = dy as tf.Tensor;
      const [x, mean, variance, scale] = saved;
      const eps = (attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
      const scaleValue = scale ?? tf.scalar(1);
      // Axes over which a per-channel parameter was broadcast: all of x's but those mean lines up with.
      const axes: number[] = [];
      for (let i = 0; i < x.rank - mean.rank; i++) axes.push(i);
      for (let i = 0; i < mean.rank; i++)
        if (mean.shape[i] === 1 && x.shape[x.rank - mean.rank + i] !== 1) axes.push(x.rank - mean.rank + i);
      const reduce = (t: tf.Tensor) => (axes.length ? tf.sum(t, axes) : t).reshape(mean.shape);
      const invStd = tf.rsqrt(tf.add(variance, eps));
      const centered = tf.sub(x, mean);
      const gScaled = tf.mul(g, scaleValue);
      return {
        x: () => tf.mul(gScaled, invStd),
        mean: () => reduce(tf.neg(tf.mul(gScaled, invStd))),
        variance: () => reduce(tf.mul(tf.mul(tf.mul(gScaled, centered), tf.pow(invStd, 3)), -0.5)),
        scale: () => reduce(tf.mul(g, tf.mul(centered, invStd))),
        offset: () => reduce(g),
      };
    },
  });
}
