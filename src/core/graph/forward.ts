/** Runs a graph on a batch, keeping every node's output (LRP needs them all on the way back). */
import * as tf from '@tensorflow/tfjs';
import type { Graph } from './graph';
import { opForward } from './ops';

/** Outputs of every node, indexed like graph.nodes; the caller disposes them. */
export function forwardAll(graph: Graph, x: tf.Tensor): tf.Tensor[] {
  const outs: tf.Tensor[] = [];
  for (const node of graph.nodes) {
    outs.push(node.op.type === 'input' ? x.clone() : opForward(node.op, node.inputs.map((i) => outs[i])));
  }
  return outs;
}

/** The model's output only; intermediate tensors are freed as soon as nothing reads them. */
export function forwardOutput(graph: Graph, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => forwardAll(graph, x)[graph.output]);
}
