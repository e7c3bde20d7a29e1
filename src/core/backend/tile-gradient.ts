/**
 * The gradient of Tile as one reshape and sum. tfjs-core's stock gradient adds one slice of dy per repetition; the
 * LayerNormalization layer tiles its [1, 1, D] statistics and γ/β to [N, T, D], so a ViT training step ran ~1 000
 * Slice+Add kernels per LayerNorm (two thirds of the step on wasm). dy [r0·s0, r1·s1, …] reshaped to
 * [r0, s0, r1, s1, …] and summed over the r axes gives the same numbers.
 */
import * as tf from '@tensorflow/tfjs';

let registered = false;

export function registerTileGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: 'Tile',
    inputsToSave: ['x'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const [x] = saved;
      const reps = (attrs as unknown as { reps: number[] }).reps;
      return {
        x: () => {
          const split = x.shape.flatMap((s, i) => [reps[i], s]);
          return tf
            .sum(
              (dy as tf.Tensor).reshape(split),
              reps.map((_, i) => 2 * i),
            )
            .reshape(x.shape);
        },
      };
    },
  });
}
