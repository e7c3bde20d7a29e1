import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { PxpError } from '../../../src/core/errors';
import type { Dataset } from '../../../src/core/io/datasets';
import { argmaxRows, evaluateAccuracy } from '../../../src/core/models/evaluate';
import { trainModel } from '../../../src/core/train/train-model';
import { buildVgg } from '../../../src/core/models/vgg';
import { mulberry32 } from '../../../src/core/random';
import { useDefaultBackend } from '../../helpers/backend';

/** 8×8 images whose class says which half (left or right) is brighter: easy, but only learnable through the convs. */
function halvesDataset(n: number, seed: number): Dataset {
  const rng = mulberry32(seed);
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let r = 0; r < 8; r++)
      for (let c = 0; c < 8; c++) x[i * 64 + r * 8 + c] = rng() * 0.5 + (c < 4 === (y[i] === 0) ? 0.5 : 0);
  }
  return { x, shape: [n, 8, 8, 1], y, numClasses: 2, source: 'halves' };
}

const small = (seed = 0) =>
  buildVgg({ inputShape: [8, 8, 1], numClasses: 2, widths: [4, 8], convsPerBlock: 1, hidden: 8, dropout: 0, seed });

describe('training', () => {
  before(useDefaultBackend);

  it('lowers the loss and learns a task that needs the convs; BN moving statistics update', async () => {
    const model = small();
    const bnMean = () => Array.from(model.getLayer('block1_bn1').getWeights()[2].dataSync());
    const before = bnMean();
    const data = halvesDataset(256, 1);
    const progress: number[] = [];
    const result = await trainModel(model, data, {
      epochs: 4,
      batchSize: 32,
      learningRate: 0.01,
      seed: 1,
      executor: 'tfjs',
      onProgress: (p) => progress.push(p.done),
    });
    assert.equal(result.epochs.length, 4);
    assert.ok(
      result.epochs[3].loss < result.epochs[0].loss * 0.7,
      `loss ${result.epochs.map((e) => e.loss.toFixed(3))}`,
    );
    const acc = await evaluateAccuracy(model, halvesDataset(200, 2));
    assert.ok(acc.accuracy > 0.9, `held-out accuracy ${acc.accuracy}`);
    assert.notDeepEqual(bnMean(), before, 'moving mean moved');
    assert.deepEqual(
      progress,
      Array.from({ length: 32 }, (_, i) => i + 1),
      'one progress report per batch',
    );
    model.dispose();
  });

  it('is reproducible: the same seed gives the same losses', async () => {
    const run = async () => {
      const m = small(4);
      const r = await trainModel(m, halvesDataset(64, 3), { epochs: 1, batchSize: 16, seed: 9, executor: 'tfjs' });
      m.dispose();
      return r.epochs[0].loss;
    };
    assert.equal(await run(), await run());
  });

  it('stops with a cancelled error when its signal fires, leaking no tensors', async () => {
    const model = small();
    const controller = new AbortController();
    const tensorsBefore = tf.memory().numTensors;
    await assert.rejects(
      () =>
        trainModel(model, halvesDataset(256, 1), {
          epochs: 3,
          batchSize: 16,
          executor: 'tfjs',
          signal: controller.signal,
          onProgress: (p) => p.done === 5 && controller.abort(),
        }),
      (e: PxpError) => e.code === 'cancelled',
    );
    assert.equal(tf.memory().numTensors, tensorsBefore);
    model.dispose();
  });
});

describe('evaluation', () => {
  before(useDefaultBackend);

  it('argmax gives ties to the lowest class index', () => {
    assert.deepEqual(Array.from(argmaxRows(new Float32Array([1, 3, 3, 0, 5, 5, 5, 5, -1, -2, -1, -3]), 4)), [1, 0, 0]);
  });

  it('accuracy and per-class accuracy equal a hand count on a fixed linear model', async () => {
    // logits = x · W with W = identity on 3 features: the prediction is the largest feature.
    const input = tf.input({ shape: [3] });
    const dense = tf.layers.dense({ units: 3, useBias: false, kernelInitializer: 'identity' });
    const model = tf.model({ inputs: input, outputs: dense.apply(input) as tf.SymbolicTensor });
    const x = new Float32Array([
      9, 0, 0, /* → 0 */ 0, 9, 0, /* → 1 */ 0, 0, 9, /* → 2 */ 9, 1, 0, /* → 0 */ 1, 1, 1 /* tie → 0 */,
    ]);
    const y = new Int32Array([0, 1, 1, 2, 0]);
    const r = await evaluateAccuracy(model, { x, shape: [5, 3], y, numClasses: 3, source: 'hand' });
    assert.equal(r.correct, 3);
    assert.equal(r.accuracy, 3 / 5);
    assert.deepEqual(
      r.perClass.map((c) => [c.count, c.accuracy]),
      [
        [2, 1],
        [2, 0.5],
        [1, 0],
      ],
    );
  });
});
