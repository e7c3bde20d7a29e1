/**
 * Canonizers rewrite the graph before attribution so that rules see a canonical form; the user's model is never
 * touched (the graph holds copies of the weights). `merge-batch-norm` folds a batch norm into the conv or dense
 * layer that feeds it, as zennit's MergeBatchNorm does: w' = w·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β. The batch norm
 * node becomes the identity, so relevance at the conv's output is relevance after the batch norm.
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '../errors';
import { Graph, consumers, isLinear } from '../graph/graph';
import { CANONIZER_NAMES, type CanonizerName } from './composites';

export function mergeBatchNorm(g: Graph): Graph {
  const nodes = g.nodes.map((n) => ({ ...n }));
  nodes.forEach((node, i) => {
    if (node.op.type !== 'batchnorm' || node.inputs.length !== 1) return;
    const src = node.inputs[0];
    const prev = nodes[src];
    // Only a linear layer whose sole reader is this batch norm can absorb it.
    if (!isLinear(prev.op) || consumers(g, src).length !== 1) return;
    const bn = node.op;
    const merged = tf.tidy(() => {
      const scale = tf.div(bn.gamma ?? tf.onesLike(bn.mean), tf.sqrt(tf.add(bn.variance, bn.epsilon)));
      const op = prev.op as Extract<typeof prev.op, { kernel: tf.Tensor }>;
      // The output channel is the kernel's last axis for dense and conv; depthwise interleaves channel × multiplier.
      const kernel = tf.mul(
        op.kernel,
        op.type === 'depthwise' ? scale.reshape([1, 1, op.kernel.shape[2], op.kernel.shape[3]]) : scale,
      );
      const bias = tf.add(
        tf.mul(tf.sub(op.bias ?? tf.zerosLike(bn.mean), bn.mean), scale),
        bn.beta ?? tf.zerosLike(bn.mean),
      );
      return { kernel, bias };
    });
    nodes[src] = { ...prev, op: { ...prev.op, kernel: merged.kernel, bias: merged.bias } as typeof prev.op };
    nodes[i] = { ...node, op: { type: 'identity' } };
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
