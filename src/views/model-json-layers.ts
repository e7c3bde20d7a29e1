/**
 * Per-layer sizes of a tfjs LayersModel read from its model.json alone (no tfjs, no weights loaded): components
 * (conv filters, dense units), parameters (from the weights manifest) and FLOPs (2 × multiply-accumulates of conv
 * and dense layers, summary.ts's convention) from a shape walk over the layer configs. The extension host uses this
 * to compare a model with its pruned copy without starting the engine.
 */
import fs from 'node:fs';
import { badInput } from '../core/errors';
import { asNumber, asObject, asString, type Json } from '../shared/run-folder/json';

export interface ModelJsonLayer {
  name: string;
  className: string;
  /** Filters of a conv, units of a dense layer. */
  components?: number;
  params: number;
  /** undefined when the walk met a layer it cannot size. */
  flops?: number;
}

type Shape = number[] | undefined;

const product = (xs: number[]) => xs.reduce((a, b) => a * b, 1);
const pair = (v: unknown, fallback: number): [number, number] =>
  Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : typeof v === 'number' ? [v, v] : [fallback, fallback];

/** Output length of a window op along one axis (Keras conv_output_length). */
function outLength(n: number, k: number, stride: number, padding: string, dilation = 1): number {
  return padding === 'same' ? Math.ceil(n / stride) : Math.floor((n - (k - 1) * dilation - 1) / stride) + 1;
}

function layerList(json: Json): { className: string; config: Json; inbound: string[] }[] {
  const topology = asObject(json.modelTopology) ?? json;
  const model = asObject(topology.model_config) ?? topology;
  const layers = asObject(model.config)?.layers ?? model.layers;
  if (!Array.isArray(layers))
    throw badInput('model.json has no layer list (modelTopology.config.layers)', 'pass a tfjs LayersModel model.json');
  let previous: string | undefined;
  return layers.map((l) => {
    const o = asObject(l) ?? {};
    const config = asObject(o.config) ?? {};
    // Functional models list inbound nodes as [[[name, nodeIndex, tensorIndex, kwargs], …]]; Sequential ones chain.
    const nodes = Array.isArray(o.inbound_nodes) ? (o.inbound_nodes as unknown[][]) : undefined;
    const inbound =
      nodes && nodes.length
        ? (nodes[0] as unknown[]).map((t) => String((t as unknown[])[0]))
        : previous
          ? [previous]
          : [];
    previous = asString(config.name);
    return { className: asString(o.class_name) ?? '?', config, inbound };
  });
}

function weightParams(json: Json): Map<string, number> {
  const out = new Map<string, number>();
  const manifest = Array.isArray(json.weightsManifest) ? json.weightsManifest : [];
  for (const group of manifest) {
    for (const w of (asObject(group)?.weights as unknown[]) ?? []) {
      const o = asObject(w);
      const name = asString(o?.name);
      if (!name || !Array.isArray(o?.shape)) continue;
      // Weight names are "<layer>/<variable>" (tfjs strips Keras's ":0" and scope suffixes).
      const layer = name.slice(0, name.lastIndexOf('/'));
      out.set(layer, (out.get(layer) ?? 0) + product(o.shape as number[]));
    }
  }
  return out;
}

export function modelJsonLayers(json: Json): ModelJsonLayer[] {
  const params = weightParams(json);
  const shapes = new Map<string, Shape>();
  const out: ModelJsonLayer[] = [];
  for (const { className, config, inbound } of layerList(json)) {
    const name = asString(config.name) ?? '?';
    const { shape, macs, components } = layerOutput(
      className,
      config,
      inbound.map((n) => shapes.get(n)),
    );
    shapes.set(name, shape);
    out.push({
      name,
      className,
      ...(components !== undefined ? { components } : {}),
      params: params.get(name) ?? 0,
      ...(macs !== undefined ? { flops: 2 * macs } : {}),
    });
  }
  return out;
}

/** A conv's (or depthwise conv's) output shape, multiply-accumulates and components (filters; none for depthwise). */
function convOutput(
  depthwise: boolean,
  config: Json,
  input: Shape,
): { shape: Shape; macs: number | undefined; components: number | undefined } {
  const [kh, kw] = pair(config.kernel_size, 1);
  const [sh, sw] = pair(config.strides, 1);
  const [dh, dw] = pair(config.dilation_rate, 1);
  const padding = asString(config.padding) ?? 'valid';
  const components = depthwise ? undefined : asNumber(config.filters);
  if (!input || input.length !== 3) return { shape: undefined, macs: undefined, components };
  const cin = input[2];
  const cout = depthwise ? cin * (asNumber(config.depth_multiplier) ?? 1) : (components ?? 0);
  const shape = [outLength(input[0], kh, sh, padding, dh), outLength(input[1], kw, sw, padding, dw), cout];
  return { shape, macs: shape[0] * shape[1] * cout * kh * kw * (depthwise ? 1 : cin), components };
}

/** A layer's output shape, multiply-accumulates and components from its config and its inputs' shapes (undefined where unknown). */
function layerOutput(
  className: string,
  config: Json,
  inputs: Shape[],
): { shape: Shape; macs: number | undefined; components: number | undefined } {
  const input = inputs[0];
  let shape: Shape = input;
  let macs: number | undefined = 0;
  let components: number | undefined;
  switch (className) {
    case 'InputLayer': {
      const b = (config.batch_input_shape ?? config.batchInputShape) as (number | null)[] | undefined;
      shape = b ? (b.slice(1) as number[]) : undefined;
      break;
    }
    case 'Conv2D':
    case 'DepthwiseConv2D':
      return convOutput(className === 'DepthwiseConv2D', config, input);
    case 'Dense': {
      components = asNumber(config.units);
      if (input && components !== undefined) {
        shape = [...input.slice(0, -1), components];
        macs = product(shape) * input[input.length - 1];
      } else {
        shape = undefined;
        macs = undefined;
      }
      break;
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const [ph, pw] = pair(config.pool_size, 2);
      const [sh, sw] = config.strides == null ? [ph, pw] : pair(config.strides, ph);
      const padding = asString(config.padding) ?? 'valid';
      shape =
        input && input.length === 3
          ? [outLength(input[0], ph, sh, padding), outLength(input[1], pw, sw, padding), input[2]]
          : undefined;
      break;
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      shape = input ? [input[input.length - 1]] : undefined;
      break;
    case 'Flatten':
      shape = input ? [product(input)] : undefined;
      break;
    case 'ZeroPadding2D': {
      const p = config.padding;
      const [[t, b], [l, r]] =
        Array.isArray(p) && Array.isArray(p[0])
          ? (p as [[number, number], [number, number]])
          : [pair(p, 1), pair(p, 1)];
      shape = input && input.length === 3 ? [input[0] + t + b, input[1] + l + r, input[2]] : undefined;
      break;
    }
    case 'Concatenate': {
      const all = inputs;
      shape = all.every((s) => s && s.length === all[0]!.length)
        ? [...all[0]!.slice(0, -1), all.reduce((a, s) => a + s![s!.length - 1], 0)]
        : undefined;
      break;
    }
    default:
      // Element-wise layers (batch norm, activations, dropout, add, reshape-free ops) keep the input's shape.
      break;
  }
  return { shape, macs, components };
}

export function readModelJsonLayers(file: string): ModelJsonLayer[] {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw badInput(`cannot read ${file} (${(e as Error).message})`, 'pass a tfjs LayersModel model.json');
  }
  const obj = asObject(json);
  if (!obj) throw badInput(`${file} is not a JSON object`, 'pass a tfjs LayersModel model.json');
  return modelJsonLayers(obj);
}
