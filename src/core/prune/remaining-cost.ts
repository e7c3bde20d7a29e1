/**
 * Parameters and multiply-accumulates left in a model when some components are removed: every linear layer keeps
 * only the weights between its active inputs and its active outputs (a channel stays active after a residual Add if
 * any branch keeps it). This is what physical removal saves, counted without building the smaller model.
 */
import { Graph, isLinear } from '../graph/graph';
import type { ComponentLayerInfo } from './catalogue';
import { channelFlow } from './channel-flow';

const count = (m: boolean[]) => m.reduce((a, b) => a + (b ? 1 : 0), 0);

/** `shapes`: output shapes (without batch) of every node; `removed`: [component layer][unit] flags. */
export function remainingCost(
  graph: Graph,
  shapes: number[][],
  layers: ComponentLayerInfo[],
  removed: boolean[][],
): { params: number; macs: number } {
  const active = channelFlow(graph, shapes, layers, removed);
  let params = 0;
  let macs = 0;
  graph.nodes.forEach((node, i) => {
    const op = node.op;
    const out = shapes[i];
    if (isLinear(op)) {
      const k = op.kernel.shape as number[];
      const keptIn = count(active[node.inputs[0]]);
      const keptOut = count(active[i]);
      const positions = out.slice(0, -1).reduce((a, b) => a * b, 1);
      const taps = op.type === 'dense' ? 1 : k[0] * k[1];
      // Depthwise: each kept output channel reads one input channel; its own filter is kh·kw.
      const weights = op.type === 'depthwise' ? taps * keptOut : taps * keptIn * keptOut;
      params += weights + (op.bias ? keptOut : 0);
      macs += positions * weights;
    } else if (op.type === 'batchnorm') {
      params += ((op.gamma ? 1 : 0) + (op.beta ? 1 : 0) + 2) * count(active[i]);
    } else if (op.type === 'layernorm') {
      params += ((op.gamma ? 1 : 0) + (op.beta ? 1 : 0)) * out[out.length - 1];
    } else if (op.type === 'attention') {
      // Q·Kᵀ and A·V: T·T·d each per kept head channel.
      macs += 2 * out[0] * out[0] * count(active[i]);
    } else if (op.type === 'classtoken') {
      params += op.token.size;
    } else if (op.type === 'addweight') {
      params += op.weight.size;
    }
  });
  return { params, macs };
}
