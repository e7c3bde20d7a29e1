/**
 * Top-1 accuracy of a model on a Dataset, per class too, and the latency of one batch. Predictions are taken in JS
 * from the logits so that ties go to the lowest class index on every backend (method.md §5).
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '../errors';
import { forwardOutput } from '../graph/forward';
import type { Graph } from '../graph/graph';
import { batchesOf } from '../io/batches';
import type { Dataset } from '../io/datasets';
import { type RunControl, throwIfCancelled, yieldToEventLoop } from '../progress';
import { predictRows } from '../prune/masked-eval';
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
async function predict(model: ModelLike, data: Dataset, opts: RunControl & { batchSize?: number; executor?: PredictExecutor }): Promise<{ labels: Int32Array; executor: 'onnx' | 'tfjs' }> {
  if (opts.executor !== 'tfjs') {
    const onnx = await onnxPredictLabels(model, data, opts);
    if (onnx) return { labels: onnx, executor: 'onnx' };
    if (opts.executor === 'onnx') throw badInput('this model does not compile for onnxruntime (or onnxruntime is missing)', 'use --executor auto or tfjs');
  }
  return { labels: await tfjsPredictLabels(model, data, opts), executor: 'tfjs' };
}

async function tfjsPredictLabels(model: ModelLike, data: Dataset, opts: RunControl & { batchSize?: number }): Promise<Int32Array> {
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

export async function evaluateAccuracy(model: ModelLike, data: Dataset, opts: RunControl & { batchSize?: number; executor?: PredictExecutor } = {}): Promise<AccuracyResult> {
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
    perClass: counts.map((count, label) => ({ label, name: data.classNames?.[label], count, accuracy: count ? hits[label] / count : NaN })),
    executor,
  };
}

export interface LatencyResult {
  batchSize: number;
  runs: number;
  medianMs: number;
  p90Ms: number;
}

/** Wall time of model.predict on one batch (after warm-up), median of `runs`, data read back to count the work. */
/** Batch size, timed runs, untimed warm-up runs, and the cancel signal checked between runs. */
export interface LatencyOptions {
  batchSize?: number;
  runs?: number;
  warmup?: number;
  signal?: AbortSignal;
}

export async function measureLatency(model: ModelLike, sampleShape: number[], opts: LatencyOptions = {}): Promise<LatencyResult> {
  return (await measureLatencies([model], sampleShape, opts))[0];
}

/**
 * Latencies of several models on the same batch (an original and its pruned model), their runs alternating so that
 * a change in the machine's load during the measurement affects them alike instead of biasing their ratio.
 */
export async function measureLatencies(models: ModelLike[], sampleShape: number[], opts: LatencyOptions = {}): Promise<LatencyResult[]> {
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
  return times.map((t) => {
    t.sort((a, b) => a - b);
    return { batchSize, runs, medianMs: t[Math.floor(t.length / 2)], p90Ms: t[Math.min(t.length - 1, Math.floor(t.length * 0.9))] };
  });
}
