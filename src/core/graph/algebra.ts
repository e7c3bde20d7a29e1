/**
 * What LRP needs from a tensor library, so that one set of rule declarations runs eagerly on tfjs and compiles
 * into an ONNX inference graph (onnxruntime) alike. Tensors are logical NHWC (or [N, F]) values of type T; an
 * implementation may store them in another layout. Weights are values of T too: `weight` wraps a graph weight.
 */
import type * as tf from '@tensorflow/tfjs';
import type { SoftmaxRule } from '../lrp/composites';
import type { Op, Padding } from './graph';

export type LinearOp = Extract<Op, { type: 'dense' | 'conv2d' | 'depthwise' }>;
export type AttentionOp = Extract<Op, { type: 'attention' }>;
export type PoolOp = Extract<Op, { type: 'maxpool' | 'avgpool' }>;

export interface Algebra<T> {
  /** Runs f; an eager implementation frees the intermediates f made (tf.tidy). */
  scope<R>(f: () => R): R;
  weight(t: tf.Tensor): T;
  shape(t: T): number[];
  /** True when t certainly has no negative entry (a ReLU output, say); false when unknown. */
  isNonNegative(t: T): boolean;

  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T | number): T;
  div(a: T, b: T): T;
  addN(ts: T[]): T;
  relu(a: T): T;
  minZero(a: T): T;
  square(a: T): T;
  fillLike(a: T, value: number): T;
  /** 1 where a > 0 (resp. a < 0), else 0. */
  positiveMask(a: T): T;
  negativeMask(a: T): T;
  /** d + ε·sign(d) with sign(0) = +1 (method.md §2). */
  stabilize(d: T, epsilon: number): T;

  linearForward(op: LinearOp, x: T, kernel: T, bias: T | undefined): T;
  /** ∂/∂x ⟨linear(x; kernel), g⟩ for an input shaped like x. */
  linearInputGradient(op: LinearOp, g: T, kernel: T, x: T): T;

  /** The forward of any non-input op. */
  forward(op: Op, inputs: T[]): T;

  /** Relevance through pooling and reshaping ops, with the conventions of method.md §2. */
  maxPoolRelevance(x: T, r: T, pool: [number, number], strides: [number, number], padding: Padding): T;
  /** x ⊙ ∂/∂x ⟨avgPool(x), g⟩. */
  avgPoolShares(op: PoolOp, x: T, g: T): T;
  /** x ⊙ g/(H·W) broadcast over positions; g is [N, C]. */
  globalAvgPoolShares(x: T, g: T): T;
  globalMaxPoolRelevance(x: T, r: T): T;
  reshapeLike(r: T, x: T): T;
  unpad(r: T, x: T, padding: [[number, number], [number, number]]): T;
  splitLike(r: T, parts: T[], axis: number): T[];
  layerNormRelevance(x: T, y: T, r: T, gamma: T | undefined, epsilon: number): T;
  /** Relevance of q, k, v from R at the attention op's output, and each head's component relevance [N, heads]. */
  attentionRelevance(op: AttentionOp, q: T, k: T, v: T, r: T, softmax: SoftmaxRule): { q: T; k: T; v: T; heads: T };
  /** The patches' relevance back on the image (the inverse rearrangement). */
  unpatch(r: T, x: T, size: number): T;
  /** A class-token op's input relevance: the token's own share is absorbed, as a bias's is. */
  dropClassToken(r: T): T;
  /** A token readout's input relevance: r at that token, zero elsewhere. */
  placeToken(r: T, x: T, index: number): T;
}
