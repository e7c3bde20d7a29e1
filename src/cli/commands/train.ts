import path from 'node:path';
import { initBackend } from '../../core/backend/select';
import { summarizeModel } from '../../core/graph/summary';
import { writeFileAtomic } from '../../core/io/atomic';
import { saveModel } from '../../core/io/model-files';
import { evaluateAccuracy } from '../../core/models/evaluate';
import type * as tf from '@tensorflow/tfjs';
import type { TrainOptions } from '../../core/train/epoch-loop';
import { trainModel } from '../../core/train/train-model';
import { ARCHITECTURES, buildArchitecture } from '../../core/models/zoo';
import { badInput, usageError } from '../../core/errors';
import { type CommandContext, EXECUTOR_OPTION, defineCommand } from '../command';
import {
  choiceValue,
  executorFlag,
  inputRangeFlag,
  intFlag,
  intValue,
  numberFlag,
  numberValue,
  requiredString,
  stringFlag,
} from '../flags';
import { backendLine, formatCount, percent } from '../format';
import { type Dataset, loadDataArgument } from '../../core/io/datasets';
import { claimOutputFolder } from '../output-folder';
import { INPUT_RANGE_OPTION, checkDataRange } from '../inputs';

type Flags = Record<string, string | boolean | undefined>;

/** The input range of the models pxp train builds (recorded in their metadata). */
const TRAINED_RANGE: [number, number] = [0, 1];
const LR_BOUNDS = { above: 0 };

export const trainCommand = defineCommand({
  name: 'train',
  summary: `train a built-in architecture (${ARCHITECTURES.join(', ')}) on a dataset and save it as a tfjs LayersModel`,
  usage: `pxp train --arch ${ARCHITECTURES.join('|')} --data DIR --epochs N --out DIR [--batch-size 64] [--lr 0.001] [--seed 0]`,
  options: {
    arch: {
      type: 'string',
      placeholder: 'NAME',
      description: `architecture: ${ARCHITECTURES.join(' | ')} (default vgg)`,
      value: choiceValue(ARCHITECTURES),
    },
    data: {
      type: 'string',
      placeholder: 'DIR',
      description: 'dataset with train and test splits (IDX folder or train/test subfolders)',
    },
    epochs: {
      type: 'string',
      placeholder: 'N',
      description: 'passes over the training split (default 5)',
      value: intValue(1),
    },
    out: { type: 'string', placeholder: 'DIR', description: 'folder for model.json + weights.bin + training.json' },
    'batch-size': { type: 'string', placeholder: 'N', description: 'default 64', value: intValue(1) },
    lr: {
      type: 'string',
      placeholder: 'X',
      description: 'Adam learning rate at the start of the cosine decay (default 0.001)',
      value: numberValue(LR_BOUNDS),
    },
    seed: {
      type: 'string',
      placeholder: 'N',
      description: 'seed for the initial weights and the shuffling (default 0)',
      value: intValue(0),
    },
    limit: {
      type: 'string',
      placeholder: 'N',
      description: 'use the first N training samples only',
      value: intValue(1),
    },
    'class-names': {
      type: 'string',
      placeholder: 'A,B,…',
      description: 'class names to store in the model (comma-separated)',
    },
    executor: EXECUTOR_OPTION,
    'input-range': INPUT_RANGE_OPTION,
  },
  required: ['data', 'out'],
  async run(flags, ctx) {
    const arch = stringFlag(flags, 'arch') ?? 'vgg';
    if (!(ARCHITECTURES as readonly string[]).includes(arch))
      throw usageError(`--arch ${arch} is not a built-in architecture`, `choose one of: ${ARCHITECTURES.join(', ')}`);
    const dataDir = requiredString(flags, 'data', 'pass --data DIR');
    const epochs = intFlag(flags, 'epochs', 5, 1);
    const batchSize = intFlag(flags, 'batch-size', 64, 1);
    const seed = intFlag(flags, 'seed', 0);
    const learningRate = numberFlag(flags, 'lr', 1e-3, LR_BOUNDS);
    const executor = executorFlag(flags);
    const inputRange = inputRangeFlag(flags);
    const out = claimOutputFolder(requiredString(flags, 'out', 'pass --out DIR'), [dataDir], {
      ...ctx,
      command: 'train',
    });
    try {
      const backend = await initBackend(ctx.backend);
      const { train, test, numClasses, classNames } = loadSplits(flags, dataDir, inputRange);
      const model = buildArchitecture(arch, train.shape.slice(1), numClasses, seed);
      try {
        const summary = summarizeModel(model);
        ctx.log(
          `training ${arch} (${formatCount(summary.params)} params) on ${train.source}: ${train.y.length} samples, ${epochs} epochs, batch ${batchSize}; ${backendLine(backend).replace(/\s+/, ' ')}`,
        );
        const history = await fitLogged(model, train, { epochs, batchSize, learningRate, seed, executor }, ctx);
        const testAcc = await evaluateAccuracy(model, test, { signal: ctx.signal });
        const metadata = {
          architecture: arch,
          classNames,
          trainedOn: train.source,
          epochs,
          batchSize,
          learningRate,
          seed,
          testAccuracy: testAcc.accuracy,
          testSamples: testAcc.count,
          inputRange: TRAINED_RANGE,
        };
        await out.write(async (dir) => {
          await saveModel(model, dir, metadata);
          const training = { history: history.epochs, seconds: history.seconds, backend: backend.name };
          writeFileAtomic(
            path.join(dir, 'training.json'),
            JSON.stringify({ ...metadata, ...training, executor: history.executor }, null, 2),
          );
        });
        const value = {
          model: path.join(out.dir, 'model.json'),
          params: summary.params,
          testAccuracy: testAcc.accuracy,
          history: history.epochs,
          seconds: history.seconds,
          backend,
          executor: history.executor,
        };
        const text = `test accuracy ${percent(testAcc.accuracy)} (${testAcc.correct}/${testAcc.count}) on ${test.source}\nsaved ${value.model} (${history.seconds.toFixed(0)} s of training)`;
        return { value, text };
      } finally {
        model.dispose();
      }
    } finally {
      out.release();
    }
  },
});

/** The train and test splits of --data (in the range the built models expect), their classes and class names. */
function loadSplits(flags: Flags, dataDir: string, inputRange: ReturnType<typeof inputRangeFlag>) {
  const train = checkDataRange(
    loadDataArgument(dataDir, 'train', { limit: intFlag(flags, 'limit', undefined, 1), inputRange }),
    TRAINED_RANGE,
    'the models pxp train builds',
    inputRange,
  );
  const test = checkDataRange(
    loadDataArgument(dataDir, 'test', { inputRange }),
    TRAINED_RANGE,
    'the models pxp train builds',
    inputRange,
  );
  const numClasses = Math.max(train.numClasses, test.numClasses);
  const classNames =
    stringFlag(flags, 'class-names')
      ?.split(',')
      .map((s) => s.trim()) ?? train.classNames;
  if (classNames && classNames.length !== numClasses) {
    throw badInput(
      `--class-names lists ${classNames.length} names but ${train.source} has ${numClasses} classes`,
      'give one name per class, in label order',
    );
  }
  if (test.shape.slice(1).join('×') !== train.shape.slice(1).join('×')) {
    throw badInput(
      `${test.source}: samples of shape ${test.shape.slice(1).join('×')} differ from the training split's ${train.shape.slice(1).join('×')}`,
      'use one dataset whose splits share a sample shape',
    );
  }
  return { train, test, numClasses, classNames };
}

/** Trains the model, logging what ran it and each epoch's loss and accuracy. */
async function fitLogged(
  model: tf.LayersModel,
  train: Dataset,
  settings: Pick<TrainOptions, 'epochs' | 'batchSize' | 'learningRate' | 'seed' | 'executor'>,
  ctx: CommandContext,
) {
  const history = await trainModel(model, train, { ...settings, onProgress: ctx.progress, signal: ctx.signal });
  ctx.log(
    `trained on ${history.executor === 'onnx' ? 'onnxruntime' : 'tfjs'}${history.executorNote ? ` (${history.executorNote})` : ''}`,
  );
  for (const e of history.epochs)
    ctx.log(
      `epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, train accuracy ${percent(e.accuracy)}, ${e.seconds.toFixed(0)} s`,
    );
  return history;
}
