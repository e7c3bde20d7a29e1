/**
 * Canonizers rewrite the graph before attribution so that rules see a canonical form; the user's model is never
 * touched (the graph holds copies of the weights). `merge-batch-norm` folds a batch norm into the conv or dense
 * layer that feeds it, as zennit's MergeBatchNorm does: w' = w·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β. The batch norm
 * node becomes the identity, so relevance at the conv's output is relevance after the batch norm.
 *
 * zennit does not remove the batch norm: it sets it to (μ 0, σ² 1, γ 1, β 0) and keeps its ε, so the module it
 * explains scales that output by 1/√(1+ε). We fold that factor into the merged weights, and into the weights of a
 * conv whose batch norm the exporter already folded, so LRP sees the forward zennit sees on the PyTorch module. It
 * changes activations by ~5e-6, which matters only where a residual sum nearly cancels (two branches of 0.2591 and
 * −0.2587 in the ONNX conformance case, where the proportional split amplifies it ~600×).
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '../errors';
import { Graph, consumers, isLinear } from '../graph/graph';
import { CANONIZER_NAMES, type CanonizerName } from './composites';

/** What zennit's identity batch norm (σ² 1, ε kept) multiplies by. */
const residue = (epsilon: number): number => 1 / Math.sqrt(1 + epsilon);

type LinearOp = Extract<Graph['nodes'][number]['op'], { kernel: tf.Tensor }>;

/** The kernel with its output channels scaled by `scale` (a per-channel tensor or a number). */
function scaledKernel(op: LinearOp, scale: tf.Tensor1D | number): tf.Tensor {
  // The output channel is the kernel's last axis for dense and conv; depthwise interleaves channel × multiplier.
  const s =
    typeof scale === 'number' || op.type !== 'depthwise'
      ? scale
      : scale.reshape([1, 1, op.kernel.shape[2], op.kernel.shape[3]]);
  return tf.mul(op.kernel, s);
}

const withWeights = (op: LinearOp, w: { kernel: tf.Tensor; bias?: tf.Tensor }): LinearOp =>
  ({ ...op, kernel: w.kernel, bias: w.bias }) as LinearOp;

export function mergeBatchNorm(g: Graph): Graph {
  const nodes = g.nodes.map((n) => ({ ...n }));
  const merged = new Set<number>();
  nodes.forEach((node, i) => {
    if (node.op.type !== 'batchnorm' || node.inputs.length !== 1) return;
    const src = node.inputs[0];
    const prev = nodes[src];
    // Only a linear layer whose sole reader is this batch norm can absorb it.
    if (!isLinear(prev.op) || consumers(g, src).length !== 1) return;
    const bn = node.op;
    const op = prev.op as LinearOp;
    nodes[src] = {
      ...prev,
      op: withWeights(
        op,
        tf.tidy(() => {
          // γ/√(σ²+ε), times the factor zennit's identity batch norm keeps.
          const scale = tf.mul(
            tf.div(bn.gamma ?? tf.onesLike(bn.mean), tf.sqrt(tf.add(bn.variance, bn.epsilon))),
            residue(bn.epsilon),
          ) as tf.Tensor1D;
          const bias = tf.add(
            tf.mul(tf.sub(op.bias ?? tf.zerosLike(bn.mean), bn.mean), scale),
            tf.mul(bn.beta ?? tf.zerosLike(bn.mean), residue(bn.epsilon)),
          ) as tf.Tensor1D;
          return { kernel: scaledKernel(op, scale), bias };
        }),
      ),
    };
    nodes[i] = { ...node, op: { type: 'identity' } };
    merged.add(src);
  });
  nodes.forEach((node, i) => {
    const op = node.op;
    if ((op.type !== 'conv2d' && op.type !== 'depthwise') || !op.foldedBatchNorm || merged.has(i)) return;
    const r = residue(op.foldedBatchNorm.epsilon);
    const w = tf.tidy(() => ({ kernel: scaledKernel(op, r), ...(op.bias ? { bias: tf.mul(op.bias, r) } : {}) }));
    nodes[i] = { ...node, op: withWeights(op, w) };
  });
  return { nodes, output: g.output };
}

/** Each name composites accept, and its rewrite. */
const CANONIZERS: Record<CanonizerName, (g: Graph) => Graph> = {
  'merge-batch-norm': mergeBatchNorm,
};

/** Applies the named canonizers in order; the returned graph shares untouched weights with the input graph. */
export function canonize(g: Graph, names: readonly string[]): Graph {
  let out = g;
  for (const name of names) {
    // A spec can arrive as JSON from elsewhere (a worker message), not only from parseComposite.
    if (!Object.prototype.hasOwnProperty.call(CANONIZERS, name))
      throw badInput(`unknown canonizer '${name}'`, `available: ${CANONIZER_NAMES.join(', ')}`);
    out = CANONIZERS[name as CanonizerName](out);
  }
  return out;
}

/** Disposes the weights a canonized graph created (those not shared with the original). */
export function disposeCanonized(canonized: Graph, original: Graph): void {
  const kept = new Set<tf.Tensor>();
  for (const n of original.nodes) for (const v of Object.values(n.op)) if (v instanceof tf.Tensor) kept.add(v);
  for (const n of canonized.nodes)
    for (const v of Object.values(n.op)) if (v instanceof tf.Tensor && !kept.has(v)) v.dispose();
}
