/**
 * Which channels of every node survive when some components are removed: a linear layer keeps its unremoved outputs,
 * shape-preserving ops pass their input's channels on, flatten spreads them over positions (NHWC order), a residual
 * Add keeps a channel if any branch does, a Concatenate joins its inputs' slices. Used to count what removal saves
 * and to cut the weights of every layer that reads a removed channel. A removed attention head takes its channels
 * of q, k, v and of the attention output with it.
 */
import { Graph, isLinear } from '../graph/graph';
import type { ComponentLayerInfo } from './catalogue';

/** `shapes`: output shapes (without batch) of every node; returns, per node, a keep flag per output channel. */
export function channelFlow(
  graph: Graph,
  shapes: number[][],
  layers: ComponentLayerInfo[],
  removed: boolean[][],
): boolean[][] {
  const own = new Map(layers.map((l, i) => [l.node, removed[i]]));
  // A head's channels: its slice of the attention output and of the q, k and v projections that feed it.
  const headChannels = new Map<number, boolean[]>();
  layers.forEach((l, li) => {
    if (l.kind !== 'head') return;
    const keep = removed[li].flatMap((r) => new Array<boolean>(l.width).fill(!r));
    for (const j of [l.node, ...graph.nodes[l.node].inputs]) headChannels.set(j, keep);
  });
  const active: boolean[][] = [];
  graph.nodes.forEach((node, i) => {
    const out = shapes[i];
    const width = out[out.length - 1];
    const ins = node.inputs.map((j) => active[j]);
    const op = node.op;
    const all = () => new Array<boolean>(width).fill(true);
    if (headChannels.has(i)) active.push(headChannels.get(i)!);
    else if (op.type === 'input' || op.type === 'patches') active.push(all());
    else if (isLinear(op)) active.push(own.get(i)?.map((r) => !r) ?? all());
    else if (op.type === 'flatten') {
      const positions = shapes[node.inputs[0]].slice(0, -1).reduce((a, b) => a * b, 1);
      const m: boolean[] = [];
      for (let p = 0; p < positions; p++) m.push(...ins[0]);
      active.push(m);
    } else if (op.type === 'add') active.push(ins[0].map((_, c) => ins.some((m) => m[c])));
    else if (op.type === 'concat') active.push(ins.flat());
    else if (op.type === 'layernorm') active.push(all());
    else active.push(ins[0].length === width ? ins[0] : all());
  });
  return active;
}
