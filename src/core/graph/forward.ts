/** Runs a graph on a batch, keeping every node's output (LRP needs them all on the way back). */
import type * as tf from '@tensorflow/tfjs';
import type { Algebra } from './algebra';
import type { Graph } from './graph';
import { tfAlgebra } from './tf-algebra';

/** Outputs of every node, indexed like graph.nodes. */
export function forwardAll<T>(A: Algebra<T>, graph: Graph, x: T): T[] {
  const outs: T[] = [];
  for (const node of graph.nodes) outs.push(node.op.type === 'input' ? x : A.forward(node.op, node.inputs.map((i) => outs[i])));
  return outs;
}

/** The model's output only, on tfjs. */
export function forwardOutput(graph: Graph, x: tf.Tensor): tf.Tensor {
  return tfAlgebra.scope(() => forwardAll(tfAlgebra, graph, x)[graph.output]);
}
