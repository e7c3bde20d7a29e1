/**
 * The data of a pruning or search task, from the flags both commands share: `--data DIR` (reference samples picked
 * per class from its train split, evaluation on its test split) or `--reference DIR --eval DIR`, optionally
 * restricted to some classes as the paper does (`--classes`, `--restrict N`).
 */
import { badInput, usageError } from '../core/errors';
import { type Dataset, loadFolder, loadSplit, mapImages, selectPerClass, subset } from '../core/io/datasets';
import { mulberry32, shuffleInPlace } from '../core/random';
import type { OptionSpec } from './command';
import { inputRangeFlag, intFlag, intValue, stringFlag } from './flags';
import { type ImageHWC, type Preprocessing, parsePreprocessing, preprocessImage } from '../core/io/preprocess';
import { INPUT_RANGE_OPTION, type OpenedModel, fitData } from './inputs';
import { requireClassifier } from '../core/io/open-model';

type Flags = Record<string, string | boolean | undefined>;

export const TASK_DATA_OPTIONS: Record<string, OptionSpec> = {
  data: {
    type: 'string',
    placeholder: 'DIR',
    description: 'dataset with train and test splits: reference samples from train, evaluation on test',
  },
  reference: {
    type: 'string',
    placeholder: 'DIR',
    description: 'reference samples (x.npy + y.npy), instead of --data',
  },
  eval: { type: 'string', placeholder: 'DIR', description: 'evaluation samples (x.npy + y.npy), instead of --data' },
  'ref-per-class': {
    type: 'string',
    placeholder: 'N',
    description: 'reference samples per class picked from --data (default 10)',
    value: intValue(1),
  },
  'eval-limit': {
    type: 'string',
    placeholder: 'N',
    description: 'evaluate on the first N evaluation samples',
    value: intValue(1),
  },
  classes: {
    type: 'string',
    placeholder: 'A,B,…',
    description: 'restrict the task to these classes (indices or names): other outputs masked, data filtered',
  },
  restrict: {
    type: 'string',
    placeholder: 'N',
    description: 'restrict the task to N random classes (seeded)',
    value: intValue(1),
  },
  preprocess: {
    type: 'string',
    placeholder: 'NAME',
    description:
      'images and IDX data for a model from PyTorch: imagenet (resize 256, crop 224, ImageNet mean/std), none, or a JSON file {resize, crop, mean, std}; gray images become RGB when the model takes 3 channels. .npy arrays are used as they are',
    value: (v) => void parsePreprocessing(v),
  },
  'input-range': INPUT_RANGE_OPTION,
};

/** The per-image transform of --preprocess for this model, and the spec (recorded in run.json). */
export function preprocessingFor(
  flags: Flags,
  opened: OpenedModel,
): { spec?: Preprocessing; image?: (img: ImageHWC) => ImageHWC } {
  const arg = stringFlag(flags, 'preprocess');
  if (!arg) return {};
  const spec = parsePreprocessing(arg);
  const shape = opened.summary.inputShape;
  if (shape.length !== 3)
    throw badInput(
      `--preprocess: ${opened.file} does not take images (its input is ${shape.join('×')})`,
      'leave out --preprocess for models whose inputs are not images',
    );
  const channels = shape[2];
  return { spec, image: (img) => preprocessImage(img, spec, channels) };
}

export function keepClasses(ds: Dataset, classes: number[]): Dataset {
  const idx: number[] = [];
  ds.y.forEach((y, i) => classes.includes(y) && idx.push(i));
  return { ...subset(ds, idx), numClasses: ds.numClasses, classNames: ds.classNames };
}

/** The folders the flags name (so --out can be checked against them). */
export function taskDataFolders(
  flags: Flags,
  usage: string,
): { dataDir?: string; refDir?: string; evalDir?: string; all: string[] } {
  const dataDir = stringFlag(flags, 'data');
  const refDir = stringFlag(flags, 'reference');
  const evalDir = stringFlag(flags, 'eval');
  if (dataDir ? refDir || evalDir : !(refDir && evalDir))
    throw usageError('give either --data DIR, or both --reference DIR and --eval DIR', `usage: ${usage}`);
  return { dataDir, refDir, evalDir, all: [dataDir, refDir, evalDir].filter((d): d is string => !!d) };
}

export interface TaskData {
  reference: Dataset;
  evaluation: Dataset;
  /** --preprocess, when given: set graph.inputNormalization from it, record it in run.json. */
  preprocess?: Preprocessing;
  /** The restricted task's classes, or undefined for all. */
  classes?: number[];
}

export function loadTaskData(flags: Flags, opened: OpenedModel, seed: number, usage: string): TaskData {
  requireClassifier(opened);
  const { dataDir, refDir, evalDir } = taskDataFolders(flags, usage);
  const limit = intFlag(flags, 'eval-limit', undefined, 1);
  const inputRange = inputRangeFlag(flags);
  const { spec: preprocess, image } = preprocessingFor(flags, opened);
  // The reference samples are picked first, then preprocessed: a whole train split at 224×224 would not fit.
  let reference = dataDir
    ? mapImages(
        selectPerClass(loadSplit(dataDir, 'train', { inputRange }), intFlag(flags, 'ref-per-class', 10, 1), seed),
        image,
      )
    : loadFolder(refDir!, { image, inputRange });
  let evaluation = dataDir
    ? loadSplit(dataDir, 'test', { limit, image, inputRange })
    : loadFolder(evalDir!, { limit, image, inputRange });
  reference = fitData(reference, opened, inputRange);
  evaluation = fitData(evaluation, opened, inputRange);
  const numClasses = opened.summary.numClasses;
  const names = opened.classNames;
  let classes: number[] | undefined;
  const classesFlag = stringFlag(flags, 'classes');
  if (classesFlag) {
    classes = classesFlag.split(',').map((c) => {
      const t = c.trim();
      const i = /^\d+$/.test(t) ? Number(t) : (names ?? []).indexOf(t);
      if (i < 0 || i >= numClasses)
        throw badInput(
          `--classes: '${t}' is not a class of the model`,
          `use class indices 0…${numClasses - 1}${names ? ` or names: ${names.join(', ')}` : ''}`,
        );
      return i;
    });
  } else if (stringFlag(flags, 'restrict')) {
    const n = intFlag(flags, 'restrict', 2, 1);
    if (n > numClasses)
      throw badInput(`--restrict ${n} exceeds the model's ${numClasses} classes`, `choose 1…${numClasses}`);
    classes = shuffleInPlace(
      Array.from({ length: numClasses }, (_, i) => i),
      mulberry32(seed),
    )
      .slice(0, n)
      .sort((a, b) => a - b);
  }
  if (classes) {
    reference = keepClasses(reference, classes);
    evaluation = keepClasses(evaluation, classes);
  }
  for (const c of classes ?? Array.from({ length: numClasses }, (_, i) => i)) {
    if (!reference.y.includes(c))
      throw badInput(
        `${reference.source}: the reference set has no sample of class ${c}`,
        'every class of the task needs reference samples',
      );
  }
  return { reference, evaluation, classes, ...(preprocess ? { preprocess } : {}) };
}
