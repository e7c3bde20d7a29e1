/**
 * What `pxp info` and the sidebar show about a model: layers in network order with output shapes, parameters and
 * multiply-accumulates. FLOPs are counted as 2 × MACs of the conv and dense layers (the convention of most pruning
 * papers' tables); element-wise ops, pooling and normalisation are left out, as they are a rounding error here.
 */
import * as tf from '@tensorflow/tfjs';
import type { Graph, Op } from './graph';
import { graphShapes } from './shapes';

export interface LayerSummary {
  name: string;
  className: string;
  /** Output shape without the batch axis. */
  outputShape: number[];
  inputs: string[];
  params: number;
  macs: number;
  activation?: string;
}

export interface ModelSummary {
  name: string;
  inputShape: number[];
  outputShape: number[];
  numClasses: number;
  layers: LayerSummary[];
  params: number;
  macs: number;
  flops: number;
}

type Shape = (number | null)[];

function firstShape(s: Shape | Shape[]): Shape {
  return Array.isArray(s[0]) || s[0] === undefined ? ((s as Shape[])[0] ?? []) : (s as Shape);
}

function dropBatch(s: Shape): number[] {
  return s.slice(1).map((d) => d ?? -1);
}

const product = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

/** Multiply-accumulates of one sample through the layer. */
export function layerMacs(
  className: string,
  config: Record<string, unknown>,
  inShape: number[],
  outShape: number[],
): number {
  switch (className) {
    case 'Conv2D': {
      const [kh, kw] = config.kernelSize as number[];
      const cin = inShape[inShape.length - 1];
      return product(outShape) * kh * kw * cin;
    }
    case 'DepthwiseConv2D': {
      const [kh, kw] = config.kernelSize as number[];
      return product(outShape) * kh * kw;
    }
    case 'Dense':
      return product(outShape) * inShape[inShape.length - 1];
    case 'MultiHeadSelfAttention': {
      // q, k, v and output projections (T·D·inner each), then Q·Kᵀ and A·V (T·T·inner each).
      const [t, d] = inShape;
      const inner = (config.heads as number) * (config.headDim as number);
      return 4 * t * d * inner + 2 * t * t * inner;
    }
    default:
      return 0;
  }
}

export function summarizeModel(model: tf.LayersModel): ModelSummary {
  const layers: LayerSummary[] = model.layers.map((layer) => {
    const className = layer.getClassName();
    const config = layer.getConfig() as Record<string, unknown>;
    const outputShape = dropBatch(firstShape(layer.outputShape as Shape | Shape[]));
    const inputs = layer.inboundNodes.flatMap((n) => n.inboundLayers.map((l) => l.name));
    const inShape =
      className === 'InputLayer'
        ? outputShape
        : dropBatch(firstShape(layer.inboundNodes[0].inputShapes as Shape | Shape[]));
    const activation =
      typeof config.activation === 'string' && config.activation !== 'linear' ? config.activation : undefined;
    return {
      name: layer.name,
      className,
      outputShape,
      inputs,
      params: layer.countParams(),
      macs: layerMacs(className, config, inShape, outputShape),
      activation,
    };
  });
  const macs = layers.reduce((a, l) => a + l.macs, 0);
  const outputShape = dropBatch(firstShape(model.outputShape as Shape | Shape[]));
  return {
    name: model.name,
    inputShape: dropBatch(firstShape(model.inputs[0].shape)),
    outputShape,
    numClasses: outputShape[outputShape.length - 1],
    layers,
    params: model.countParams(),
    macs,
    flops: 2 * macs,
  };
}

/** Multiply-accumulates of one sample through a graph op, from its input and output shapes (batch dropped). */
export function opMacs(op: Op, inShape: number[], outShape: number[]): number {
  switch (op.type) {
    case 'conv2d': {
      const [kh, kw, cin] = op.kernel.shape;
      return product(outShape) * kh * kw * cin;
    }
    case 'depthwise': {
      const [kh, kw] = op.kernel.shape;
      return product(outShape) * kh * kw;
    }
    case 'dense':
      return product(outShape) * inShape[inShape.length - 1];
    case 'attention': {
      // Q·Kᵀ and A·V per head (the projections are dense nodes of their own).
      const t = inShape[0];
      return 2 * t * t * op.heads * op.headDim;
    }
    default:
      return 0;
  }
}

const opParams = (op: Op) => Object.values(op).reduce((a: number, v) => a + (v instanceof tf.Tensor ? v.size : 0), 0);

/** The summary of an engine graph (models imported from ONNX): one entry per node, named by its module path. */
export function summarizeGraph(
  graph: Graph,
  inputShape: number[],
  name: string,
  opts: { channelsFirst?: boolean } = {},
): ModelSummary {
  // Feature maps are shown as the model's own framework lays them out (C×H×W for PyTorch).
  const shown = (s: number[]) => (opts.channelsFirst && s.length === 3 ? [s[2], s[0], s[1]] : s);
  const shapes = graphShapes(graph, inputShape);
  const layers: LayerSummary[] = graph.nodes.map((n, i) => {
    const inShape = n.inputs.length ? shapes[n.inputs[0]] : shapes[i];
    const activation = n.op.type === 'activation' ? n.op.fn : undefined;
    return {
      name: n.name,
      className: n.className,
      outputShape: shown(shapes[i]),
      inputs: n.inputs.map((j) => graph.nodes[j].name),
      params: opParams(n.op),
      macs: opMacs(n.op, inShape, shapes[i]),
      ...(activation ? { activation } : {}),
    };
  });
  const macs = layers.reduce((a, l) => a + l.macs, 0);
  const outputShape = shapes[graph.output];
  return {
    name,
    inputShape,
    outputShape,
    numClasses: outputShape[outputShape.length - 1],
    layers,
    params: layers.reduce((a, l) => a + l.params, 0),
    macs,
    flops: 2 * macs,
  };
}
