/**
 * Supervised training of a LayersModel on a Dataset: Adam with a cosine learning-rate decay, softmax cross-entropy on
 * the logits, seeded shuffling. A plain loop rather than model.fit so that progress, cancellation and the seed are
 * ours; batch-norm moving statistics update inside model.apply(…, {training: true}) as they do in fit().
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../io/datasets';
import { evaluateAccuracy } from '../models/evaluate';
import { attemptOnnx } from '../onnx/executor-choice';
import { type TrainOptions, type TrainResult, runEpochs } from './epoch-loop';
import { OnnxTrainer } from './onnx-trainer';

export async function trainModel(model: tf.LayersModel, data: Dataset, opts: TrainOptions): Promise<TrainResult> {
  const { value: trainer, note } = await attemptOnnx(
    opts.executor,
    (ort) => new OnnxTrainer(model, ort, data.shape.slice(1), opts.batchSize ?? 64),
    { note: (e) => `onnxruntime cannot train this model (${e.message}); trained on tfjs` },
  );
  if (trainer) {
    try {
      return { ...(await trainer.fit(data, opts)), executor: 'onnx' };
    } finally {
      await trainer.dispose();
    }
  }
  return { ...(await trainOnTfjs(model, data, opts)), executor: 'tfjs', ...(note ? { executorNote: note } : {}) };
}

/** The plain tfjs step (model.apply in training mode inside optimizer.minimize), in the shared loop. */
export async function trainOnTfjs(model: tf.LayersModel, data: Dataset, opts: TrainOptions): Promise<TrainResult> {
  const optimizer = tf.train.adam(opts.learningRate ?? 1e-3);
  const sampleShape = data.shape.slice(1);
  try {
    return await runEpochs(
      data,
      opts,
      async (x, labels, learningRate) => {
        // AdamOptimizer reads learningRate at every step.
        (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
        const xb = tf.tensor(x, [labels.length, ...sampleShape]);
        const yb = tf.tensor1d(labels, 'int32');
        let hits: tf.Tensor | undefined;
        const cost = optimizer.minimize(() => {
          const logits = model.apply(xb, { training: true }) as tf.Tensor;
          hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), yb), 'float32')));
          return tf.losses.softmaxCrossEntropy(tf.oneHot(yb, data.numClasses), logits) as tf.Scalar;
        }, true) as tf.Scalar;
        const r = { loss: (await cost.data())[0], correct: (await hits!.data())[0] };
        tf.dispose([xb, yb, cost, hits!]);
        return r;
      },
      async () => (await evaluateAccuracy(model, opts.validation!, { batchSize: 256, signal: opts.signal })).accuracy,
    );
  } finally {
    optimizer.dispose();
  }
}
