/**
 * Channel padding for onnxruntime: its fast convolutions work on blocks of 16 channels (NCHWc) and fall back to a
 * much slower path for other counts, so a pruned model with, say, 31 or 18 channels could run slower than the
 * original. Before compiling, each conv whose channel count is not a multiple of the block gets zero filters up to
 * the next multiple, and every reader of those channels gets zero weights for them: the outputs are unchanged (the
 * padded channels carry finite values that are multiplied by 0), only the layout fits the fast kernels. The user's
 * model and the pruned model on disk are untouched; this only shapes the graph onnxruntime runs.
 */
import * as tf from '@tensorflow/tfjs';
import { type Graph, type Op, consumers } from '../graph/graph';

/** onnxruntime's NCHWc block on AVX-512 (8 on AVX2, which divides it). */
export const ORT_CHANNEL_BLOCK = 16;

/** Ops that keep each channel separate, so padded channels stay padded channels. */
const perChannel = (op: Op) =>
  op.type === 'batchnorm' ||
  op.type === 'maxpool' ||
  op.type === 'avgpool' ||
  op.type === 'zeropad' ||
  op.type === 'identity' ||
  (op.type === 'activation' && op.fn !== 'softmax');

interface Readers {
  /** Nodes on the way (per-channel ops), whose parameters follow the padding. */
  through: number[];
  /** Convs reading the channels as input channels. */
  convs: number[];
  /** Dense layers reading them after a flatten (spatial positions × channels) or a global pool (channels). */
  dense: { node: number; positions: number }[];
}

/** Where the channels of conv `i` are read, or undefined when some reader cannot take padded channels. */
function readersOf(graph: Graph, i: number, shapes: () => number[][]): Readers | undefined {
  const r: Readers = { through: [], convs: [], dense: [] };
  const stack = [i];
  while (stack.length) {
    const at = stack.pop()!;
    if (at === graph.output) return undefined;
    for (const j of consumers(graph, at)) {
      const op = graph.nodes[j].op;
      if (perChannel(op)) {
        r.through.push(j);
        stack.push(j);
      } else if (op.type === 'conv2d') r.convs.push(j);
      else if (op.type === 'flatten' || op.type === 'globalavgpool' || op.type === 'globalmaxpool') {
        // A pooled or flattened map that is the model's output keeps its width (a conv classifier: SqueezeNet).
        if (j === graph.output) return undefined;
        const shape = shapes()[at];
        if (shape.length !== 3) return undefined;
        const positions = op.type === 'flatten' ? shape[0] * shape[1] : 1;
        for (const k of consumers(graph, j)) {
          if (graph.nodes[k].op.type !== 'dense') return undefined;
          r.dense.push({ node: k, positions });
        }
      } else return undefined;
    }
  }
  return r;
}

const padAxis = (t: tf.Tensor, axis: number, to: number) =>
  tf.pad(t, t.shape.map((n, a) => (a === axis ? [0, to - n] : [0, 0])) as [number, number][]);

/**
 * The graph with padded channels (new nodes share the untouched weights), and a dispose for the tensors it made.
 * `shapes` gives the nodes' output shapes without the batch (nodeShapes); it is called only when a flatten or global
 * pool reads padded channels, and once.
 */
export function padChannels(
  graph: Graph,
  nodeShapes: () => number[][],
  block = ORT_CHANNEL_BLOCK,
): { graph: Graph; dispose: () => void } {
  let cached: number[][] | undefined;
  const shapes = () => (cached ??= nodeShapes());
  const made: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T) => (made.push(t), t);
  const ops = graph.nodes.map((n) => ({ ...n.op }) as Op);
  let changed = false;
  graph.nodes.forEach((node, i) => {
    const op = node.op;
    if (op.type !== 'conv2d') return;
    const c = op.kernel.shape[3];
    const padded = Math.ceil(c / block) * block;
    if (padded === c) return;
    const readers = readersOf(graph, i, shapes);
    if (!readers) return;
    changed = true;
    const conv = ops[i] as Extract<Op, { type: 'conv2d' }>;
    conv.kernel = keep(padAxis(conv.kernel, 3, padded)) as tf.Tensor4D;
    if (conv.bias) conv.bias = keep(padAxis(conv.bias, 0, padded)) as tf.Tensor1D;
    for (const j of readers.through) {
      const t = ops[j];
      if (t.type !== 'batchnorm') continue;
      // Padded channels normalise 0 with mean 0 and variance 1: finite, and read with zero weights anyway.
      const fill = (v: tf.Tensor1D | undefined, value: number) =>
        v ? (keep(tf.concat([v, tf.fill([padded - c], value)])) as tf.Tensor1D) : undefined;
      ops[j] = {
        ...t,
        gamma: fill(t.gamma, 1),
        beta: fill(t.beta, 0),
        mean: fill(t.mean, 0)!,
        variance: fill(t.variance, 1)!,
      };
    }
    for (const j of readers.convs) {
      const reader = ops[j] as Extract<Op, { type: 'conv2d' }>;
      reader.kernel = keep(padAxis(reader.kernel, 2, padded)) as tf.Tensor4D;
    }
    for (const { node: j, positions } of readers.dense) {
      // Flatten is NHWC: row (position·C + channel) moves to (position·C' + channel); padded rows are zero.
      const dense = ops[j] as Extract<Op, { type: 'dense' }>;
      const units = dense.kernel.shape[1];
      const from = dense.kernel.dataSync();
      const rows = new Float32Array(positions * padded * units);
      for (let p = 0; p < positions; p++)
        rows.set(from.subarray(p * c * units, (p + 1) * c * units), p * padded * units);
      dense.kernel = keep(tf.tensor2d(rows, [positions * padded, units]));
    }
  });
  if (!changed) return { graph, dispose: () => undefined };
  return {
    graph: { ...graph, nodes: graph.nodes.map((n, i) => ({ ...n, op: ops[i] })) },
    dispose: () => made.forEach((t) => t.dispose()),
  };
}
