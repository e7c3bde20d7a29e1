/** Small models with deterministic weights for engine tests. */
import * as tf from '@tensorflow/tfjs';
import { buildResNet } from '../../src/core/models/resnet';
import { buildVit } from '../../src/core/models/vit';
import { buildVgg } from '../../src/core/models/vgg';
import { mulberry32 } from '../../src/core/random';

/** Re-draws every weight from a seeded uniform distribution; BN variances stay positive. */
export function randomizeWeights(
  model: tf.LayersModel,
  seed: number,
  opts: { zeroBiases?: boolean; weightScale?: number } = {},
): tf.LayersModel {
  const rng = mulberry32(seed);
  for (const layer of model.layers) {
    const names = layer.weights.map((w) => w.originalName.split('/').pop()!);
    const values = layer.getWeights().map((w, i) => {
      const name = names[i];
      // A ViT's q/k/v/out biases, class token and positions are biases too: constants that absorb relevance.
      const zero =
        opts.zeroBiases &&
        (['bias', 'beta', 'moving_mean', 'token', 'positions'].includes(name) || name.endsWith('_bias'));
      const data = Float32Array.from({ length: w.size }, () => {
        if (zero) return 0;
        if (name === 'moving_variance') return 0.5 + rng();
        if (name === 'gamma') return 0.5 + rng();
        return (
          (rng() - 0.5) *
          (name === 'bias' || name === 'beta' || name === 'moving_mean' ? 0.2 : (opts.weightScale ?? 0.8))
        );
      });
      return tf.tensor(data, w.shape);
    });
    if (values.length) layer.setWeights(values);
  }
  return model;
}

export const tinyVgg = (seed = 1, zeroBiases = false) =>
  randomizeWeights(
    buildVgg({ inputShape: [8, 8, 2], numClasses: 3, widths: [4, 6], convsPerBlock: 2, hidden: 5, dropout: 0.2, seed }),
    seed,
    { zeroBiases },
  );

export const tinyResNet = (seed = 1, zeroBiases = false) =>
  randomizeWeights(
    buildResNet({ inputShape: [8, 8, 2], numClasses: 3, widths: [4, 6], blocksPerStage: 1, seed }),
    seed,
    { zeroBiases },
  );

export function randomInputs(shape: number[], seed: number, low = 0, high = 1): tf.Tensor {
  const rng = mulberry32(seed);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => low + (high - low) * rng()),
    shape,
  );
}

/** A one-block ViT on 4×4×1 inputs: 2×2 patches → 4 tokens + class token, width 4, 2 heads, MLP 6, 3 classes. */
export const tinyVit = (seed = 1, zeroBiases = false, weightScale = 0.8) =>
  randomizeWeights(
    buildVit({ inputShape: [4, 4, 1], numClasses: 3, patch: 2, width: 4, heads: 2, depth: 1, mlp: 6, seed }),
    seed,
    { zeroBiases, weightScale },
  );
