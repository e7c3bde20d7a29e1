/**
 * Supervised training of a LayersModel on a Dataset: Adam with a cosine learning-rate decay, softmax cross-entropy on
 * the logits, seeded shuffling. A plain loop rather than model.fit so that progress, cancellation and the seed are
 * ours; batch-norm moving statistics update inside model.apply(…, {training: true}) as they do in fit().
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../io/datasets';
import { RunControl, eta, throwIfCancelled, yieldToEventLoop } from '../progress';
import { mulberry32, shuffleInPlace } from '../random';
import { evaluateAccuracy } from './evaluate';
import { badInput } from '../errors';
import { OnnxUnsupported } from '../onnx/onnx-algebra';
import { loadOnnxRuntime } from '../onnx/runtime';
import { OnnxTrainer } from '../train/onnx-trainer';

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

/** Copies the samples at `indices` into one batch tensor of shape [indices.length, ...sampleShape]. */
export function gatherBatch(ds: Dataset, indices: ArrayLike<number>, from = 0, to = indices.length): tf.Tensor {
  const sampleShape = ds.shape.slice(1);
  const size = sampleShape.reduce((a: number, b: number) => a * b, 1);
  const buf = new Float32Array((to - from) * size);
  for (let i = from; i < to; i++) buf.set(ds.x.subarray(indices[i] * size, (indices[i] + 1) * size), (i - from) * size);
  return tf.tensor(buf, [to - from, ...sampleShape]);
}

export async function trainModel(model: tf.LayersModel, data: Dataset, opts: TrainOptions): Promise<TrainResult> {
  let note: string | undefined;
  if (opts.executor !== 'tfjs') {
    const { ort, why } = loadOnnxRuntime();
    if (ort) {
      let trainer: OnnxTrainer | undefined;
      try {
        trainer = new OnnxTrainer(model, ort, data.shape.slice(1), opts.batchSize ?? 64);
      } catch (e) {
        if (!(e instanceof OnnxUnsupported) || opts.executor === 'onnx') throw e;
        note = `onnxruntime cannot train this model (${e.message}); trained on tfjs`;
      }
      if (trainer) {
        try {
          return { ...(await trainer.fit(data, opts)), executor: 'onnx' };
        } finally {
          await trainer.dispose();
        }
      }
    } else {
      if (opts.executor === 'onnx') throw badInput(`the onnx executor is not available: ${why}`, 'install onnxruntime-node, or use --executor tfjs');
      note = why;
    }
  }
  return { ...(await trainOnTfjs(model, data, opts)), executor: 'tfjs', ...(note ? { executorNote: note } : {}) };
}

/** The plain tfjs loop (model.apply in training mode inside optimizer.minimize). */
export async function trainOnTfjs(model: tf.LayersModel, data: Dataset, opts: TrainOptions): Promise<TrainResult> {
  const batchSize = opts.batchSize ?? 64;
  const baseLr = opts.learningRate ?? 1e-3;
  const optimizer = tf.train.adam(baseLr);
  const rng = mulberry32(opts.seed ?? 0);
  const n = data.y.length;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const totalSteps = stepsPerEpoch * opts.epochs;
  const numClasses = data.numClasses;
  const start = Date.now();
  const epochs: EpochResult[] = [];
  let step = 0;
  try {
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      const epochStart = Date.now();
      shuffleInPlace(order, rng);
      let lossSum = 0;
      let correct = 0;
      for (let b = 0; b < stepsPerEpoch; b++) {
        throwIfCancelled(opts.signal);
        // Cosine decay: a large step early, a fine one at the end; AdamOptimizer reads learningRate every step.
        (optimizer as unknown as { learningRate: number }).learningRate = baseLr * 0.5 * (1 + Math.cos((Math.PI * step) / totalSteps));
        const from = b * batchSize;
        const to = Math.min(n, from + batchSize);
        const xb = gatherBatch(data, order, from, to);
        const labels = new Int32Array(to - from);
        for (let i = from; i < to; i++) labels[i - from] = data.y[order[i]];
        const yb = tf.tensor1d(labels, 'int32');
        let hits: tf.Tensor | undefined;
        const cost = optimizer.minimize(() => {
          const logits = model.apply(xb, { training: true }) as tf.Tensor;
          hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), yb), 'float32')));
          return tf.losses.softmaxCrossEntropy(tf.oneHot(yb, numClasses), logits) as tf.Scalar;
        }, true) as tf.Scalar;
        lossSum += (await cost.data())[0] * (to - from);
        correct += (await hits!.data())[0];
        tf.dispose([xb, yb, cost, hits!]);
        step++;
        opts.onProgress?.({
          done: step,
          total: totalSteps,
          message: `epoch ${epoch}/${opts.epochs} batch ${b + 1}/${stepsPerEpoch}`,
          etaSeconds: eta(start, step, totalSteps),
          metrics: { epoch, batch: b + 1, loss: lossSum / to, accuracy: correct / to },
        });
        if (b % 8 === 7) await yieldToEventLoop();
      }
      const result: EpochResult = { epoch, loss: lossSum / n, accuracy: correct / n, seconds: (Date.now() - epochStart) / 1000 };
      if (opts.validation) result.valAccuracy = (await evaluateAccuracy(model, opts.validation, { batchSize: 256, signal: opts.signal })).accuracy;
      epochs.push(result);
    }
  } finally {
    optimizer.dispose();
  }
  return { epochs, seconds: (Date.now() - start) / 1000 };
}
