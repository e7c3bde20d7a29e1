/**
 * An ONNX model from PyTorch as the engine's own graph, so LRP, criteria, masking, curves, search and surgery run
 * on it unchanged. The engine computes channels-last (NHWC); ONNX from PyTorch is channels-first. Values are
 * converted at the edges: conv kernels [O, I, kh, kw] become [kh, kw, I, O], a Gemm after an NCHW flatten gets its
 * rows reordered from C·H·W to H·W·C (the flatten itself then is the engine's), explicit pads stay explicit.
 * Each engine node keeps its PyTorch module path as its name (module-path.ts) and records which ONNX constants its
 * channels index (provenance.ts). Patterns that span several ONNX nodes (GELU as Erf, LayerNorm decomposed at opset
 * 16, torchvision's multi-head attention) are recognised first (patterns.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '../../errors';
import type { Graph, GraphNode, Op, Padding } from '../../graph/graph';
import type { ConstTensor, ModelProto, NodeProto } from './onnx-file';
import { axisOf, size, transposeConst } from './const-ops';
import { modulePath, parameterOwner, UniqueNames } from './module-path';
import type { AxisLink, NodeProvenance } from './provenance';
import { type AttrValue, type GraphFacts, attributes, nodePads } from './shape-inference';
import { type HeadShapeRewrite, type Replacement, findPatterns } from './patterns';
import { type WeightSink, weightSink } from './weights';

/** How an engine value stands for an ONNX value. */
export type Layout =
  /** ONNX [N, C, H, W], engine [N, H, W, C]. */
  | 'nchw'
  /** ONNX [N, C, 1, 1] after global pooling, engine [N, C]. */
  | 'nc11'
  /** The same shape on both sides. */
  | 'plain'
  /** ONNX [N, C·H·W] (an NCHW flatten), engine [N, H·W·C]: only linear layers may read it (their rows are reordered). */
  | 'flat-chw'
  /** ONNX [N, C, T] (a conv map reshaped to tokens before its transpose), engine [N, T, C]. */
  | 'nct';

export interface EngineValue {
  node: number;
  layout: Layout;
  /** For 'flat-chw': the flattened map's channels and positions. */
  channels?: number;
  spatial?: number;
}

export interface ImportedGraph {
  graph: Graph;
  provenance: Map<number, NodeProvenance>;
  /** The engine's sample shape (channels last). */
  inputShape: number[];
  /** The file's sample shape (channels first for images). */
  fileInputShape: number[];
  layout: 'NCHW' | 'plain';
  /** Per imported attention (engine node of the core): the ONNX shape constants that follow its number of heads. */
  headRewrites: { node: number; rewrites: HeadShapeRewrite[] }[];
  /** How the engine's output stands for the file's (logits are 'plain'). */
  output: EngineValue;
  fileOutputShape: number[];
}

/** The engine's output values [N, …] as the file's output lays them out. */
export function outputInFileLayout(
  data: Float32Array,
  shape: number[],
  out: EngineValue,
): { data: Float32Array; shape: number[] } {
  const n = shape[0];
  const per = data.length / Math.max(n, 1);
  // Engine [N, P, C] (positions × channels) → file [N, C, P].
  const channelsFirst = (positions: number, channels: number) => {
    const o = new Float32Array(data.length);
    for (let s = 0; s < n; s++)
      for (let p = 0; p < positions; p++)
        for (let c = 0; c < channels; c++) o[s * per + c * positions + p] = data[s * per + p * channels + c];
    return o;
  };
  switch (out.layout) {
    case 'nchw':
      return { data: channelsFirst(shape[1] * shape[2], shape[3]), shape: [n, shape[3], shape[1], shape[2]] };
    case 'nc11':
      return { data, shape: [n, shape[1], 1, 1] };
    case 'flat-chw':
      return { data: channelsFirst(out.spatial!, out.channels!), shape };
    case 'nct':
      return { data: channelsFirst(shape[1], shape[2]), shape: [n, shape[2], shape[1]] };
    default:
      return { data, shape };
  }
}

/** Every op the importer reads, for the list of what a model uses beyond it. */
/** torch.nn.BatchNorm2d's default ε, which torchvision's ResNets, VGGs and MobileNetV2 keep. */
const TORCH_BATCH_NORM_EPSILON = 1e-5;

export const SUPPORTED_ONNX_OPS = [
  'Conv',
  'Gemm',
  'MatMul',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Relu',
  'Clip',
  'Sigmoid',
  'LeakyRelu',
  'Tanh',
  'Elu',
  'Softmax',
  'Erf',
  'Pow',
  'Sqrt',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Flatten',
  'Reshape',
  'Transpose',
  'Concat',
  'Identity',
  'Dropout',
  'BatchNormalization',
  'LayerNormalization',
  'ReduceMean',
  'Gather',
  'Slice',
  'Split',
  'Squeeze',
  'Unsqueeze',
  'Shape',
  'Size',
  'Cast',
  'Constant',
  'ConstantOfShape',
  'Expand',
  'Where',
  'Equal',
  'Less',
  'Greater',
  'Not',
  'Range',
  'Neg',
  'Floor',
  'Ceil',
  'Reciprocal',
  'Max',
  'Min',
] as const;

const ELEMENTWISE: Record<string, string> = {
  Relu: 'relu',
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Elu: 'elu',
  LeakyRelu: 'leakyRelu',
  Softmax: 'softmax',
};

class ImportError extends Error {}

/** Every op the model uses that PXP does not read, named with (up to four of) its nodes: one error for all of them. */
export function checkSupportedOps(model: ModelProto, file: string): void {
  const unsupported = new Map<string, string[]>();
  model.graph!.node.forEach((n, k) => {
    if (!(SUPPORTED_ONNX_OPS as readonly string[]).includes(n.opType))
      unsupported.set(n.opType, [...(unsupported.get(n.opType) ?? []), n.name || `#${k}`]);
  });
  if (unsupported.size) {
    const listing = [...unsupported]
      .map(
        ([op, names]) =>
          `${op} (${names.slice(0, 4).join(', ')}${names.length > 4 ? `, … ${names.length} nodes` : ''})`,
      )
      .join('; ');
    throw badInput(
      `${file}: ops PXP cannot use: ${listing}`,
      `PXP reads ${SUPPORTED_ONNX_OPS.slice(0, 24).join(', ')}, … and the shape arithmetic around them`,
    );
  }
}

/** `weights` makes the weight tensors (weights.ts: their values, or for a structure read zeros never written). */
export function importGraph(
  model: ModelProto,
  facts: GraphFacts,
  file: string,
  weights: WeightSink = weightSink('values'),
): ImportedGraph {
  return new GraphAssembler(model, facts, file, weights).run();
}

class GraphAssembler {
  private readonly nodes: GraphNode[] = [];
  private readonly values = new Map<string, EngineValue>();
  private readonly provenance = new Map<number, NodeProvenance>();
  private readonly headRewrites: { node: number; rewrites: HeadShapeRewrite[] }[] = [];
  private readonly names = new UniqueNames();
  private readonly consumers = new Map<string, number[]>();
  private readonly onnx;

  constructor(
    model: ModelProto,
    private readonly facts: GraphFacts,
    private readonly file: string,
    private readonly weights: WeightSink,
  ) {
    this.onnx = model.graph!;
    this.onnx.node.forEach((n, k) =>
      n.input.forEach((i) => this.consumers.set(i, [...(this.consumers.get(i) ?? []), k])),
    );
  }

  run(): ImportedGraph {
    const { input } = this.facts;
    const sample = input.shape.slice(1);
    const image = sample.length === 3;
    const inputShape = image ? [sample[1], sample[2], sample[0]] : sample;
    this.values.set(input.name, {
      node: this.add({ name: this.names.take(input.name), className: 'Input', op: { type: 'input' }, inputs: [] }),
      layout: image ? 'nchw' : 'plain',
    });
    const patterns = findPatterns(
      this.onnx.node,
      this.facts,
      (name) => this.consumers.get(name) ?? [],
      this.file,
      this.weights,
    );
    const covered = new Set<number>();
    for (const p of patterns.values()) p.nodes.forEach((k) => covered.add(k));
    this.onnx.node.forEach((node, k) => {
      const pattern = patterns.get(k);
      if (pattern) return this.emitPattern(pattern);
      if (covered.has(k)) return;
      if (node.output.every((o) => !o || this.facts.values.get(o)?.value !== undefined)) return; // folded
      try {
        this.convert(node, k);
      } catch (e) {
        if (e instanceof ImportError)
          throw badInput(
            `${this.file}: node '${node.name || node.opType}' (${node.opType}): ${e.message}`,
            'PXP imports the layers of torchvision CNNs and ViTs; rewrite this part of the model with standard modules, or report the pattern',
          );
        throw e;
      }
    });
    const out = this.values.get(this.facts.output);
    if (!out)
      throw badInput(
        `${this.file}: the output '${this.facts.output}' is a constant`,
        'export a model whose output depends on its input',
      );
    return {
      graph: { nodes: this.nodes, output: out.node },
      provenance: this.provenance,
      headRewrites: this.headRewrites,
      inputShape,
      fileInputShape: sample,
      layout: image ? 'NCHW' : 'plain',
      output: out,
      fileOutputShape: this.facts.values.get(this.facts.output)!.shape.slice(1),
    };
  }

  private add(node: GraphNode): number {
    this.nodes.push(node);
    return this.nodes.length - 1;
  }

  /** An engine node named after the PyTorch module the ONNX node belongs to. */
  private emit(
    onnxIndex: number,
    op: Op,
    inputs: number[],
    links: Omit<AxisLink, 'node'>[] = [],
    nameHint?: string,
  ): number {
    const node = this.onnx.node[onnxIndex];
    const weightName = node.input
      .slice(1)
      .map((i) => parameterOwner(i))
      .find((p) => p !== undefined);
    const base =
      nameHint ??
      modulePath(node.name) ??
      weightName ??
      (node.name ? node.name.replace(/^\//, '') : `${node.opType.toLowerCase()}_${onnxIndex}`);
    const i = this.add({ name: this.names.take(base), className: node.opType, op, inputs });
    if (links.length)
      this.provenance.set(i, { onnxNode: onnxIndex, links: links.map((l) => ({ node: onnxIndex, ...l })) });
    return i;
  }

  /** How many nodes read a value's data (Shape and Size read only its shape, folded at import). */
  private dataReaders(name: string): number {
    return (this.consumers.get(name) ?? []).filter((k) => !['Shape', 'Size'].includes(this.onnx.node[k].opType)).length;
  }

  private value(name: string): EngineValue {
    const v = this.values.get(name);
    if (!v) {
      if (this.facts.values.get(name)?.value)
        throw new ImportError(`input '${name}' is a constant where PXP expects activations`);
      throw new ImportError(`input '${name}' is not computed by a node PXP imported`);
    }
    return v;
  }

  private constant(name: string | undefined, what: string): ConstTensor {
    const v = name ? this.facts.values.get(name)?.value : undefined;
    if (!v) throw new ImportError(`its ${what} is not a constant`);
    return v;
  }

  private floatTensor(c: ConstTensor, perm?: number[]): tf.Tensor {
    return this.weights.tensor(perm ? perm.map((p) => c.dims[p]) : c.dims, () => {
      // Transposed in JS: one copy into the backend (tf.transpose left a second one in the wasm heap).
      const t = perm ? transposeConst(c, perm) : c;
      return t.kind === 'float' ? t.data : Float32Array.from(t.data);
    });
  }

  /** A 1-D float tensor of a constant's values, each mapped by `f`. */
  private vector(c: ConstTensor, f: (x: number) => number = (x) => x): tf.Tensor1D {
    return this.weights.tensor([c.data.length], () => Float32Array.from(c.data, f)) as tf.Tensor1D;
  }

  private convert(node: NodeProto, k: number): void {
    const attrs = attributes(node, this.file);
    const out = node.output[0];
    const alias = (v: EngineValue): void => {
      this.values.set(out, v);
    };
    const x = () => this.value(node.input[0]);
    const op = node.opType;
    if (op === 'Identity' || op === 'Dropout') return alias(x());
    if (op in ELEMENTWISE) return alias(this.elementwise(node, k, attrs));
    switch (op) {
      case 'Clip':
        return alias({ ...x(), node: this.emit(k, this.clipOp(node, attrs), [x().node]) });
      case 'Conv':
        return alias({ node: this.conv(node, k, attrs), layout: 'nchw' });
      case 'MaxPool':
      case 'AveragePool':
        return alias({ node: this.pool(node, k, attrs), layout: 'nchw' });
      case 'GlobalAveragePool':
      case 'GlobalMaxPool': {
        const v = x();
        if (v.layout !== 'nchw') throw new ImportError('global pooling of a value that is not an NCHW feature map');
        return alias({
          node: this.emit(k, { type: op === 'GlobalAveragePool' ? 'globalavgpool' : 'globalmaxpool' }, [v.node]),
          layout: 'nc11',
        });
      }
      case 'Flatten':
      case 'Reshape':
        return alias(this.reshape(node, k, attrs));
      case 'Gemm':
        return alias({ node: this.gemm(node, k, attrs), layout: 'plain' });
      case 'MatMul':
        return alias({ node: this.matMul(node, k), layout: 'plain' });
      case 'Add':
        return alias(this.add2(node, k));
      case 'Concat':
        return alias(this.concat(node, k, attrs));
      case 'BatchNormalization':
        return alias({ ...x(), node: this.batchNorm(node, k, attrs) });
      case 'LayerNormalization':
        return alias(this.layerNorm(node, k, attrs));
      case 'Transpose':
        return alias(this.transpose(node, attrs));
      case 'Gather':
        return alias(this.gather(node, k, attrs));
      default:
        throw new ImportError(`PXP cannot use ${op} here (outside the patterns it recognises)`);
    }
  }

  /** An elementwise activation (ELEMENTWISE); a softmax only over the last axis of a plain value. */
  private elementwise(node: NodeProto, k: number, attrs: Map<string, AttrValue>): EngineValue {
    const op = node.opType;
    const v = this.value(node.input[0]);
    if (op === 'Softmax') {
      const shape = this.facts.values.get(node.input[0])!.shape;
      // Before opset 13 Softmax flattened everything from `axis` (default 1) on; it is the same op when that is the last axis.
      const axis = axisOf((attrs.get('axis') as number | undefined) ?? (this.facts.opset < 13 ? 1 : -1), shape.length);
      if (axis !== shape.length - 1 || v.layout !== 'plain')
        throw new ImportError('softmax over an axis other than the last');
    }
    const alpha = attrs.get('alpha') as number | undefined;
    return {
      ...v,
      node: this.emit(
        k,
        { type: 'activation', fn: ELEMENTWISE[op], alpha: op === 'LeakyRelu' ? (alpha ?? 0.01) : alpha },
        [v.node],
      ),
    };
  }

  /** LayerNormalization over the last axis of a plain value. */
  private layerNorm(node: NodeProto, k: number, attrs: Map<string, AttrValue>): EngineValue {
    const v = this.value(node.input[0]);
    const shape = this.facts.values.get(node.input[0])!.shape;
    if (
      axisOf((attrs.get('axis') as number | undefined) ?? -1, shape.length) !== shape.length - 1 ||
      v.layout !== 'plain'
    )
      throw new ImportError('layer norm over other than the last axis');
    const gamma = node.input[1] ? this.constant(node.input[1], 'scale') : undefined;
    const beta = node.input[2] ? this.constant(node.input[2], 'bias') : undefined;
    return {
      node: this.emit(
        k,
        {
          type: 'layernorm',
          gamma: gamma && (this.floatTensor(gamma) as tf.Tensor1D),
          beta: beta && (this.floatTensor(beta) as tf.Tensor1D),
          epsilon: (attrs.get('epsilon') as number | undefined) ?? 1e-5,
        },
        [v.node],
      ),
      layout: 'plain',
    };
  }

  private clipOp(node: NodeProto, attrs: Map<string, AttrValue>): Op {
    const bound = (i: number, attr: string, fallback: number) => {
      const c = node.input[i] ? this.facts.values.get(node.input[i])?.value : undefined;
      if (node.input[i] && !c) throw new ImportError('Clip bounds that are not constant');
      return c ? c.data[0] : ((attrs.get(attr) as number | undefined) ?? fallback);
    };
    const lo = bound(1, 'min', -Infinity);
    const hi = bound(2, 'max', Infinity);
    if (lo !== 0) throw new ImportError(`Clip(${lo}, ${hi}): PXP reads Clip(0, max) (ReLU, ReLU6)`);
    return Number.isFinite(hi) ? { type: 'activation', fn: 'relu6', maxValue: hi } : { type: 'activation', fn: 'relu' };
  }

  private conv(node: NodeProto, k: number, attrs: Map<string, AttrValue>): number {
    const v = this.value(node.input[0]);
    if (v.layout !== 'nchw') throw new ImportError('a Conv whose input is not an NCHW feature map');
    const w = this.constant(node.input[1], 'weight');
    const [o, iPerGroup, kh, kw] = w.dims;
    const inShape = this.facts.values.get(node.input[0])!.shape;
    const cin = inShape[1];
    const group = (attrs.get('group') as number | undefined) ?? 1;
    const strides = ((attrs.get('strides') as number[] | undefined) ?? [1, 1]) as [number, number];
    const dilations = ((attrs.get('dilations') as number[] | undefined) ?? [1, 1]) as [number, number];
    const pads = nodePads(attrs, inShape.slice(2), [kh, kw], strides, dilations);
    const padding: Padding = pads.every((p) => p === 0)
      ? 'valid'
      : [
          [pads[0], pads[2]],
          [pads[1], pads[3]],
        ];
    const biasC = node.input[2] ? this.constant(node.input[2], 'bias') : undefined;
    const bias = biasC ? (this.floatTensor(biasC) as tf.Tensor1D) : undefined;
    const biasLink: Omit<AxisLink, 'node'>[] = biasC ? [{ input: 2, axis: 0, follows: 'out' }] : [];
    // PyTorch's exporter names a weight it computed by folding a batch norm `onnx::Conv_N`; a conv's own weight
    // keeps its module path (`features.0.weight`). The batch norm's ε is not in the file: PyTorch's default.
    const foldedBatchNorm = node.input[1].startsWith('onnx::') ? { epsilon: TORCH_BATCH_NORM_EPSILON } : undefined;
    if (group === 1) {
      const kernel = this.floatTensor(w, [2, 3, 1, 0]) as tf.Tensor4D;
      return this.emit(
        k,
        { type: 'conv2d', kernel, bias, strides, padding, dilations, foldedBatchNorm },
        [v.node],
        [{ input: 1, axis: 0, follows: 'out' }, { input: 1, axis: 1, follows: 'in' }, ...biasLink],
      );
    }
    if (group === cin && iPerGroup === 1 && o % cin === 0) {
      // [C·m, 1, kh, kw] → [kh, kw, C, m]: output channel c·m + j reads input channel c, in both frameworks.
      const m = o / cin;
      const kernel = this.floatTensor(
        { kind: 'float', dims: [cin, m, kh, kw], data: w.data as Float32Array },
        [2, 3, 0, 1],
      ) as tf.Tensor4D;
      if (m !== 1)
        throw new ImportError(
          'a depthwise conv with a channel multiplier; PXP prunes depthwise convs with one filter per channel',
        );
      return this.emit(
        k,
        { type: 'depthwise', kernel, bias, strides, padding, dilations, foldedBatchNorm },
        [v.node],
        [{ input: 1, axis: 0, follows: 'out' }, ...biasLink],
      );
    }
    throw new ImportError(
      `a grouped conv (${group} groups of ${iPerGroup} channels); PXP reads plain and depthwise convs`,
    );
  }

  private pool(node: NodeProto, k: number, attrs: Map<string, AttrValue>): number {
    const v = this.value(node.input[0]);
    if (v.layout !== 'nchw') throw new ImportError('pooling of a value that is not an NCHW feature map');
    if (node.output.length > 1 && node.output[1]) throw new ImportError('MaxPool with an indices output');
    const inShape = this.facts.values.get(node.input[0])!.shape;
    const outShape = this.facts.values.get(node.output[0])!.shape;
    const pool = attrs.get('kernel_shape') as [number, number];
    const strides = ((attrs.get('strides') as number[] | undefined) ?? [1, 1]) as [number, number];
    const dil = (attrs.get('dilations') as number[] | undefined) ?? [1, 1];
    if (dil.some((d) => d !== 1)) throw new ImportError('dilated pooling');
    const pads = nodePads(attrs, inShape.slice(2), pool, strides, dil);
    if ((attrs.get('ceil_mode') as number | undefined) === 1) {
      const floorH = Math.floor((inShape[2] + pads[0] + pads[2] - pool[0]) / strides[0]) + 1;
      const floorW = Math.floor((inShape[3] + pads[1] + pads[3] - pool[1]) / strides[1]) + 1;
      if (floorH !== outShape[2] || floorW !== outShape[3])
        throw new ImportError('ceil_mode pooling that adds a partial window');
    }
    const padded = pads.some((p) => p !== 0);
    if (node.opType === 'AveragePool' && padded) throw new ImportError('average pooling with padding');
    const padding: Padding = padded
      ? [
          [pads[0], pads[2]],
          [pads[1], pads[3]],
        ]
      : 'valid';
    return this.emit(k, { type: node.opType === 'MaxPool' ? 'maxpool' : 'avgpool', pool, strides, padding }, [v.node]);
  }

  /** Flatten, or a Reshape that keeps the batch axis. */
  private reshape(node: NodeProto, k: number, attrs: Map<string, AttrValue>): EngineValue {
    const v = this.value(node.input[0]);
    const inShape = this.facts.values.get(node.input[0])!.shape;
    const outShape = this.facts.values.get(node.output[0])!.shape;
    if (node.opType === 'Flatten' && axisOf((attrs.get('axis') as number | undefined) ?? 1, inShape.length) !== 1)
      throw new ImportError('a Flatten that does not keep the batch axis');
    if (outShape[0] !== inShape[0])
      throw new ImportError(`a reshape that mixes the batch axis ([${inShape}] → [${outShape}])`);
    if (outShape.length === 2 && v.layout === 'nc11') return { node: v.node, layout: 'plain' };
    if (outShape.length === 2 && v.layout === 'nchw') {
      const [, c, h, w] = inShape;
      const flat = this.emit(k, { type: 'flatten' }, [v.node]);
      // A 1×1 map flattens the same in both layouts; a larger one leaves rows in H·W·C order, which readers fix.
      return h * w === 1
        ? { node: flat, layout: 'plain' }
        : { node: flat, layout: 'flat-chw', channels: c, spatial: h * w };
    }
    if (
      outShape.length === 3 &&
      v.layout === 'nchw' &&
      outShape[1] === inShape[1] &&
      outShape[2] === inShape[2] * inShape[3]
    ) {
      // Patch embedding: [N, D, h, w] → [N, D, h·w]; the engine's [N, h, w, D] → [N, h·w, D] keeps the token order.
      return {
        node: this.emit(k, { type: 'reshape', targetShape: [outShape[2], outShape[1]] }, [v.node]),
        layout: 'nct',
      };
    }
    if (v.layout === 'plain')
      return { node: this.emit(k, { type: 'reshape', targetShape: outShape.slice(1) }, [v.node]), layout: 'plain' };
    throw new ImportError(`a reshape of a ${v.layout} value to [${outShape}]`);
  }

  /** Only the patch embedding's [N, D, T] → [N, T, D], which the engine's layout already is. */
  private transpose(node: NodeProto, attrs: Map<string, AttrValue>): EngineValue {
    const v = this.value(node.input[0]);
    const perm = attrs.get('perm') as number[] | undefined;
    if (v.layout === 'nct' && perm && perm.join() === '0,2,1') return { node: v.node, layout: 'plain' };
    throw new ImportError(
      `a Transpose (perm ${perm ?? 'reversed'}) of a ${v.layout} value outside a recognised pattern`,
    );
  }

  /** The class token read: Gather(x, index, axis 1) on [N, T, D]. */
  private gather(node: NodeProto, k: number, attrs: Map<string, AttrValue>): EngineValue {
    const v = this.value(node.input[0]);
    const idx = this.constant(node.input[1], 'index');
    const shape = this.facts.values.get(node.input[0])!.shape;
    const axis = axisOf((attrs.get('axis') as number | undefined) ?? 0, shape.length);
    if (v.layout !== 'plain' || shape.length !== 3 || axis !== 1 || size(idx.dims) !== 1)
      throw new ImportError('a Gather other than reading one token of [N, T, D]');
    const index = idx.data[0] < 0 ? idx.data[0] + shape[1] : idx.data[0];
    if (idx.dims.length !== 0) throw new ImportError('a Gather that keeps the token axis');
    return { node: this.emit(k, { type: 'taketoken', index }, [v.node]), layout: 'plain' };
  }

  private gemm(node: NodeProto, k: number, attrs: Map<string, AttrValue>): number {
    const v = this.value(node.input[0]);
    if ((attrs.get('transA') as number | undefined) === 1) throw new ImportError('Gemm with transA');
    const transB = (attrs.get('transB') as number | undefined) === 1;
    const alpha = (attrs.get('alpha') as number | undefined) ?? 1;
    const beta = (attrs.get('beta') as number | undefined) ?? 1;
    const w = this.constant(node.input[1], 'weight');
    const c = node.input[2] ? this.constant(node.input[2], 'bias') : undefined;
    const units = transB ? w.dims[0] : w.dims[1];
    if (c && size(c.dims) !== units)
      throw new ImportError(`a Gemm bias of shape [${c.dims}] (PXP reads one bias per output)`);
    const inAxis = transB ? 1 : 0;
    const kernel = this.denseKernel(v, w, alpha, transB);
    const bias = c ? this.vector(c, (x) => x * beta) : undefined;
    const inLink: Omit<AxisLink, 'node'> = {
      input: 1,
      axis: inAxis,
      follows: 'in',
      ...(v.layout === 'flat-chw' ? { spatial: v.spatial } : {}),
    };
    return this.emit(
      k,
      { type: 'dense', kernel, bias },
      [v.node],
      [
        { input: 1, axis: 1 - inAxis, follows: 'out' },
        inLink,
        ...(c ? [{ input: 2, axis: c.dims.length - 1, follows: 'out' as const }] : []),
      ],
    );
  }

  /**
   * A [in, out] kernel for the engine (of wᵀ when `transposed`, as a Gemm's transB gives it); after an NCHW flatten
   * its rows go from C·H·W to H·W·C order.
   */
  private denseKernel(v: EngineValue, w: ConstTensor, scale = 1, transposed = false): tf.Tensor2D {
    const [rows, cols] = transposed ? [w.dims[1], w.dims[0]] : w.dims;
    return this.weights.tensor([rows, cols], () => {
      const wt = transposed ? transposeConst(w, [1, 0]) : w;
      const data = new Float32Array(rows * cols);
      const c = v.channels ?? rows;
      const s = v.spatial ?? 1;
      for (let r = 0; r < rows; r++) {
        // Engine row (p·C + ch) holds PyTorch row (ch·S + p).
        const src = v.layout === 'flat-chw' ? (r % c) * s + Math.floor(r / c) : r;
        for (let j = 0; j < cols; j++) data[r * cols + j] = wt.data[src * cols + j] * scale;
      }
      return data;
    }) as tf.Tensor2D;
  }

  private matMul(node: NodeProto, k: number): number {
    const v = this.value(node.input[0]);
    const w = this.constant(node.input[1], 'weight (a MatMul of two activations outside attention)');
    if (w.dims.length !== 2) throw new ImportError(`a MatMul with a weight of rank ${w.dims.length}`);
    if (v.layout !== 'plain' && v.layout !== 'flat-chw') throw new ImportError(`a MatMul of a ${v.layout} value`);
    return this.emit(
      k,
      { type: 'dense', kernel: this.denseKernel(v, w) },
      [v.node],
      [
        { input: 1, axis: 1, follows: 'out' },
        { input: 1, axis: 0, follows: 'in', ...(v.layout === 'flat-chw' ? { spatial: v.spatial } : {}) },
      ],
    );
  }

  private add2(node: NodeProto, k: number): EngineValue {
    const [a, b] = node.input;
    const ca = this.facts.values.get(a)?.value;
    const cb = this.facts.values.get(b)?.value;
    if (!ca && !cb) {
      const va = this.value(a);
      const vb = this.value(b);
      if (va.layout !== vb.layout || this.facts.values.get(a)!.shape.join() !== this.facts.values.get(b)!.shape.join())
        throw new ImportError('an Add of values of different shapes or layouts');
      return { node: this.emit(k, { type: 'add' }, [va.node, vb.node]), layout: va.layout };
    }
    const [dynName, c, constInput] = ca ? [b, ca, 0] : [a, cb!, 1];
    const v = this.value(dynName);
    const prev = this.nodes[v.node];
    const shape = this.facts.values.get(node.output[0])!.shape;
    // MatMul + Add of a bias vector is one dense layer (PyTorch's Linear on 3-D inputs).
    const units = shape[shape.length - 1];
    if (
      prev.op.type === 'dense' &&
      !prev.op.bias &&
      size(c.dims) === units &&
      this.dataReaders(dynName) === 1 &&
      v.layout === 'plain'
    ) {
      prev.op.bias = this.vector(c);
      const prov = this.provenance.get(v.node);
      prov?.links.push({ node: k, input: constInput, axis: c.dims.length - 1, follows: 'out' });
      return v;
    }
    const onnxShape = this.facts.values.get(dynName)!.shape;
    if (shape.join() !== onnxShape.join())
      throw new ImportError(`an Add that broadcasts the activations ([${onnxShape}] to [${shape}])`);
    // A learned table added to the activations (ViT positions); NCHW tables move their channels last.
    if (v.layout !== 'nchw' && v.layout !== 'plain')
      throw new ImportError(`an Add of a constant to a ${v.layout} value`);
    const full = [1, 1, 1, 1].slice(0, 4 - c.dims.length).concat(c.dims);
    const table =
      v.layout === 'nchw' ? this.floatTensor({ ...c, dims: full } as ConstTensor, [0, 2, 3, 1]) : this.floatTensor(c);
    const links: Omit<AxisLink, 'node'>[] =
      v.layout === 'nchw' && c.dims.length >= 3 ? [{ input: constInput, axis: c.dims.length - 3, follows: 'out' }] : [];
    // A learned table is named by its parameter (ViT: encoder.pos_embedding), which the node's scope does not say.
    const param = node.input[constInput];
    const tableName = /^(onnx::|\/)/.test(param) ? undefined : param;
    return {
      node: this.emit(k, { type: 'addweight', weight: table }, [v.node], links, tableName),
      layout: v.layout,
    };
  }

  private concat(node: NodeProto, k: number, attrs: Map<string, AttrValue>): EngineValue {
    const shape = this.facts.values.get(node.output[0])!.shape;
    const axis = axisOf((attrs.get('axis') as number | undefined) ?? 0, shape.length);
    const parts = node.input.map((n) => ({ name: n, c: this.facts.values.get(n)?.value }));
    const consts = parts.filter((p) => p.c);
    if (consts.length === 1 && parts.length === 2 && parts[0].c && axis === 1 && shape.length === 3) {
      // The class token: Concat([Expand(token), x], axis 1) on [N, T, D]; every batch row holds the same token.
      const c = parts[0].c;
      const d = shape[2];
      if (c.dims[1] !== 1 || c.dims[2] !== d)
        throw new ImportError('a Concat of a constant other than one prepended token');
      const token = Float32Array.from(c.data.subarray(0, d));
      for (let r = 1; r < c.dims[0]; r++)
        for (let j = 0; j < d; j++)
          if (c.data[r * d + j] !== token[j]) throw new ImportError('a prepended token that differs between samples');
      const v = this.value(parts[1].name);
      // torchvision's parameter is `class_token`; the export folds its Expand, so the name is not in the graph.
      return {
        node: this.emit(
          k,
          { type: 'classtoken', token: this.vector({ kind: 'float', dims: [d], data: token }) },
          [v.node],
          [],
          'class_token',
        ),
        layout: 'plain',
      };
    }
    if (consts.length) throw new ImportError('a Concat of constants and activations');
    const vs = parts.map((p) => this.value(p.name));
    const layout = vs[0].layout;
    if (vs.some((v) => v.layout !== layout)) throw new ImportError('a Concat of values in different layouts');
    if (axis === 0) throw new ImportError('a Concat along the batch axis');
    if (layout === 'nchw' && axis !== 1) throw new ImportError('a Concat of feature maps along a spatial axis');
    const engineAxis = layout === 'nchw' ? -1 : axis;
    return {
      node: this.emit(
        k,
        { type: 'concat', axis: engineAxis },
        vs.map((v) => v.node),
      ),
      layout,
    };
  }

  private batchNorm(node: NodeProto, k: number, attrs: Map<string, AttrValue>): number {
    const v = this.value(node.input[0]);
    if ((attrs.get('training_mode') as number | undefined) === 1)
      throw new ImportError('a batch norm in training mode; export in eval mode');
    // ONNX normalizes axis 1; the engine's batch norm its last axis, which is axis 1 only for NCHW maps and [N, C].
    const rank = this.facts.values.get(node.input[0])!.shape.length;
    if (!(v.layout === 'nchw' || v.layout === 'nc11' || (v.layout === 'plain' && rank === 2)))
      throw new ImportError(
        `a batch norm over axis 1 of a rank-${rank} value (PXP reads 2-D batch norms on images and 1-D on features)`,
      );
    // Before opset 9, spatial = 0 meant statistics per position, not per channel.
    if ((attrs.get('spatial') as number | undefined) === 0)
      throw new ImportError('a batch norm with spatial = 0 (per-position statistics)');
    const [gamma, beta, mean, variance] = [1, 2, 3, 4].map(
      (i) =>
        this.floatTensor(this.constant(node.input[i], ['', 'scale', 'bias', 'mean', 'variance'][i])) as tf.Tensor1D,
    );
    const links: Omit<AxisLink, 'node'>[] = [1, 2, 3, 4].map((input) => ({ input, axis: 0, follows: 'out' }));
    return this.emit(
      k,
      { type: 'batchnorm', gamma, beta, mean, variance, epsilon: (attrs.get('epsilon') as number | undefined) ?? 1e-5 },
      [v.node],
      links,
    );
  }

  private emitPattern(p: Replacement): void {
    const inputs = p.inputs.map((name) => {
      const v = this.value(name);
      if (v.layout !== 'plain')
        throw badInput(`${this.file}: the ${p.kind} at '${p.name}' reads a ${v.layout} value`, 'report the pattern');
      return v.node;
    });
    const made: number[] = [];
    for (const n of p.emit) {
      const ins = n.inputs.map((r) => (r.startsWith('#') ? made[Number(r.slice(1))] : inputs[Number(r)]));
      const i = this.add({ name: this.names.take(n.name), className: n.className, op: n.op, inputs: ins });
      if (n.links?.length) this.provenance.set(i, { onnxNode: n.links[0].node, links: n.links });
      made.push(i);
    }
    const core = made.find((i) => this.nodes[i].op.type === 'attention');
    if (core !== undefined && p.rewrites) this.headRewrites.push({ node: core, rewrites: p.rewrites });
    this.values.set(p.output, { node: made[made.length - 1], layout: 'plain' });
  }
}
