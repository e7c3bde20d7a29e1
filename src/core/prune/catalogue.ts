/**
 * The prunable units of a model, in network order (method.md §3, §5), with where a mask acts (after the batch norm
 * that follows a conv, so the masked output is exactly 0 as when weights, bias, γ and β are zeroed). A CNN's are
 * the output channels of every conv and the neurons of every dense layer but the classifier. A transformer's are
 * its attention heads and the neurons of each block's first MLP layer (the dense layer a GELU follows); the q, k, v
 * and output projections, the second MLP layer (residual-stream features) and the patch embedding are not.
 */
import type * as tf from '@tensorflow/tfjs';
import { Graph, Op, consumers, isLinear } from '../graph/graph';
import { badInput, usageError } from '../errors';

export type ComponentKind = 'conv' | 'dense' | 'head' | 'neuron';

export interface ComponentLayerInfo {
  name: string;
  kind: ComponentKind;
  /** The linear node in the (un-canonized) graph. */
  node: number;
  /** The node whose output the mask multiplies. */
  maskNode: number;
  size: number;
  /** Channels of the mask node each component spans: a head's headDim, else 1. */
  width: number;
}

/** One component layer before masks are placed: its node, kind and number of components. */
export interface ComponentNode {
  node: number;
  name: string;
  kind: ComponentKind;
  size: number;
  width: number;
}

export const isTransformer = (graph: Graph) => graph.nodes.some((n) => n.op.type === 'attention');

const isGelu = (graph: Graph, i: number) => {
  const op = graph.nodes[i].op;
  return op.type === 'activation' && (op.fn === 'gelu' || op.fn === 'gelu_new');
};

/** The component layers up to the explained node (LRP and pruning share this list, so their layers line up). */
export function componentNodes(graph: Graph, explained: number): ComponentNode[] {
  const linear = graph.nodes.map((_, i) => i).filter((i) => isLinear(graph.nodes[i].op) && i <= explained);
  if (isTransformer(graph)) {
    return graph.nodes.flatMap((node, i): ComponentNode[] => {
      if (i > explained) return [];
      if (node.op.type === 'attention')
        return [{ node: i, name: node.name, kind: 'head', size: node.op.heads, width: node.op.headDim }];
      const next = consumers(graph, i);
      if (node.op.type === 'dense' && next.length === 1 && isGelu(graph, next[0]) && i !== linear.at(-1)) {
        return [{ node: i, name: node.name, kind: 'neuron', size: node.op.kernel.shape[1], width: 1 }];
      }
      return [];
    });
  }
  return linear.slice(0, -1).map((i) => {
    const op = graph.nodes[i].op as Extract<Op, { kernel: tf.Tensor }>;
    const kshape = op.kernel.shape as number[];
    const size = op.type === 'depthwise' ? kshape[2] * kshape[3] : kshape[kshape.length - 1];
    return { node: i, name: graph.nodes[i].name, kind: op.type === 'dense' ? 'dense' : 'conv', size, width: 1 };
  });
}

/** The explained node: the output, or the logits under a final softmax. */
export function explainedNode(graph: Graph): number {
  let e = graph.output;
  while (graph.nodes[e].op.type === 'activation' && (graph.nodes[e].op as { fn: string }).fn === 'softmax')
    e = graph.nodes[e].inputs[0];
  return e;
}

export function catalogue(graph: Graph): ComponentLayerInfo[] {
  const components = componentNodes(graph, explainedNode(graph));
  if (components.length === 0)
    throw badInput(
      'the model has no prunable layer (conv or dense) before its classifier',
      'prune a model with hidden conv or dense layers',
    );
  return components.map((c) => {
    let maskNode = c.node;
    const next = consumers(graph, c.node);
    if (next.length === 1 && graph.nodes[next[0]].op.type === 'batchnorm') maskNode = next[0];
    return { ...c, maskNode };
  });
}

/** The mask of one component layer at its mask node: each component's flag repeated over the channels it spans. */
export function maskVector(layer: { width: number }, removed: boolean[]): Float32Array {
  const out = new Float32Array(removed.length * layer.width);
  removed.forEach((r, c) => out.fill(r ? 0 : 1, c * layer.width, (c + 1) * layer.width));
  return out;
}

/**
 * --components for transformers: which kind of component to rank and prune (heads or first-MLP neurons, each alone
 * as in the paper, or both pooled). CNNs have conv and dense components and take no --components.
 */
/** What --components picks on a transformer. */
export const COMPONENT_KINDS = ['heads', 'neurons', 'both'] as const;

export function chooseComponents(all: ComponentLayerInfo[], flag: string | undefined): ComponentLayerInfo[] {
  const transformer = all.some((l) => l.kind === 'head' || l.kind === 'neuron');
  if (flag === undefined) return transformer ? all.filter((l) => l.kind === 'head') : all;
  const kinds: Record<string, string[]> = { heads: ['head'], neurons: ['neuron'], both: ['head', 'neuron'] };
  if (!kinds[flag])
    throw usageError(`--components ${flag} is not one of heads, neurons, both`, 'e.g. --components heads');
  if (!transformer)
    throw badInput(
      `--components ${flag}: this model has no attention heads or transformer MLP neurons`,
      'leave --components out for CNNs (their conv channels and dense neurons are pruned together)',
    );
  return all.filter((l) => kinds[flag].includes(l.kind));
}
