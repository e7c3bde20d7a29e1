/**
 * The engine's view of a model: a list of nodes in topological order, each an op with its own weights (tensors the
 * graph owns) and the indices of the nodes it reads. LRP, pruning and FLOP counting walk this graph instead of tfjs
 * layer objects, so they can swap weights (canonizers, masks) without touching the user's model. A conv or dense
 * layer with a fused activation becomes two nodes, `name` (the linear map, whose output is z) and `name:act`.
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '../errors';

/** Explicit zero padding [[top, bottom], [left, right]], as ONNX models from PyTorch give it (a 7×7/2 conv with pad 3). */
export type ExplicitPadding = [[number, number], [number, number]];
export type Padding = 'same' | 'valid' | ExplicitPadding;

/**
 * A batch norm the exporter already folded into this conv's weights (PyTorch names such a fused weight
 * `onnx::Conv_N`). The canonizer `merge-batch-norm` needs it to compute what zennit's MergeBatchNorm computes on the
 * PyTorch module the file came from; `epsilon` is the batch norm's ε, which the export drops (PyTorch's default).
 */
export interface FoldedBatchNorm {
  epsilon: number;
}

export type Op =
  | { type: 'input' }
  | { type: 'dense'; kernel: tf.Tensor2D; bias?: tf.Tensor1D }
  | {
      type: 'conv2d';
      kernel: tf.Tensor4D;
      bias?: tf.Tensor1D;
      strides: [number, number];
      padding: Padding;
      dilations: [number, number]; /** See FoldedBatchNorm. */
      foldedBatchNorm?: FoldedBatchNorm;
    }
  | {
      type: 'depthwise';
      kernel: tf.Tensor4D;
      bias?: tf.Tensor1D;
      strides: [number, number];
      padding: Padding;
      dilations: [number, number];
      foldedBatchNorm?: FoldedBatchNorm;
    }
  | {
      type: 'batchnorm';
      gamma?: tf.Tensor1D;
      beta?: tf.Tensor1D;
      mean: tf.Tensor1D;
      variance: tf.Tensor1D;
      epsilon: number;
      momentum?: number;
    }
  | { type: 'layernorm'; gamma?: tf.Tensor1D; beta?: tf.Tensor1D; epsilon: number }
  | { type: 'activation'; fn: string; alpha?: number; maxValue?: number }
  | { type: 'maxpool' | 'avgpool'; pool: [number, number]; strides: [number, number]; padding: Padding }
  | { type: 'globalavgpool' | 'globalmaxpool' }
  | { type: 'flatten' }
  | { type: 'reshape'; targetShape: number[] }
  | { type: 'zeropad'; padding: [[number, number], [number, number]] }
  /** Dropout at inference (its rate kept for training), and a batch norm merged into its conv: the identity. */
  | { type: 'identity'; dropoutRate?: number }
  | { type: 'add' }
  | { type: 'concat'; axis: number }
  // Vision transformers (method.md §3). A MultiHeadSelfAttention layer becomes five nodes: dense `name/q`,
  // `name/k`, `name/v` reading the block input, this op `name` (inputs q, k, v; output the heads' A·V merged,
  // [N, T, heads·headDim]) and dense `name/out`. Heads are components of `name`; masking its output per head
  // is A[:, h] = 0.
  | { type: 'attention'; heads: number; headDim: number }
  /** [N, H, W, C] → [N, tokens, p·p·C]. */
  | { type: 'patches'; size: number }
  /** Prepends a learned token: [N, T, D] → [N, T+1, D]. */
  | { type: 'classtoken'; token: tf.Tensor1D }
  /** Adds a learned table (positions) to the input. */
  | { type: 'addweight'; weight: tf.Tensor }
  /** Reads one token: [N, T, D] → [N, D]. */
  | { type: 'taketoken'; index: number };

export type OpType = Op['type'];

export interface GraphNode {
  name: string;
  /** The tfjs layer class it came from (for messages and the UI). */
  className: string;
  op: Op;
  inputs: number[];
}

export interface Graph {
  nodes: GraphNode[];
  /** Index of the node whose output is the model's output. */
  output: number;
  /**
   * How the data was normalized per input channel before the model ((pixel − mean) / std, e.g. --preprocess
   * imagenet): z-box's pixel bounds become input bounds through it. Absent: inputs are the pixels.
   */
  inputNormalization?: { mean: number[]; std: number[] };
}

/** Linear layers whose outputs are LRP components and whose weights pruning removes. */
export const isLinear = (op: Op): op is Extract<Op, { type: 'dense' | 'conv2d' | 'depthwise' }> =>
  op.type === 'dense' || op.type === 'conv2d' || op.type === 'depthwise';

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v as number, v as number]);

function weightsBySuffix(layer: tf.layers.Layer): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  layer.weights.forEach((w, i) => {
    const suffix = w.originalName.split('/').pop()!;
    out[suffix] = layer.getWeights()[i].clone();
  });
  return out;
}

function activationNode(fn: string, config: Record<string, unknown> = {}): Op {
  return {
    type: 'activation',
    fn,
    alpha: config.alpha as number | undefined,
    maxValue: config.maxValue as number | undefined,
  };
}

/** The op of one layer, plus the activation it applies after itself (if any). */
// Long: one short case per Keras layer class, a table read by class name.
function opOf(layer: tf.layers.Layer): { op: Op; activation?: string } {
  const config = layer.getConfig() as Record<string, unknown>;
  const w = () => weightsBySuffix(layer);
  const act = typeof config.activation === 'string' && config.activation !== 'linear' ? config.activation : undefined;
  switch (layer.getClassName()) {
    case 'InputLayer':
      return { op: { type: 'input' } };
    case 'Dense': {
      const { kernel, bias } = w();
      return {
        op: { type: 'dense', kernel: kernel as tf.Tensor2D, bias: bias as tf.Tensor1D | undefined },
        activation: act,
      };
    }
    case 'Conv2D':
    case 'DepthwiseConv2D': {
      const weights = w();
      const depthwise = layer.getClassName() === 'DepthwiseConv2D';
      if (config.dataFormat === 'channelsFirst')
        throw badInput(`layer '${layer.name}' is channels-first`, 'PXP supports channels-last (NHWC) models');
      const base = {
        kernel: (depthwise ? weights.depthwise_kernel : weights.kernel) as tf.Tensor4D,
        bias: weights.bias as tf.Tensor1D | undefined,
        strides: pair(config.strides),
        padding: config.padding as Padding,
        dilations: pair(config.dilationRate ?? 1),
      };
      if (config.padding !== 'same' && config.padding !== 'valid')
        throw badInput(`layer '${layer.name}' uses padding '${config.padding}'`, "use 'same' or 'valid' padding");
      return { op: { type: depthwise ? 'depthwise' : 'conv2d', ...base }, activation: act };
    }
    case 'BatchNormalization': {
      const { gamma, beta, moving_mean, moving_variance } = w();
      const axis = config.axis as number;
      const rank = layer.inboundNodes[0].inputShapes.length;
      if (
        axis !== -1 &&
        axis !== (rank as number) - 1 &&
        !(Array.isArray(config.axis) && (config.axis as number[])[0] === -1)
      ) {
        throw badInput(
          `batch norm '${layer.name}' normalises axis ${axis}`,
          'PXP supports batch norm over the last (channel) axis',
        );
      }
      return {
        op: {
          type: 'batchnorm',
          gamma: gamma as tf.Tensor1D,
          beta: beta as tf.Tensor1D,
          mean: moving_mean as tf.Tensor1D,
          variance: moving_variance as tf.Tensor1D,
          epsilon: config.epsilon as number,
          momentum: config.momentum as number,
        },
      };
    }
    case 'LayerNormalization': {
      const { gamma, beta } = w();
      return {
        op: {
          type: 'layernorm',
          gamma: gamma as tf.Tensor1D,
          beta: beta as tf.Tensor1D,
          epsilon: config.epsilon as number,
        },
      };
    }
    case 'Activation':
      return { op: activationNode(config.activation as string) };
    case 'ReLU':
      return { op: activationNode(config.maxValue != null ? 'relu6' : 'relu', config) };
    case 'LeakyReLU':
      return { op: { type: 'activation', fn: 'leakyRelu', alpha: (config.alpha as number) ?? 0.3 } };
    case 'ELU':
      return { op: { type: 'activation', fn: 'elu', alpha: (config.alpha as number) ?? 1 } };
    case 'Softmax':
      return { op: activationNode('softmax') };
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return {
        op: {
          type: layer.getClassName() === 'MaxPooling2D' ? 'maxpool' : 'avgpool',
          pool: pair(config.poolSize),
          strides: pair(config.strides ?? config.poolSize),
          padding: config.padding as Padding,
        },
      };
    case 'GlobalAveragePooling2D':
      return { op: { type: 'globalavgpool' } };
    case 'GlobalMaxPooling2D':
      return { op: { type: 'globalmaxpool' } };
    case 'Flatten':
      return { op: { type: 'flatten' } };
    case 'Reshape':
      return { op: { type: 'reshape', targetShape: config.targetShape as number[] } };
    case 'ZeroPadding2D': {
      const p = config.padding as number | [number, number] | [[number, number], [number, number]];
      const padding: [[number, number], [number, number]] =
        typeof p === 'number'
          ? [
              [p, p],
              [p, p],
            ]
          : Array.isArray(p[0])
            ? (p as [[number, number], [number, number]])
            : [
                [p[0] as number, p[0] as number],
                [p[1] as number, p[1] as number],
              ];
      return { op: { type: 'zeropad', padding } };
    }
    case 'Dropout':
      return { op: { type: 'identity', dropoutRate: config.rate as number } };
    case 'Add':
      return { op: { type: 'add' } };
    case 'Concatenate':
      return { op: { type: 'concat', axis: (config.axis as number) ?? -1 } };
    case 'Patches':
      return { op: { type: 'patches', size: config.size as number } };
    case 'ClassToken':
      return { op: { type: 'classtoken', token: w().token as tf.Tensor1D } };
    case 'PositionEmbedding':
      return { op: { type: 'addweight', weight: w().positions } };
    case 'TakeToken':
      return { op: { type: 'taketoken', index: (config.index as number) ?? 0 } };
    default:
      if (/attention/i.test(layer.getClassName())) {
        throw badInput(
          `layer '${layer.name}' is an attention layer of class ${layer.getClassName()}, which PXP does not recognise`,
          'PXP supports MultiHeadSelfAttention (q, k, v and output projections with biases, softmax over keys), as built by pxp train --arch vit',
        );
      }
      throw badInput(
        `layer '${layer.name}' (${layer.getClassName()}) is not supported by the engine`,
        'see pxp info for the supported layer classes',
      );
  }
}

/** The five nodes of a MultiHeadSelfAttention layer (see the 'attention' op); returns the output node. */
function attentionNodes(layer: tf.layers.Layer, input: number, add: (n: GraphNode) => number): number {
  const w = weightsBySuffix(layer);
  const config = layer.getConfig() as Record<string, unknown>;
  const heads = config.heads as number;
  const headDim = config.headDim as number;
  const className = layer.getClassName();
  const dense = (p: string, from: number) =>
    add({
      name: `${layer.name}/${p}`,
      className,
      op: { type: 'dense', kernel: w[`${p}_kernel`] as tf.Tensor2D, bias: w[`${p}_bias`] as tf.Tensor1D },
      inputs: [from],
    });
  const qkv = ['q', 'k', 'v'].map((p) => dense(p, input));
  const core = add({ name: layer.name, className, op: { type: 'attention', heads, headDim }, inputs: qkv });
  return dense('out', core);
}

/** Builds the graph of a LayersModel (sequential or functional); the graph owns copies of the weights. */
export function graphFromModel(model: tf.LayersModel): Graph {
  const nodes: GraphNode[] = [];
  const index = new Map<string, number>();
  const add = (node: GraphNode) => {
    index.set(node.name, nodes.length);
    nodes.push(node);
    return nodes.length - 1;
  };
  for (const layer of model.layers) {
    if (index.has(layer.name)) continue;
    if (layer.inboundNodes.length !== 1)
      throw badInput(
        `layer '${layer.name}' is used ${layer.inboundNodes.length} times`,
        'PXP needs every layer to be applied once (no shared layers)',
      );
    const inputs = layer.inboundNodes[0].inboundLayers.map((l) => {
      // Input layers are not always in model.layers (a Sequential keeps its own), so they are added when first read.
      if (!index.has(l.name) && l.getClassName() === 'InputLayer')
        add({ name: l.name, className: 'InputLayer', op: { type: 'input' }, inputs: [] });
      const i = index.get(l.name);
      if (i === undefined)
        throw badInput(
          `layer '${layer.name}' reads '${l.name}', which comes later or is a nested model`,
          'flatten nested models into one functional model',
        );
      return i;
    });
    if (layer.getClassName() === 'MultiHeadSelfAttention') {
      index.set(layer.name, attentionNodes(layer, inputs[0], add));
      continue;
    }
    const { op, activation } = opOf(layer);
    const at = add({ name: layer.name, className: layer.getClassName(), op, inputs });
    if (activation) {
      const actIndex = add({
        name: `${layer.name}:act`,
        className: layer.getClassName(),
        op: activationNode(activation),
        inputs: [at],
      });
      index.set(layer.name, actIndex); // consumers read the activated output
    }
  }
  // A Sequential that has not been built yet lists no output layers: its output is its last layer.
  const outputNames = model.outputLayers.length
    ? model.outputLayers.map((l) => l.name)
    : [model.layers[model.layers.length - 1].name];
  const inputCount = nodes.filter((n) => n.op.type === 'input').length;
  if (inputCount !== 1 || outputNames.length !== 1) {
    throw badInput(
      `model '${model.name}' has ${inputCount} inputs and ${outputNames.length} outputs`,
      'PXP supports models with one input and one output',
    );
  }
  return { nodes, output: index.get(outputNames[0])! };
}

/** A copy that owns its own weights (tensors cloned), for callers that dispose the graph they are given. */
export function cloneGraph(g: Graph): Graph {
  const copyOp = (op: Op): Op =>
    Object.fromEntries(Object.entries(op).map(([k, v]) => [k, v instanceof tf.Tensor ? v.clone() : v])) as Op;
  return {
    nodes: g.nodes.map((n) => ({ ...n, op: copyOp(n.op), inputs: [...n.inputs] })),
    output: g.output,
    ...(g.inputNormalization ? { inputNormalization: g.inputNormalization } : {}),
  };
}

export function disposeGraph(g: Graph): void {
  for (const n of g.nodes) for (const v of Object.values(n.op)) if (v instanceof tf.Tensor) v.dispose();
}

/** Nodes that read node i. */
export function consumers(g: Graph, i: number): number[] {
  const out: number[] = [];
  g.nodes.forEach((n, j) => n.inputs.includes(i) && out.push(j));
  return out;
}

/** Names a composite may give a rule: conv and dense layers, and each attention layer's q, k, v and out projections. */
export function linearLayerNames(model: tf.LayersModel): string[] {
  return model.layers.flatMap((l) => {
    const cls = l.getClassName();
    if (cls === 'MultiHeadSelfAttention') return ['q', 'k', 'v', 'out'].map((p) => `${l.name}/${p}`);
    return ['Conv2D', 'DepthwiseConv2D', 'Dense'].includes(cls) ? [l.name] : [];
  });
}
