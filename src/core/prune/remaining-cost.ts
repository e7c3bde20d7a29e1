/**
 * Parameters and multiply-accumulates left in a model when some components are removed: every linear layer keeps
 * only the weights between its active inputs and its active outputs (a channel stays active after a residual Add if
 * any branch keeps it). This is what physical removal saves, counted without building the smaller model.
 */
import { Graph, isLinear } from '../graph/graph';
import type { ComponentLayerInfo } from './catalogue';

const count = (m: boolean[]) => m.reduce((a, b) => a + (b ? 1 : 0), 0);

/** `shapes`: output shapes (without batch) of every node; `removed`: [component layer][unit] flags. */
export function remainingCost(graph: Graph, shapes: number[][], layers: ComponentLayerInfo[], removed: boolean[][]): { params: number; macs: number } {
  const own = new Map(layers.map((l, i) => [l.node, removed[i]]));
  const active: boolean[][] = [];
  let params = 0;
  let macs = 0;
  graph.nodes.forEach((node, i) => {
    const out = shapes[i];
    const width = out[out.length - 1];
    const inActive = node.inputs.map((j) => active[j]);
    const op = node.op;
    if (op.type === 'input') {
      active.push(new Array(width).fill(true));
      return;
    }
    if (isLinear(op)) {
      const k = op.kernel.shape as number[];
      const flags = own.get(i);
      const outMask = flags ? flags.map((r) => !r) : new Array(width).fill(true);
      const keptIn = count(inActive[0]);
      const keptOut = count(outMask);
      const positions = out.slice(0, -1).reduce((a, b) => a * b, 1);
      const taps = op.type === 'dense' ? 1 : k[0] * k[1];
      // Depthwise: each kept output channel reads one input channel; its own filter is kh·kw.
      const weights = op.type === 'depthwise' ? taps * keptOut : taps * keptIn * keptOut;
      params += weights + (op.bias ? keptOut : 0);
      macs += positions * weights;
      active.push(outMask);
      return;
    }
    switch (op.type) {
      case 'batchnorm':
        params += (op.gamma ? 1 : 0) * count(inActive[0]) + (op.beta ? 1 : 0) * count(inActive[0]) + 2 * count(inActive[0]);
        active.push(inActive[0]);
        return;
      case 'layernorm':
        params += ((op.gamma ? 1 : 0) + (op.beta ? 1 : 0)) * width;
        active.push(new Array(width).fill(true));
        return;
      case 'flatten': {
        const positions = shapes[node.inputs[0]].slice(0, -1).reduce((a, b) => a * b, 1);
        // NHWC flatten: feature (p·C + c) is channel c at position p.
        const m: boolean[] = [];
        for (let p = 0; p < positions; p++) m.push(...inActive[0]);
        active.push(m);
        return;
      }
      case 'add':
        active.push(inActive[0].map((_, c) => inActive.some((m) => m[c])));
        return;
      case 'concat':
        active.push(inActive.flat());
        return;
      case 'reshape':
        active.push(inActive[0].length === width ? inActive[0] : new Array(width).fill(true));
        return;
      default:
        active.push(inActive[0].length === width ? inActive[0] : new Array(width).fill(true));
    }
  });
  return { params, macs };
}
