/**
 * A model as every command sees it, whatever file it came from: a tfjs LayersModel (model.json + shards, channels
 * last) or an ONNX file from PyTorch (channels first). Commands get the engine graph, the summary, the layout the
 * user's arrays are in, and the names a composite may give rules; format-specific work (saving a pruned model,
 * fine-tuning) asks for `tfjs` or `onnx`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { badInput } from '../errors';
import { type Graph, cloneGraph, disposeGraph, graphFromModel, isLinear, linearLayerNames } from '../graph/graph';
import { type ModelSummary, summarizeGraph, summarizeModel } from '../graph/summary';
import { loadModel, modelMetadata, resolveModelJson } from './model-files';
import { type ImportedOnnx, importOnnx, isOnnxPath } from './onnx/import';
import { releaseExternalData } from './onnx/onnx-file';
import type { WeightMode } from './onnx/weights';

export type ArrayLayout = 'NHWC' | 'NCHW' | 'plain';

export interface LoadedModel {
  /** The model file (model.json or .onnx). */
  file: string;
  format: 'tfjs' | 'onnx';
  /** How the user's arrays (.npy inputs, relevance written back) are laid out for this model. */
  layout: ArrayLayout;
  /** inputShape is the engine's (channels last); fileInputShape the user's. */
  summary: ModelSummary & { fileInputShape: number[] };
  /** A fresh engine graph, the caller's to dispose (disposeGraph). */
  graph(): Graph;
  /**
   * The model's own engine graph, for a caller that only reads it (LRP): not to be disposed or changed; dispose()
   * frees it. Saves a copy of every weight (100 MB for a ResNet-50).
   */
  sharedGraph(): Graph;
  /** Class names the model file carries (tfjs: PXP's metadata; ONNX: a `class_names` metadata entry). */
  classNames?: string[];
  /** The range of input values the model documents (tfjs: PXP's metadata `inputRange`; ONNX: an `input_range` entry). */
  inputRange?: [number, number];
  /** Layer names a composite may give a rule (conv, dense, attention projections). */
  ruleLayerNames(): string[];
  tfjs?: tf.LayersModel;
  onnx?: ImportedOnnx;
  dispose(): void;
}

/** Resolves --model: a .onnx file, a model.json, or a folder holding either. */
function resolveModelPath(modelPath: string): string {
  if (isOnnxPath(modelPath)) return modelPath;
  try {
    return resolveModelJson(modelPath);
  } catch (e) {
    const inside = path.join(modelPath, 'model.onnx');
    if (fs.existsSync(inside)) return inside;
    throw e;
  }
}

/**
 * `weights: 'shapes'` reads an ONNX model's structure only (onnx/weights.ts): summary, shapes and component groups
 * are exact, but the graph's weights are zeros, never to be run (pxp info and the .onnx view read a 350 MB file so).
 */
export async function openAnyModel(
  modelPath: string,
  opts: { inputShape?: number[]; weights?: WeightMode } = {},
): Promise<LoadedModel> {
  const file = resolveModelPath(modelPath);
  if (isOnnxPath(file)) return openOnnx(file, opts.inputShape, opts.weights);
  if (opts.inputShape)
    throw badInput('--input-shape applies to ONNX models only', 'a tfjs model.json declares its input shape');
  const model = await loadModel(file);
  const summary = summarizeModel(model);
  const metadata = modelMetadata(file);
  let shared: Graph | undefined;
  return {
    file,
    format: 'tfjs',
    layout: summary.inputShape.length === 3 ? 'NHWC' : 'plain',
    summary: { ...summary, fileInputShape: summary.inputShape },
    classNames: metadata.classNames,
    ...rangeOf(metadata.inputRange),
    graph: () => graphFromModel(model),
    sharedGraph: () => (shared ??= graphFromModel(model)),
    ruleLayerNames: () => linearLayerNames(model),
    tfjs: model,
    dispose: () => {
      if (shared) disposeGraph(shared);
      model.dispose();
    },
  };
}

function openOnnx(file: string, inputShape?: number[], weights?: WeightMode): LoadedModel {
  const onnx = importOnnx(file, { inputShape, weights });
  const summary = summarizeGraph(onnx.graph, onnx.inputShape, path.basename(file, '.onnx'), {
    channelsFirst: onnx.layout === 'NCHW',
  });
  return {
    file,
    format: 'onnx',
    layout: onnx.layout,
    summary: { ...summary, fileInputShape: onnx.fileInputShape },
    classNames: onnxClassNames(onnx),
    ...rangeOf(onnxMetadataJson(onnx, 'input_range')),
    graph: () => cloneGraph(onnx.graph),
    sharedGraph: () => onnx.graph,
    ruleLayerNames: () => onnx.graph.nodes.filter((n) => isLinear(n.op)).map((n) => n.name),
    onnx,
    dispose: () => {
      disposeGraph(onnx.graph);
      releaseExternalData();
    },
  };
}

/** A metadata entry holding JSON (PXP's export script writes `class_names`), or undefined. */
function onnxMetadataJson(onnx: ImportedOnnx, key: string): unknown {
  const entry = onnx.source.model.metadataProps.find((p) => p.key === key);
  if (!entry) return undefined;
  try {
    return JSON.parse(entry.value) as unknown;
  } catch {
    return undefined;
  }
}

/** A `class_names` metadata entry (a JSON list). */
function onnxClassNames(onnx: ImportedOnnx): string[] | undefined {
  const names = onnxMetadataJson(onnx, 'class_names');
  return Array.isArray(names) && names.every((n) => typeof n === 'string') ? (names as string[]) : undefined;
}

/** A declared input range [lo, hi] with lo < hi, else nothing (a model that documents none is not range-checked). */
function rangeOf(v: unknown): { inputRange?: [number, number] } {
  return Array.isArray(v) &&
    v.length === 2 &&
    v.every((x) => typeof x === 'number' && Number.isFinite(x)) &&
    v[0] < v[1]
    ? { inputRange: [v[0], v[1]] }
    : {};
}

/** LRP, pruning and search explain class scores: the model must output [N, classes]. */
export function requireClassifier(model: LoadedModel): void {
  const out = model.summary.outputShape;
  if (out.length === 1 && (!model.onnx || model.onnx.output.layout === 'plain')) return;
  throw badInput(
    `${model.file}: the output is [N, ${(model.onnx?.fileOutputShape ?? out).join(', ')}], not class scores [N, classes]`,
    'PXP explains and prunes classifiers: export the model up to its logits (pxp predict and pxp info read any model)',
  );
}
