/** Runs a graph on a batch, keeping every node's output (LRP needs them all on the way back). */
import type * as tf from '@tensorflow/tfjs';
import type { Algebra } from './algebra';
import type { Graph } from './graph';
import { tfAlgebra } from './tf-algebra';

/**
 * Outputs of every node, indexed like graph.nodes. `masks` multiplies the output of the given nodes (per-channel
 * 0/1 vectors: pruning by masking, where a masked component's output is exactly 0); `offsets` adds to it (zeros
 * whose gradient is the gradient at that output, for the gradient criteria).
 */
export function forwardAll<T>(
  A: Algebra<T>,
  graph: Graph,
  x: T,
  masks?: Map<number, T>,
  offsets?: Map<number, T>,
): T[] {
  const outs: T[] = [];
  graph.nodes.forEach((node, i) => {
    let out =
      node.op.type === 'input'
        ? x
        : A.forward(
            node.op,
            node.inputs.map((j) => outs[j]),
          );
    const mask = masks?.get(i);
    if (mask !== undefined) out = A.mul(out, mask);
    const offset = offsets?.get(i);
    if (offset !== undefined) out = A.add(out, offset);
    outs.push(out);
  });
  return outs;
}

/** The model's output only, on tfjs. */
export function forwardOutput(graph: Graph, x: tf.Tensor): tf.Tensor {
  return tfAlgebra.scope(() => forwardAll(tfAlgebra, graph, x)[graph.output]);
}
