/**
 * What every op's training emitters share while a step graph is built: the ONNX builder, the parameters fed as
 * inputs and their gradient outputs, each node's forward value and the gradient flowing into it.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Graph, GraphNode, Op, OpType } from '../graph/graph';
import { OnnxGraphBuilder } from '../onnx/graph-builder';

/** The Graph op field a parameter comes from: a layer's kernel, bias, γ, β, a class token or a position table. */
export type ParamKey = 'kernel' | 'bias' | 'gamma' | 'beta' | 'token' | 'weight';

export interface TrainParam {
  node: number;
  key: ParamKey;
  /** Logical shape (tfjs layout: conv [kh, kw, ci, co], dense [din, dout]). */
  shape: number[];
  input: string;
  grad: string;
}

export interface DropoutInput {
  node: number;
  rate: number;
  input: string;
  shape: number[];
}

export interface BatchStatsOutput {
  node: number;
  mean: string;
  variance: string;
  channels: number;
}

export interface Value {
  name: string;
  /** Logical shape including the batch (NHWC for images; rank-4 values are stored NCHW). */
  shape: number[];
}

export const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

export class StepContext {
  readonly b = new OnnxGraphBuilder();
  readonly params: TrainParam[] = [];
  readonly dropout: DropoutInput[] = [];
  readonly batchStats: BatchStatsOutput[] = [];
  /** Each node's forward value. */
  readonly outs: Value[] = [];
  /** The gradient of the loss with respect to each node's output; a value read twice gets the sum. */
  readonly grads: (string | undefined)[];
  /** The fed input batch (NHWC, as the data come). */
  readonly x: string;

  constructor(
    readonly graph: Graph,
    readonly inputShape: number[],
    readonly batch: number,
  ) {
    this.grads = new Array(graph.nodes.length);
    this.x = this.b.input({ name: 'x', dtype: 'float32', shape: [batch, ...inputShape] });
  }

  ints(v: number[]): string {
    return this.b.ints(v);
  }

  scalar(v: number): string {
    return this.b.scalar(v);
  }

  /** The stored shape of a logical one: NHWC → NCHW for rank 4. */
  phys(shape: number[]): number[] {
    return shape.length === 4 ? [shape[0], shape[3], shape[1], shape[2]] : shape;
  }

  /** Feeds a parameter as a graph input. */
  param(node: number, key: ParamKey, t: tf.Tensor): string {
    const input = this.b.input({ name: `p${node}_${key}`, dtype: 'float32', shape: t.shape });
    this.params.push({ node, key, shape: t.shape, input, grad: '' });
    return input;
  }

  /** Outputs a parameter's gradient. */
  paramGrad(node: number, key: ParamKey, g: string): void {
    const p = this.params.find((q) => q.node === node && q.key === key)!;
    p.grad = g;
    this.b.output(g, { dtype: 'float32', shape: p.shape });
  }

  addGrad(node: number, g: string): void {
    const before = this.grads[node];
    this.grads[node] = before === undefined ? g : this.b.op('Add', [before, g]);
  }
}

/** One node as its emitters see it. */
export interface NodeAt<O extends Op> {
  i: number;
  node: GraphNode;
  op: O;
  /** The value of the node's first input. */
  x: Value;
  /** Whether the first input needs a gradient (it is not the fed input). */
  needInput: boolean;
}

/**
 * An op's part of the training step: `forward` emits the op in training mode and returns its output with what the
 * backward reads (`keep`); `backward` emits the gradients of the inputs (addGrad) and parameters (paramGrad).
 * Declared with method syntax so that a table can hold entries with different `keep` types.
 */
export interface TrainOp<O extends Op, K> {
  forward(s: StepContext, at: NodeAt<O>): { out: Value; keep: K };
  backward(s: StepContext, at: NodeAt<O>, g: string, keep: K): void;
}

export type OpOf<T extends OpType> = Extract<Op, { type: T }>;
