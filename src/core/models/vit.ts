/**
 * A small vision transformer (pre-norm, as method.md §3 describes): non-overlapping patches embedded by a dense
 * layer, a class token, learned positions, encoder blocks `x + MHA(LN1(x))` then `x + MLP(LN2(x))` with a GELU MLP,
 * a final LayerNorm and a linear classifier on the class token. The defaults (patch 7 → 16 tokens at 28×28, width
 * 64, 4 heads, 4 blocks, MLP 128) give ~140 k parameters: trainable on two CPU cores.
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '../errors';
import { SeededInit, classifier } from './layers';
import { ClassToken, Patches, MultiHeadSelfAttention, PositionEmbedding, TakeToken } from './vit-layers';

export interface VitOptions {
  inputShape: [number, number, number];
  numClasses: number;
  /** Patch side; must divide height and width. Default 7 for 28×28 inputs, else 8 (or 4 when 8 does not divide). */
  patch?: number;
  width?: number;
  heads?: number;
  depth?: number;
  mlp?: number;
  seed?: number;
}

function defaultPatch([h, w]: [number, number, number]): number {
  return [7, 8, 4].find((p) => h % p === 0 && w % p === 0) ?? 1;
}

export function buildVit(opts: VitOptions): tf.LayersModel {
  const [h, w] = opts.inputShape;
  const patch = opts.patch ?? defaultPatch(opts.inputShape);
  const width = opts.width ?? 64;
  const heads = opts.heads ?? 4;
  const depth = opts.depth ?? 4;
  const mlp = opts.mlp ?? 128;
  if (h % patch !== 0 || w % patch !== 0)
    throw badInput(
      `patch size ${patch} does not divide the input ${h}×${w}`,
      'choose a patch size that divides height and width',
    );
  if (width % heads !== 0)
    throw badInput(
      `ViT width ${width} is not divisible by ${heads} heads`,
      'choose a width that is a multiple of the number of heads, e.g. width 64 with 4 heads',
    );
  const seed = opts.seed ?? 0;
  const init = new SeededInit(seed);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(x) as tf.SymbolicTensor;
  // Patches + dense rather than a strided conv: the same map, and tfjs's conv gradients are slow at stride = kernel.
  let x = apply(new Patches({ name: 'patches', size: patch }), input);
  x = apply(tf.layers.dense({ name: 'patch_embed', units: width, kernelInitializer: init.glorot() }), x);
  x = apply(new ClassToken({ name: 'class_token', seed: seed * 1000 + 500 }), x);
  x = apply(new PositionEmbedding({ name: 'pos_embed', seed: seed * 1000 + 501 }), x);
  for (let b = 1; b <= depth; b++) {
    const n = `block${b}`;
    let y = apply(tf.layers.layerNormalization({ name: `${n}_ln1`, epsilon: 1e-6 }), x);
    y = apply(
      new MultiHeadSelfAttention({
        name: `${n}_attn`,
        heads,
        headDim: width / heads,
        seed: seed * 1000 + 600 + 10 * b,
      }),
      y,
    );
    x = apply(tf.layers.add({ name: `${n}_add1` }), [x, y]);
    y = apply(tf.layers.layerNormalization({ name: `${n}_ln2`, epsilon: 1e-6 }), x);
    y = apply(
      tf.layers.dense({
        name: `${n}_mlp1`,
        units: mlp,
        activation: 'gelu' as 'relu',
        kernelInitializer: init.glorot(),
      }),
      y,
    );
    y = apply(tf.layers.dense({ name: `${n}_mlp2`, units: width, kernelInitializer: init.glorot() }), y);
    x = apply(tf.layers.add({ name: `${n}_add2` }), [x, y]);
  }
  x = apply(tf.layers.layerNormalization({ name: 'final_ln', epsilon: 1e-6 }), x);
  x = apply(new TakeToken({ name: 'class_pool', index: 0 }), x);
  return tf.model({ name: 'vit', inputs: input, outputs: classifier(x, init, opts.numClasses) });
}
