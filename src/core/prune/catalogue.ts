/**
 * The prunable units of a model: the output channels of every conv and the neurons of every dense layer but the
 * classifier, in network order (method.md §5), with where a mask acts (after the batch norm that follows a conv, so
 * the masked output is exactly 0 as when weights, bias, γ and β are zeroed) and what removing one unit saves.
 */
import type * as tf from '@tensorflow/tfjs';
import { Graph, consumers, isLinear } from '../graph/graph';
import { badInput } from '../errors';

export interface ComponentLayerInfo {
  name: string;
  kind: 'conv' | 'dense';
  /** The linear node in the (un-canonized) graph. */
  node: number;
  /** The node whose output the mask multiplies. */
  maskNode: number;
  size: number;
}


/** The explained node: the output, or the logits under a final softmax. */
export function explainedNode(graph: Graph): number {
  let e = graph.output;
  while (graph.nodes[e].op.type === 'activation' && (graph.nodes[e].op as { fn: string }).fn === 'softmax') e = graph.nodes[e].inputs[0];
  return e;
}

export function catalogue(graph: Graph): ComponentLayerInfo[] {
  const explained = explainedNode(graph);
  const linear = graph.nodes.map((n, i) => i).filter((i) => isLinear(graph.nodes[i].op) && i <= explained);
  if (linear.length < 2) throw badInput('the model has no prunable layer (conv or dense) before its classifier', 'prune a model with hidden conv or dense layers');
  return linear.slice(0, -1).map((i) => {
    const node = graph.nodes[i];
    const op = node.op as Extract<typeof node.op, { kernel: tf.Tensor }>;
    const kshape = op.kernel.shape as number[];
    const depthwise = op.type === 'depthwise';
    const size = depthwise ? kshape[2] * kshape[3] : kshape[kshape.length - 1];
    let maskNode = i;
    const next = consumers(graph, i);
    if (next.length === 1 && graph.nodes[next[0]].op.type === 'batchnorm') maskNode = next[0];
    return { name: node.name, kind: op.type === 'dense' ? 'dense' : 'conv', node: i, maskNode, size };
  });
}
