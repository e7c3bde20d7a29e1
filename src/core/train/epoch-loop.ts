/**
 * The training loop both executors share: seeded shuffling, batches, the cosine learning-rate decay, cancellation,
 * progress (epoch, batch, loss, accuracy, ETA) and per-epoch results. The executor supplies one step.
 */
import { batchesOf } from '../io/batches';
import type { Dataset } from '../io/datasets';
import { type RunControl, eta } from '../progress';
import { mulberry32, shuffleInPlace } from '../random';

export interface TrainOptions extends RunControl {
  epochs: number;
  /** auto: onnxruntime when installed and the model's ops compile, else tfjs. */
  executor?: 'auto' | 'onnx' | 'tfjs';
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Accuracy on this set after every epoch. */
  validation?: Dataset;
}

export interface EpochResult {
  epoch: number;
  loss: number;
  accuracy: number;
  valAccuracy?: number;
  seconds: number;
}

export interface TrainResult {
  epochs: EpochResult[];
  seconds: number;
  executor?: 'onnx' | 'tfjs';
  executorNote?: string;
}

/** One optimizer step on a batch; returns the batch's mean loss and its number of correct predictions. */
export type TrainStep = (
  x: Float32Array,
  labels: Int32Array,
  learningRate: number,
) => Promise<{ loss: number; correct: number }>;

export async function runEpochs(
  data: Dataset,
  opts: TrainOptions,
  step: TrainStep,
  validate?: () => Promise<number>,
): Promise<TrainResult> {
  const batchSize = opts.batchSize ?? 64;
  const baseLr = opts.learningRate ?? 1e-3;
  const rng = mulberry32(opts.seed ?? 0);
  const n = data.y.length;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const totalSteps = stepsPerEpoch * opts.epochs;
  const start = Date.now();
  const epochs: EpochResult[] = [];
  let k = 0;
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    const epochStart = Date.now();
    shuffleInPlace(order, rng);
    let lossSum = 0;
    let correct = 0;
    for await (const { index: b, x, y: labels, to, size } of batchesOf(data, batchSize, {
      signal: opts.signal,
      order,
      yieldEvery: 8,
    })) {
      // Cosine decay: a large step early, a fine one at the end.
      const r = await step(x, labels, baseLr * 0.5 * (1 + Math.cos((Math.PI * k) / totalSteps)));
      lossSum += r.loss * size;
      correct += r.correct;
      k++;
      opts.onProgress?.({
        done: k,
        total: totalSteps,
        message: `epoch ${epoch}/${opts.epochs} batch ${b + 1}/${stepsPerEpoch}`,
        etaSeconds: eta(start, k, totalSteps),
        metrics: { epoch, batch: b + 1, loss: lossSum / to, accuracy: correct / to },
      });
    }
    const result: EpochResult = {
      epoch,
      loss: lossSum / n,
      accuracy: correct / n,
      seconds: (Date.now() - epochStart) / 1000,
    };
    if (opts.validation && validate) result.valAccuracy = await validate();
    epochs.push(result);
  }
  return { epochs, seconds: (Date.now() - start) / 1000 };
}
