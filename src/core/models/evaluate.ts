/**
 * Top-1 accuracy of a model on a Dataset, per class too, and the latency of one batch. Predictions are taken in JS
 * from the logits so that ties go to the lowest class index on every backend (method.md §5).
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '../errors';
import { forwardOutput } from '../graph/forward';
import { type Graph, disposeGraph, graphFromModel } from '../graph/graph';
import { batchesOf } from '../io/batches';
import type { Dataset } from '../io/datasets';
import type { LoadedModel } from '../io/open-model';
import { type RunControl, throwIfCancelled, yieldToEventLoop } from '../progress';
import { compileForward, medianOfSorted, onnxModelTimes, predictRows } from '../prune/masked-eval';
import { loadOnnxRuntime } from '../onnx/runtime';
import { onnxPredictLabels } from './onnx-predict';

export interface AccuracyResult {
  accuracy: number;
  correct: number;
  count: number;
  perClass: { label: number; name?: string; count: number; accuracy: number }[];
  /** What computed the predictions. */
  executor: 'onnx' | 'tfjs';
}

/** argmax over the last axis of a [n, k] row-major array; the first maximum wins. */
export function argmaxRows(values: Float32Array | Int32Array, k: number): Int32Array {
  return predictRows(values, k, values.length / k);
}

export type PredictExecutor = 'auto' | 'onnx' | 'tfjs';

/** A tfjs LayersModel, or an engine graph (models imported from ONNX). */
export type ModelLike = tf.LayersModel | Graph;

/** The model's output for a batch, on tfjs. */
export function runModel(model: ModelLike, x: tf.Tensor): tf.Tensor {
  return 'nodes' in model ? forwardOutput(model, x) : (model.predict(x) as tf.Tensor);
}

/** Predicted classes, on onnxruntime when it is installed and compiles the model (auto), else on tfjs. */
async function predict(
  model: ModelLike,
  data: Dataset,
  opts: RunControl & { batchSize?: number; executor?: PredictExecutor },
): Promise<{ labels: Int32Array; executor: 'onnx' | 'tfjs' }> {
  if (opts.executor !== 'tfjs') {
    const onnx = await onnxPredictLabels(model, data, opts);
    if (onnx) return { labels: onnx, executor: 'onnx' };
    if (opts.executor === 'onnx')
      throw badInput(
        'this model does not compile for onnxruntime (or onnxruntime is missing)',
        'use --executor auto or tfjs',
      );
  }
  return { labels: await tfjsPredictLabels(model, data, opts), executor: 'tfjs' };
}

async function tfjsPredictLabels(
  model: ModelLike,
  data: Dataset,
  opts: RunControl & { batchSize?: number },
): Promise<Int32Array> {
  const n = data.y.length;
  const out = new Int32Array(n);
  for await (const { x, shape, from, to } of batchesOf(data, opts.batchSize ?? 256, { signal: opts.signal })) {
    const xb = tf.tensor(x, shape);
    const logits = runModel(model, xb);
    const k = logits.shape[logits.shape.length - 1];
    out.set(argmaxRows((await logits.data()) as Float32Array, k), from);
    tf.dispose([xb, logits]);
    opts.onProgress?.({ done: to, total: n, message: `evaluating ${to}/${n}` });
  }
  return out;
}

export async function evaluateAccuracy(
  model: ModelLike,
  data: Dataset,
  opts: RunControl & { batchSize?: number; executor?: PredictExecutor } = {},
): Promise<AccuracyResult> {
  const { labels: pred, executor } = await predict(model, data, opts);
  const numClasses = data.numClasses;
  const hits = new Array<number>(numClasses).fill(0);
  const counts = new Array<number>(numClasses).fill(0);
  let correct = 0;
  for (let i = 0; i < pred.length; i++) {
    counts[data.y[i]]++;
    if (pred[i] === data.y[i]) {
      hits[data.y[i]]++;
      correct++;
    }
  }
  return {
    accuracy: correct / pred.length,
    correct,
    count: pred.length,
    perClass: counts.map((count, label) => ({
      label,
      name: data.classNames?.[label],
      count,
      accuracy: count ? hits[label] / count : NaN,
    })),
    executor,
  };
}

export interface LatencyResult {
  batchSize: number;
  runs: number;
  medianMs: number;
  p90Ms: number;
  /** What ran the batches: 'onnxruntime', or the tfjs backend's name. */
  engine?: string;
}

/** An ONNX file as onnxruntime runs it: its path, input name and input shape with the batch axis. */
export interface OnnxFileInput {
  file: string;
  input: string;
  /** The file's input shape without the batch axis (its own layout). */
  sampleShape: number[];
  /** The batch the file fixes, when its batch axis is not dynamic. */
  fixedBatch?: number;
}

/**
 * The latency of one batch on the engine that predicted (`executor`), so a figure printed beside "predicted on
 * onnxruntime" is onnxruntime's: the user's ONNX file as it is (`onnxFile`), else the model's forward compiled to
 * ONNX as the predictions were; on tfjs, model.predict on `tfjsEngine` (the backend's name).
 */
export async function measureLatencyOn(
  executor: 'onnx' | 'tfjs',
  model: ModelLike,
  sampleShape: number[],
  opts: { batchSize?: number; runs?: number; onnxFile?: OnnxFileInput; tfjsEngine: string; signal?: AbortSignal },
): Promise<LatencyResult> {
  const batchSize = opts.batchSize ?? 64;
  const { ort } = loadOnnxRuntime();
  if (executor === 'onnx' && ort) {
    const runs = opts.runs ?? 20;
    let feed: { model: Uint8Array | string; input: string; shape: number[] };
    if (opts.onnxFile) {
      const batch = opts.onnxFile.fixedBatch ?? batchSize;
      feed = { model: opts.onnxFile.file, input: opts.onnxFile.input, shape: [batch, ...opts.onnxFile.sampleShape] };
    } else {
      const graph = 'nodes' in model ? model : graphFromModel(model);
      try {
        feed = {
          model: compileForward(graph, sampleShape, batchSize).bytes,
          input: 'x',
          shape: [batchSize, ...sampleShape],
        };
      } finally {
        if (graph !== model) disposeGraph(graph);
      }
    }
    const [times] = await onnxModelTimes(ort, [feed], { runs, signal: opts.signal });
    return { batchSize: feed.shape[0], runs, ...medianAndP90(times), engine: 'onnxruntime' };
  }
  return {
    ...(await measureLatency(model, sampleShape, { batchSize, runs: opts.runs, signal: opts.signal })),
    engine: opts.tfjsEngine,
  };
}

/** The user's ONNX file as onnxruntime takes it, for models opened from one; undefined for tfjs models. */
export function onnxFileInput(opened: LoadedModel): OnnxFileInput | undefined {
  if (!opened.onnx) return undefined;
  const input = opened.onnx.facts.input;
  return {
    file: opened.file,
    input: input.name,
    sampleShape: opened.onnx.fileInputShape,
    ...(input.batchDynamic ? {} : { fixedBatch: input.shape[0] }),
  };
}

function medianAndP90(sorted: number[]): { medianMs: number; p90Ms: number } {
  return {
    medianMs: medianOfSorted(sorted),
    p90Ms: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))],
  };
}

/** Wall time of model.predict on one batch (after warm-up), median of `runs`, data read back to count the work. */
/** Batch size, timed runs, untimed warm-up runs, and the cancel signal checked between runs. */
export interface LatencyOptions {
  batchSize?: number;
  runs?: number;
  warmup?: number;
  signal?: AbortSignal;
}

export async function measureLatency(
  model: ModelLike,
  sampleShape: number[],
  opts: LatencyOptions = {},
): Promise<LatencyResult> {
  return (await measureLatencies([model], sampleShape, opts))[0];
}

/**
 * Latencies of several models on the same batch (an original and its pruned model), their runs alternating so that
 * a change in the machine's load during the measurement affects them alike instead of biasing their ratio.
 */
export async function measureLatencies(
  models: ModelLike[],
  sampleShape: number[],
  opts: LatencyOptions = {},
): Promise<LatencyResult[]> {
  const batchSize = opts.batchSize ?? 64;
  const runs = opts.runs ?? 10;
  const warmup = opts.warmup ?? 2;
  const x = tf.randomUniform([batchSize, ...sampleShape], 0, 1, 'float32', 1);
  const times = models.map((): number[] => []);
  try {
    for (let i = 0; i < warmup + runs; i++) {
      // A Ctrl+C (or Cancel) between runs stops the measurement; outside the timed span, so timings are unaffected.
      await yieldToEventLoop();
      throwIfCancelled(opts.signal);
      for (const [k, model] of models.entries()) {
        const t0 = performance.now();
        const y = runModel(model, x);
        await y.data();
        y.dispose();
        if (i >= warmup) times[k].push(performance.now() - t0);
      }
    }
  } finally {
    x.dispose();
  }
  return times.map((t) => ({ batchSize, runs, ...medianAndP90(t.sort((a, b) => a - b)) }));
}
