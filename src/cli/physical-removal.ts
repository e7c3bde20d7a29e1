/**
 * `pxp prune --rate P | --max-drop POINTS`: removes the chosen components for real and measures the smaller model
 * against the original. A tfjs model becomes a smaller LayersModel (surgery.ts); an ONNX model from PyTorch a smaller
 * ONNX file in the user's own structure (export-pruned.ts), which is imported again to be measured, so the numbers
 * are those of the file the user takes away. The pruned model is saved by the caller, into the run folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { badInput } from '../core/errors';
import { throwIfCancelled } from '../core/progress';
import { type Graph, disposeGraph, graphFromModel } from '../core/graph/graph';
import { type ModelSummary, summarizeModel } from '../core/graph/summary';
import { writeFileAtomic } from '../core/io/atomic';
import { batchesOf } from '../core/io/batches';
import type { Dataset } from '../core/io/datasets';
import { modelMetadata, saveModel } from '../core/io/model-files';
import { writePrunedOnnx } from '../core/io/onnx/export-pruned';
import { type LoadedModel, openAnyModel } from '../core/io/open-model';
import { measureLatencies, type ModelLike, runModel } from '../core/models/evaluate';
import { OnnxUnsupported } from '../core/onnx/onnx-algebra';
import { loadOnnxRuntime } from '../core/onnx/runtime';
import type { ComponentLayerInfo } from '../core/prune/catalogue';
import { channelFlow } from '../core/prune/channel-flow';
import { maskedEvaluator, medianOfSorted, onnxLatencies, onnxModelTimes, predictRows } from '../core/prune/masked-eval';
import {
  CAUSE_TEXT,
  type PlanDifference,
  type RoundTo,
  physicalPlan,
  roundingUnits,
} from '../core/prune/physical-plan';
import { pruneModel } from '../core/prune/surgery';
import * as tfjs from '@tensorflow/tfjs';

export interface LayerDiff {
  name: string;
  className: string;
  components?: { original: number; pruned: number };
  params: { original: number; pruned: number };
  flops: { original: number; pruned: number };
}

/** Output channels, units or heads of a graph node with weights; undefined for the rest. */
function componentsOf(op: Graph['nodes'][number]['op']): number | undefined {
  if (op.type === 'conv2d' || op.type === 'dense') return op.kernel.shape[op.kernel.shape.length - 1];
  if (op.type === 'depthwise') return op.kernel.shape[2] * op.kernel.shape[3];
  if (op.type === 'attention') return op.heads;
  return undefined;
}

/** Original vs pruned, matched by name (surgery and the ONNX writer keep the names). */
function layerDiff(
  original: { graph: Graph; summary: ModelSummary },
  pruned: { graph: Graph; summary: ModelSummary },
): LayerDiff[] {
  const after = new Map(
    pruned.summary.layers.map((l, i) => [
      l.name,
      { layer: l, node: pruned.graph.nodes.find((n) => n.name === l.name) ?? pruned.graph.nodes[i] },
    ]),
  );
  const nodeOf = (g: Graph, name: string) => g.nodes.find((n) => n.name === name);
  return original.summary.layers
    .filter((l) => l.params > 0 || l.macs > 0)
    .map((l) => {
      const p = after.get(l.name);
      const before = nodeOf(original.graph, l.name);
      const c0 = before ? componentsOf(before.op) : undefined;
      const c1 = p?.node ? componentsOf(p.node.op) : undefined;
      return {
        name: l.name,
        className: l.className,
        ...(c0 !== undefined ? { components: { original: c0, pruned: c1 ?? 0 } } : {}),
        params: { original: l.params, pruned: p?.layer.params ?? 0 },
        flops: { original: 2 * l.macs, pruned: 2 * (p?.layer.macs ?? 0) },
      };
    });
}

/** What run.json's `physical` records. */
export interface PhysicalRemoval {
  format: 'tfjs' | 'onnx';
  rate: number;
  /** --round-to, when some layer had to keep a multiple above 1. */
  roundTo?: RoundTo;
  chosenBy?: { maxDropPoints: number; baselineAccuracy: number; maskedAccuracyAtRate: number };
  removed: number;
  total: number;
  groups: number;
  /** Components the curve removes at this rate; `removed` differs from it only by `differences`. */
  curveRemoved: number;
  /** Where dependency groups made the pruned model differ from the curve's point, by cause, with the reason. */
  differences: (PlanDifference & { why: string })[];
  maskedAccuracy: number;
  prunedAccuracy: number;
  params: { original: number; pruned: number };
  flops: { original: number; pruned: number };
  latencyMs: { original: number; pruned: number; batch: number; runs: number; engine: string };
  speedup: number;
  /** Layer by layer, original vs pruned (layers with weights), so a run can be compared without loading either model. */
  layers: LayerDiff[];
  /** Indices of the components removed, per component layer that lost any. */
  removedComponents: Record<string, number[]>;
  finetune?: {
    epochs: number;
    samples: number;
    executor?: string;
    seconds: number;
    accuracy: number;
    regained: number;
  };
}

/** The pruned model is the curve's point unless dependency groups forced a difference: then how many, and why. */
export function differenceLines(p: Pick<PhysicalRemoval, 'removed' | 'curveRemoved' | 'differences'>): string[] {
  if (!p.differences.length) return [`  the curve's point at this rate: the same ${p.curveRemoved} components`];
  return [
    `  NOT the curve's point: the curve removes ${p.curveRemoved} components, the pruned model ${p.removed}, because`,
    ...p.differences.map(
      (d) =>
        `    ${d.why}: ${d.groups} groups, ${d.kept} of the curve's components kept${d.added ? `, ${d.added} more removed` : ''}`,
    ),
  ];
}

/** The pruned model, to be saved into the run folder (pruned/model.json + weights, or pruned/model.onnx). */
export interface PrunedModel {
  save(dir: string, info: { criterion: string; rate: number }): Promise<void>;
  /** The tfjs model itself (fine-tuning); undefined for ONNX. */
  tfjs?: tf.LayersModel;
  /** Its engine graph, for measuring, and its summary (parameters, FLOPs). */
  graph: Graph;
  summary: ModelSummary;
  /** The pruned ONNX file in a temp folder (ONNX models), for onnxruntime's own latency. */
  file?: string;
  dispose(): void;
}

export interface RemovalInputs {
  opened: LoadedModel;
  graph: Graph;
  shapes: number[][];
  layers: ComponentLayerInfo[];
  /** The ranked (possibly normalized) scores. */
  scores: Float64Array[];
  /** The curve's ranking order (method.md's least_relevant_first). */
  leastRelevantFirst: boolean;
  rate: number;
  /** Round every layer's kept count up to a multiple of this (physicalPlan, roundingUnits); default 1. */
  roundTo?: RoundTo;
  evaluation: Dataset;
  classes?: number[];
  executor: 'auto' | 'onnx' | 'tfjs';
  /** The tfjs backend's name, the latency engine when onnxruntime is not used. */
  backendName: string;
  signal?: AbortSignal;
}

/** Batches of 64, medians of alternating runs (fewer on tfjs, ~15× slower per run). */
const LATENCY_BATCH = 64;
const LATENCY_RUNS = 25;
const TFJS_LATENCY_RUNS = 15;
/**
 * A batch costs at most this many FLOPs: a VGG-16 or ViT-B/16 at 224² runs 15–18 GFLOPs per image, and 25 alternating
 * runs of 64 of them took over 10 minutes on 2 cores. Larger models get smaller batches (a power of two) and stop
 * measuring after LATENCY_BUDGET_MS.
 */
const LATENCY_BATCH_FLOPS = 64e9;
const LATENCY_BUDGET_MS = 60_000;

/** The latency batch for a model of `flops` per sample (summary.flops). */
export function latencyBatch(flops: number): number {
  let batch = LATENCY_BATCH;
  while (batch > 1 && batch * flops > LATENCY_BATCH_FLOPS) batch /= 2;
  return batch;
}

export async function removePhysically(
  inp: RemovalInputs,
): Promise<{ result: Omit<PhysicalRemoval, 'chosenBy' | 'finetune'>; pruned: PrunedModel }> {
  const { opened, graph, shapes, layers, scores, rate, evaluation, classes, executor } = inp;
  throwIfCancelled(inp.signal);
  const units = roundingUnits(layers, inp.roundTo ?? 1, opened.format);
  const plan = physicalPlan(graph, layers, scores, rate, {
    leastRelevantFirst: inp.leastRelevantFirst,
    roundTo: units,
  });
  const pruned = opened.tfjs
    ? await prunedLayersModel(opened.tfjs, graph, shapes, layers, plan.removed, opened.file)
    : await prunedOnnxModel(opened, graph, shapes, layers, plan.removed);
  try {
    const masked = await maskedEvaluator(graph, layers, evaluation, { executor, allowedClasses: classes });
    let maskedAccuracy: number;
    try {
      maskedAccuracy = await masked.accuracy(plan.removed, { signal: inp.signal });
    } finally {
      await masked.dispose();
    }
    const prunedAccuracy = await modelAccuracy(pruned.tfjs ?? pruned.graph, evaluation, classes, inp.signal);
    const latency = await latencies(inp, pruned);
    const summary = pruned.summary;
    return {
      result: {
        format: opened.format,
        rate,
        ...(units.some((u) => u > 1) ? { roundTo: inp.roundTo } : {}),
        removed: plan.removedCount,
        total: layers.reduce((a, l) => a + l.size, 0),
        groups: plan.groups,
        curveRemoved: plan.curveRemoved,
        differences: plan.differences.map((d) => ({ ...d, why: CAUSE_TEXT[d.cause] })),
        maskedAccuracy,
        prunedAccuracy,
        params: { original: opened.summary.params, pruned: summary.params },
        flops: { original: opened.summary.flops, pruned: summary.flops },
        latencyMs: latency,
        speedup: latency.original / latency.pruned,
        layers: layerDiff({ graph, summary: opened.summary }, pruned),
        removedComponents: Object.fromEntries(
          layers.flatMap((l, i) => {
            const idx = plan.removed[i].flatMap((r, j) => (r ? [j] : []));
            return idx.length ? [[l.name, idx]] : [];
          }),
        ),
      },
      pruned,
    };
  } catch (e) {
    pruned.dispose();
    throw e;
  }
}

async function prunedLayersModel(
  model: tf.LayersModel,
  graph: Graph,
  shapes: number[][],
  layers: ComponentLayerInfo[],
  removed: boolean[][],
  file: string,
): Promise<PrunedModel> {
  const pruned = await pruneModel(model, graph, shapes, layers, removed);
  const prunedGraph = graphFromModel(pruned);
  return {
    tfjs: pruned,
    graph: prunedGraph,
    summary: summarizeModel(pruned),
    save: (dir, info) =>
      saveModel(pruned, path.join(dir, 'pruned'), { ...modelMetadata(file), prunedFrom: file, ...info }),
    dispose: () => {
      disposeGraph(prunedGraph);
      pruned.dispose();
    },
  };
}

/** The pruned ONNX file is written to a temp folder first and imported back: what is measured is what is saved. */
async function prunedOnnxModel(
  opened: LoadedModel,
  graph: Graph,
  shapes: number[][],
  layers: ComponentLayerInfo[],
  removed: boolean[][],
): Promise<PrunedModel> {
  const active = channelFlow(graph, shapes, layers, removed);
  const { bytes } = writePrunedOnnx(opened.onnx!, active);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-pruned-'));
  const file = path.join(tmp, 'model.onnx');
  fs.writeFileSync(file, bytes);
  let reopened: LoadedModel;
  try {
    reopened = await openAnyModel(file);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw badInput(
      `the pruned model of ${opened.file} does not load again: ${(e as Error).message}`,
      'this is a PXP bug for this model structure; prune with the masked curve only (no --rate) and report it',
    );
  }
  const prunedGraph = reopened.graph();
  return {
    graph: prunedGraph,
    summary: reopened.summary,
    file,
    save: async (dir) => writeFileAtomic(path.join(dir, 'pruned', 'model.onnx'), bytes),
    dispose: () => {
      disposeGraph(prunedGraph);
      reopened.dispose();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Latency on the fastest engine we have, the same for both models: onnxruntime when installed, else tfjs. */
async function latencies(inp: RemovalInputs, pruned: PrunedModel): Promise<PhysicalRemoval['latencyMs']> {
  const { ort } = loadOnnxRuntime();
  const { opened } = inp;
  if (ort && inp.executor !== 'tfjs') {
    if (opened.onnx) {
      // The user's file and the pruned file, as onnxruntime runs them.
      const input = opened.onnx.facts.input;
      const batch = input.batchDynamic ? latencyBatch(opened.summary.flops) : input.shape[0];
      const shape = [batch, ...opened.onnx.fileInputShape];
      const [original, prunedMs] = await onnxModelTimes(
        ort,
        [
          { model: opened.file, input: input.name, shape },
          { model: pruned.file!, input: input.name, shape },
        ],
        { runs: LATENCY_RUNS, signal: inp.signal, budgetMs: LATENCY_BUDGET_MS },
      );
      return {
        original: medianOfSorted(original),
        pruned: medianOfSorted(prunedMs),
        batch,
        runs: original.length,
        engine: 'onnxruntime',
      };
    }
    try {
      const [original, prunedMs] = await onnxLatencies(ort, [inp.graph, pruned.graph], opened.summary.inputShape, {
        batchSize: LATENCY_BATCH,
        runs: LATENCY_RUNS,
        signal: inp.signal,
      });
      return { original, pruned: prunedMs, batch: LATENCY_BATCH, runs: LATENCY_RUNS, engine: 'onnxruntime' };
    } catch (e) {
      if (!(e instanceof OnnxUnsupported)) throw e;
    }
  }
  const models: ModelLike[] = [opened.tfjs ?? inp.graph, pruned.tfjs ?? pruned.graph];
  const [before, after] = await measureLatencies(models, opened.summary.inputShape, {
    batchSize: LATENCY_BATCH,
    runs: TFJS_LATENCY_RUNS,
    signal: inp.signal,
  });
  return {
    original: before.medianMs,
    pruned: after.medianMs,
    batch: LATENCY_BATCH,
    runs: TFJS_LATENCY_RUNS,
    engine: inp.backendName,
  };
}

/** Top-1 accuracy of a model, among the allowed classes only when the task is restricted. */
export async function modelAccuracy(
  model: ModelLike,
  data: Dataset,
  classes?: number[],
  signal?: AbortSignal,
): Promise<number> {
  let correct = 0;
  for await (const { x, y, shape, size } of batchesOf(data, 256, { signal })) {
    const logits = tfjs.tidy(() => runModel(model, tfjs.tensor(x, shape)));
    const pred = predictRows(logits.dataSync(), logits.shape[1]!, size, classes);
    logits.dispose();
    for (let s = 0; s < size; s++) if (pred[s] === y[s]) correct++;
  }
  return correct / data.y.length;
}
