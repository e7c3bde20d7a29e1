/**
 * What LRP needs from a tensor library, so that one set of rule declarations runs eagerly on tfjs and compiles
 * into an ONNX inference graph (onnxruntime) alike. Tensors are logical NHWC (or [N, F]) values of type T; an
 * implementation may store them in another layout. Weights are values of T too: `weight` wraps a graph weight.
 * The rules themselves (src/core/lrp/) are written once over these primitives; an Algebra implements arithmetic,
 * the model's ops and their input gradients, never a rule.
 */
import type * as tf from '@tensorflow/tfjs';
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

  add(a: T, b: T | number): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T | number): T;
  div(a: T, b: T): T;
  addN(ts: T[]): T;
  relu(a: T): T;
  minZero(a: T): T;
  square(a: T): T;
  abs(a: T): T;
  sqrt(a: T): T;
  /** A value shaped like a, filled with one number, or with one number per channel (the last logical axis). */
  fillLike(a: T, value: number | number[]): T;
  /** 1 where a > 0 (resp. a < 0), else 0. */
  positiveMask(a: T): T;
  negativeMask(a: T): T;
  /** `atLeastZero` where d ≥ 0 and `belowZero` where d < 0 (broadcasts against d). */
  whereNonNegative(d: T, atLeastZero: number, belowZero: number): T;

  /** Reductions over one axis (negative counts from the end); mean keeps the axis. */
  sum(t: T, axis: number, keepDims?: boolean): T;
  mean(t: T, axis: number): T;
  /** A new axis of size 1 at `axis` (negative counts from the end of the result). */
  unsqueeze(t: T, axis: number): T;
  /** The n×n identity matrix. */
  eye(n: number): T;
  /** Batched matrix product over the last two axes. */
  matMul(a: T, b: T, transposeA?: boolean, transposeB?: boolean): T;
  /** Softmax over the last axis. */
  softmax(t: T): T;
  /** [N, T, H·d] → one matrix per sample and head, [N, H, T, d] (graph/attention.ts's head layout). */
  splitHeads(t: T, heads: number, headDim: number): T;
  /** [N, H, T, d] → [N, T, H·d]. */
  mergeHeads(t: T): T;

  linearForward(op: LinearOp, x: T, kernel: T, bias: T | undefined): T;
  /** ∂/∂x ⟨linear(x; kernel), g⟩ for an input shaped like x. */
  linearInputGradient(op: LinearOp, g: T, kernel: T, x: T): T;

  /** The forward of any non-input op. */
  forward(op: Op, inputs: T[]): T;

  /** Relevance through pooling and reshaping ops, with the conventions of method.md §2. */
  maxPoolRelevance(x: T, r: T, pool: [number, number], strides: [number, number], padding: Padding): T;
  /** ∂/∂x ⟨avgPool(x), g⟩. */
  avgPoolInputGradient(op: PoolOp, g: T, x: T): T;
  /** ∂/∂x ⟨globalAvgPool(x), g⟩ = g/(H·W) at every position; g is [N, C]. */
  globalAvgPoolInputGradient(g: T, x: T): T;
  globalMaxPoolRelevance(x: T, r: T): T;
  reshapeLike(r: T, x: T): T;
  unpad(r: T, x: T, padding: [[number, number], [number, number]]): T;
  splitLike(r: T, parts: T[], axis: number): T[];
  /** The patches' relevance back on the image (the inverse rearrangement). */
  unpatch(r: T, x: T, size: number): T;
  /** A class-token op's input relevance: the token's own share is absorbed, as a bias's is. */
  dropClassToken(r: T): T;
  /** A token readout's input relevance: r at that token, zero elsewhere. */
  placeToken(r: T, x: T, index: number): T;
}
