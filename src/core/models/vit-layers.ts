/**
 * The custom layers a vision transformer needs beyond stock tfjs layers: the class token, learned positions, the
 * multi-head self-attention block (q, k, v and output projections with biases) and the class-token readout. They are
 * registered with tf.serialization at import, so any code that imports this module (model-files.ts, which every
 * model load goes through: CLI, engine process, workers) can load a saved ViT again.
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '../errors';
import { selfAttention, toPatches } from '../graph/attention';

type Shape = (number | null)[];
type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

const single = (inputs: tf.Tensor | tf.Tensor[]) => (Array.isArray(inputs) ? inputs[0] : inputs);
const shapeOf = (s: Shape | Shape[]) => (Array.isArray(s[0]) ? (s as Shape[])[0] : (s as Shape));
const small = (seed?: number) => tf.initializers.truncatedNormal({ stddev: 0.02, seed });

/** x·W + b on the last axis of a [N, T, D] tensor. */
function project(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const [n, t, d] = x.shape as number[];
  return tf
    .add(tf.matMul(x.reshape([n * t, d]), kernel as tf.Tensor2D), bias)
    .reshape([n, t, kernel.shape[1] as number]);
}

/** Cuts the image into non-overlapping p×p patches, one token each (the dense layer after it embeds them). */
export class Patches extends tf.layers.Layer {
  static className = 'Patches';
  readonly size: number;
  constructor(args: LayerArgs & { size: number }) {
    super(args);
    this.size = args.size;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [n, h, w, c] = shapeOf(inputShape) as number[];
    const p = this.size;
    if (h % p !== 0 || w % p !== 0)
      throw badInput(
        `layer '${this.name}': patch size ${p} does not divide the input ${h}×${w}`,
        'choose a patch size that divides height and width',
      );
    return [n, (h / p) * (w / p), p * p * c];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return toPatches(single(inputs), this.size);
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size };
  }
}

/** Prepends one learned token to the sequence: [N, T, D] → [N, T+1, D]. */
export class ClassToken extends tf.layers.Layer {
  static className = 'ClassToken';
  private token?: tf.LayerVariable;
  constructor(private readonly args: LayerArgs & { seed?: number } = {}) {
    super(args);
  }
  override build(inputShape: Shape | Shape[]): void {
    const d = shapeOf(inputShape).at(-1) as number;
    this.token = this.addWeight('token', [d], 'float32', small(this.args.seed));
    this.built = true;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = shapeOf(inputShape);
    return [s[0], s[1] === null ? null : (s[1] as number) + 1, s[2]];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const [n, , d] = x.shape as number[];
      return tf.concat([tf.broadcastTo(this.token!.read().reshape([1, 1, d]), [n, 1, d]), x], 1);
    });
  }
}

/** Adds a learned [T, D] position table to the tokens. */
export class PositionEmbedding extends tf.layers.Layer {
  static className = 'PositionEmbedding';
  private positions?: tf.LayerVariable;
  constructor(private readonly args: LayerArgs & { seed?: number } = {}) {
    super(args);
  }
  override build(inputShape: Shape | Shape[]): void {
    const s = shapeOf(inputShape);
    this.positions = this.addWeight('positions', [s[1] as number, s[2] as number], 'float32', small(this.args.seed));
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.add(single(inputs), this.positions!.read()));
  }
}

export interface AttentionArgs {
  heads: number;
  headDim: number;
  seed?: number;
}

/**
 * Multi-head self-attention: q, k, v = x·W + b ([D, heads·headDim] kernels), per-head softmax attention, and the
 * output projection back to D. heads·headDim may be smaller than D once heads are pruned.
 */
export class MultiHeadSelfAttention extends tf.layers.Layer {
  static className = 'MultiHeadSelfAttention';
  readonly heads: number;
  readonly headDim: number;
  private w: Record<string, tf.LayerVariable> = {};
  constructor(private readonly args: LayerArgs & AttentionArgs) {
    super(args);
    if (!(Number.isInteger(args.heads) && args.heads >= 1 && Number.isInteger(args.headDim) && args.headDim >= 1)) {
      throw badInput(
        `attention '${args.name}': heads ${args.heads} and headDim ${args.headDim} must be positive integers`,
        'e.g. {"heads": 4, "headDim": 16}',
      );
    }
    this.heads = args.heads;
    this.headDim = args.headDim;
  }
  override build(inputShape: Shape | Shape[]): void {
    const d = shapeOf(inputShape).at(-1) as number;
    const inner = this.heads * this.headDim;
    let seed = this.args.seed;
    const glorot = () => tf.initializers.glorotUniform({ seed: seed === undefined ? undefined : seed++ });
    for (const p of ['q', 'k', 'v']) {
      this.w[`${p}_kernel`] = this.addWeight(`${p}_kernel`, [d, inner], 'float32', glorot());
      this.w[`${p}_bias`] = this.addWeight(`${p}_bias`, [inner], 'float32', tf.initializers.zeros());
    }
    this.w.out_kernel = this.addWeight('out_kernel', [inner, d], 'float32', glorot());
    this.w.out_bias = this.addWeight('out_bias', [d], 'float32', tf.initializers.zeros());
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const r = (k: string) => this.w[k].read();
      const [q, k, v] = ['q', 'k', 'v'].map((p) => project(x, r(`${p}_kernel`), r(`${p}_bias`)));
      return project(selfAttention(q, k, v, this.heads, this.headDim), r('out_kernel'), r('out_bias'));
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, headDim: this.headDim };
  }
}

/** Reads one token of the sequence (the class token, index 0): [N, T, D] → [N, D]. */
export class TakeToken extends tf.layers.Layer {
  static className = 'TakeToken';
  readonly index: number;
  constructor(args: LayerArgs & { index?: number } = {}) {
    super(args);
    this.index = args.index ?? 0;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = shapeOf(inputShape);
    return [s[0], s[2]];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const [n, , d] = x.shape as number[];
      return tf.slice(x, [0, this.index, 0], [n, 1, d]).reshape([n, d]);
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), index: this.index };
  }
}

for (const cls of [Patches, ClassToken, PositionEmbedding, MultiHeadSelfAttention, TakeToken])
  tf.serialization.registerClass(cls);
