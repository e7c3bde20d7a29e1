/**
 * Data sets for `--data DIR`, `--reference DIR` and `--eval DIR`.
 *
 * A folder holding one split (loadFolder) is either
 *   - x.npy + y.npy: x of shape [N, H, W, C] (images, NHWC), [N, H, W] (grayscale images; a channel axis is added)
 *     or [N, F] (feature vectors, kept as they are); y of shape [N] with integer class indices; or
 *   - an image tree: one subfolder per class holding .png/.jpg/.jpeg files; the class index is the position of the
 *     folder name in sorted order (as Keras and torchvision do), so the same tree always gives the same labels.
 * A folder holding several splits (loadSplit) is either MNIST-style IDX files or subfolders train/, val/, test/,
 * each of them a one-split folder.
 *
 * Pixels come out as float32: uint8 data are divided by 255, float data are taken as they are (or mapped from the
 * range the caller names, `inputRange`, onto [0, 1]). A float value that is not finite is refused, naming the sample;
 * the extremes of float data are recorded (`valueRange`) so a command can hold them against the model's input range.
 */
import fs from 'node:fs';
import path from 'node:path';
import { findClassNamesFile, readClassNamesFile } from './class-names-file';
import { badInput, PxpError, usageError } from '../errors';
import { mulberry32, shuffleInPlace } from '../random';
import { readIdxImages, readIdxLabels } from './idx';
import { isImageFile, readImage, type DecodedImage } from './images';
import { readNpy, type NpyArray } from './npy';
import type { ImageHWC } from './preprocess';

export type SplitName = 'train' | 'val' | 'test';

export interface Dataset {
  /** All samples, row-major, one after the other. */
  x: Float32Array;
  /** [N, H, W, C] (NHWC) for images, [N, F] for feature vectors. */
  shape: number[];
  y: Int32Array;
  numClasses: number;
  /** Class folder names for image trees, indexed by class. */
  classNames?: string[];
  /** Where the samples came from, for logs and reports. */
  source: string;
  /** x came from an .npy file as the user saved it (so in a channels-first model's own NCHW layout, say). */
  fromArrays?: boolean;
  /** Float samples only: their extremes (after `inputRange`) and the first sample of the file holding each. */
  valueRange?: ValueRange;
}

export interface ValueRange {
  file: string;
  min: number;
  minSample: number;
  max: number;
  maxSample: number;
}

export interface LoadOptions {
  /** Keep only the first `limit` samples of the split. */
  limit?: number;
  /** Applied to each image of an image folder or IDX file (preprocess.ts); .npy arrays are taken as they are. */
  image?: (img: ImageHWC) => ImageHWC;
  /** The range float arrays are in: mapped linearly onto [0, 1] (uint8 data are always divided by 255). */
  inputRange?: [number, number];
}

const LAYOUT_HINT =
  'lay it out as x.npy + y.npy (x: [N, H, W, C], [N, H, W] or [N, F]; y: [N] integer classes), ' +
  'or as one subfolder of .png/.jpg images per class';
const SPLITS_HINT =
  'lay it out as subfolders DIR/train, DIR/test and optionally DIR/val (each holding x.npy + y.npy or one subfolder ' +
  'of .png/.jpg images per class), or as MNIST-style IDX files (train-images-idx3-ubyte[.gz], ' +
  'train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]); ' +
  'without a val split, val is the last 10% of train';

/** The fraction of train held out as val when a data set has no val split of its own. */
const VAL_FRACTION = 0.1;

// ---------------------------------------------------------------------------------------------------------------
// Sources: a split's labels, read up front (they are small and decide the splits), and its samples, read only
// for the indices asked for (images are decoded lazily so `limit` and small hold-outs stay cheap).

interface Source {
  where: string;
  y: Int32Array;
  maxLabel: number;
  classNames?: string[];
  /** Samples are grouped by class (image trees): hold-outs are then taken from every class, not from the end. */
  byClass: boolean;
  /** Arrays from .npy files, in the user's layout. */
  arrays?: boolean;
  take(indices: Int32Array, opts: LoadOptions): { x: Float32Array; shape: number[]; valueRange?: ValueRange };
}

function statOf(p: string): fs.Stats | undefined {
  return fs.statSync(p, { throwIfNoEntry: false });
}
const isDir = (p: string) => statOf(p)?.isDirectory() ?? false;
const isFile = (p: string) => statOf(p)?.isFile() ?? false;

function visibleEntries(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => !n.startsWith('.'))
    .sort();
}

/** A short listing of a folder for error messages: folders end in '/', long listings are cut. */
function describeContents(dir: string): string {
  const names = visibleEntries(dir).map((n) => (isDir(path.join(dir, n)) ? `${n}/` : n));
  if (names.length === 0) return 'nothing (it is empty)';
  const shown = names.slice(0, 12).join(', ');
  return names.length > 12 ? `${shown}, … (${names.length} entries)` : shown;
}

function checkDir(dir: string): void {
  const st = statOf(dir);
  if (!st) throw badInput(`data folder ${dir} does not exist`, 'check the path');
  if (!st.isDirectory())
    throw badInput(`${dir} is a file, not a data folder`, `pass the folder that holds the data; ${LAYOUT_HINT}`);
}

function product(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function maxOf(y: Int32Array): number {
  let m = -1;
  for (let i = 0; i < y.length; i++) if (y[i] > m) m = y[i];
  return m;
}

/** Copies the rows `indices` of a flat uint8 sample array into float32, scaling bytes to [0, 1]. */
function gatherBytes(x: Uint8Array, per: number, indices: Int32Array): Float32Array {
  const out = new Float32Array(indices.length * per);
  for (let k = 0; k < indices.length; k++) {
    const src = indices[k] * per;
    const dst = k * per;
    for (let j = 0; j < per; j++) out[dst + j] = x[src + j] / 255;
  }
  return out;
}

/**
 * Copies the rows `indices` of float samples, mapped from `range` onto [0, 1] when given, refusing a value that is not
 * finite (NaN would flow through every layer into the results) and recording the extremes.
 */
export function gatherFloats(
  x: Float32Array,
  per: number,
  indices: ArrayLike<number>,
  file: string,
  range?: [number, number],
): { x: Float32Array; valueRange?: ValueRange } {
  const out = new Float32Array(indices.length * per);
  const [lo, hi] = range ?? [0, 1];
  const scale = 1 / (hi - lo);
  const r: ValueRange = { file, min: Infinity, minSample: -1, max: -Infinity, maxSample: -1 };
  for (let k = 0; k < indices.length; k++) {
    const src = indices[k] * per;
    const dst = k * per;
    for (let j = 0; j < per; j++) {
      const v = x[src + j];
      if (!Number.isFinite(v)) {
        throw badInput(
          `${file}: sample ${indices[k]} holds ${v} (at value ${j} of ${per})`,
          'every input must be a finite number: fix or drop that sample and save the array again',
        );
      }
      const m = range ? (v - lo) * scale : v;
      out[dst + j] = m;
      if (m < r.min) [r.min, r.minSample] = [m, indices[k]];
      if (m > r.max) [r.max, r.maxSample] = [m, indices[k]];
    }
  }
  return { x: out, ...(indices.length > 0 && per > 0 ? { valueRange: r } : {}) };
}

function checkLabels(y: NpyArray, file: string): Int32Array {
  if (y.shape.length !== 1) {
    throw badInput(
      `${file}: labels must be a 1-D array [N], found shape (${y.shape.join(', ')})`,
      'save class indices, e.g. np.save("y.npy", y.argmax(axis=1)) for one-hot labels',
    );
  }
  if (y.dtype === 'float32') {
    throw badInput(
      `${file}: labels must be integers, found a floating-point array`,
      'save integer class indices: np.save("y.npy", y.astype(np.int32))',
    );
  }
  const labels = y.dtype === 'int32' ? y.data : Int32Array.from(y.data);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0) {
      throw badInput(
        `${file}: label ${labels[i]} at index ${i} is negative`,
        'labels must be class indices 0, 1, 2, …; map them to that range before saving',
      );
    }
  }
  return labels;
}

function npySource(dir: string): Source {
  const xFile = path.join(dir, 'x.npy');
  const yFile = path.join(dir, 'y.npy');
  if (!isFile(xFile) || !isFile(yFile)) {
    const missing = isFile(xFile) ? yFile : xFile;
    throw badInput(
      `${missing} is missing (${dir} must hold both x.npy and y.npy)`,
      'save the samples as x.npy and their class labels as y.npy',
    );
  }
  const y = checkLabels(readNpy(yFile), yFile);
  return {
    where: `${dir} (x.npy, y.npy)`,
    arrays: true,
    y,
    maxLabel: maxOf(y),
    byClass: false,
    take(indices, opts) {
      const x = readNpy(xFile);
      if (x.dtype === 'int32') {
        throw badInput(
          `${xFile}: samples must be uint8 (pixels 0–255) or float, found integers wider than a byte`,
          'save x.astype(np.uint8) for 0–255 pixels, or x.astype(np.float32) for values already scaled',
        );
      }
      if (x.shape.length < 2 || x.shape.length > 4) {
        throw badInput(
          `${xFile}: samples must have shape [N, H, W, C], [N, H, W] or [N, F], found (${x.shape.join(', ')})`,
          'reshape x to one of those before saving',
        );
      }
      if (x.shape[0] !== y.length) {
        throw badInput(
          `${dir}: x.npy has ${x.shape[0]} samples but y.npy has ${y.length} labels`,
          'save exactly one label per sample',
        );
      }
      const sample = x.shape.length === 3 ? [...x.shape.slice(1), 1] : x.shape.slice(1);
      const shape = [indices.length, ...sample];
      if (x.dtype === 'uint8') return { x: gatherBytes(x.data, product(sample), indices), shape };
      return { ...gatherFloats(x.data, product(sample), indices, xFile, opts.inputRange), shape };
    },
  };
}

function idxSource(imagesFile: string, labelsFile: string, where: string): Source {
  const labels = readIdxLabels(labelsFile);
  const y = Int32Array.from(labels.data);
  return {
    where,
    y,
    maxLabel: maxOf(y),
    byClass: false,
    take(indices, { image }) {
      const images = readIdxImages(imagesFile);
      if (images.shape[0] !== y.length) {
        throw badInput(
          `${imagesFile} has ${images.shape[0]} images but ${labelsFile} has ${y.length} labels`,
          'use the images and labels files of the same split',
        );
      }
      const sample = [images.shape[1], images.shape[2], 1];
      const x = gatherBytes(images.data, product(sample), indices);
      return image ? eachImage(x, [indices.length, ...sample], image) : { x, shape: [indices.length, ...sample] };
    },
  };
}

/** The class folders of an image tree (visible subfolders), or [] when there are none. */
/** Each [H, W, C] image of an NHWC batch through `image` (they come out the same size: preprocessing fixes it). */
function eachImage(
  x: Float32Array,
  shape: number[],
  image: (img: ImageHWC) => ImageHWC,
): { x: Float32Array; shape: number[] } {
  const [n, h, w, c] = shape;
  const per = h * w * c;
  let out = new Float32Array(0);
  let outShape = [0, 0, 0, 0];
  for (let k = 0; k < n; k++) {
    const img = image({ data: x.subarray(k * per, (k + 1) * per), height: h, width: w, channels: c });
    if (k === 0) {
      out = new Float32Array(n * img.data.length);
      outShape = [n, img.height, img.width, img.channels];
    }
    out.set(img.data, k * img.data.length);
  }
  return { x: out, shape: outShape };
}

/** A loaded image data set with `image` applied to every sample (npy arrays are left as they are). */
export function mapImages(ds: Dataset, image: ((img: ImageHWC) => ImageHWC) | undefined): Dataset {
  if (!image || ds.fromArrays || ds.shape.length !== 4) return ds;
  const { x, shape } = eachImage(ds.x, ds.shape, image);
  return { ...ds, x, shape };
}

const asDecoded = (img: ImageHWC): DecodedImage => ({
  data: img.data,
  height: img.height,
  width: img.width,
  channels: img.channels as 1 | 3,
});

function classFolders(dir: string): string[] {
  return visibleEntries(dir).filter((n) => isDir(path.join(dir, n)));
}

function imageFilesOf(dir: string): string[] {
  return visibleEntries(dir).filter((n) => isImageFile(n) && isFile(path.join(dir, n)));
}

/** True when `dir` holds class subfolders with at least one image between them. */
function isImageTree(dir: string): boolean {
  return classFolders(dir).some((c) => imageFilesOf(path.join(dir, c)).length > 0);
}

/**
 * An image tree. `allClasses` fixes the class list (the sorted union over a data set's splits, so that a test
 * folder lacking one class still numbers the others like train does); by default it is this folder's own.
 */
function imageTreeSource(dir: string, allClasses?: string[]): Source {
  const own = classFolders(dir);
  const classes = allClasses ?? own;
  const files: string[] = [];
  const labels: number[] = [];
  for (const name of own) {
    const label = classes.indexOf(name);
    for (const f of imageFilesOf(path.join(dir, name))) {
      files.push(path.join(dir, name, f));
      labels.push(label);
    }
  }
  const y = Int32Array.from(labels);
  return {
    where: `${dir} (images in ${own.length} class folders)`,
    y,
    maxLabel: maxOf(y),
    classNames: classes,
    byClass: true,
    take(indices, { image }) {
      let first: { img: DecodedImage; file: string } | undefined;
      let x = new Float32Array(0);
      for (let k = 0; k < indices.length; k++) {
        const file = files[indices[k]];
        const decoded = readImage(file);
        const img = image
          ? asDecoded(
              image({ data: decoded.data, height: decoded.height, width: decoded.width, channels: decoded.channels }),
            )
          : decoded;
        if (!first) {
          first = { img, file };
          x = new Float32Array(indices.length * img.data.length);
        } else if (
          img.width !== first.img.width ||
          img.height !== first.img.height ||
          img.channels !== first.img.channels
        ) {
          const a = first.img;
          throw badInput(
            `${file} is ${img.width}×${img.height} with ${img.channels} channel(s), unlike ${first.file} (${a.width}×${a.height}, ${a.channels} channel(s))`,
            `all images of a data set must share size and colour mode; resize/convert them to ${a.width}×${a.height}, ${a.channels === 1 ? 'grayscale' : 'RGB'}`,
          );
        }
        x.set(img.data, k * img.data.length);
      }
      const shape = first ? [indices.length, first.img.height, first.img.width, first.img.channels] : [0, 0, 0, 0];
      return { x, shape };
    },
  };
}

/** The one-split source of a folder, or undefined when it holds neither layout. */
function folderSource(dir: string, allClasses?: string[]): Source | undefined {
  if (isFile(path.join(dir, 'x.npy')) || isFile(path.join(dir, 'y.npy'))) return npySource(dir);
  if (isImageTree(dir)) return imageTreeSource(dir, allClasses);
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Turning a source and a choice of samples into a Dataset.

function range(start: number, end: number): Int32Array {
  const out = new Int32Array(Math.max(0, end - start));
  for (let i = 0; i < out.length; i++) out[i] = start + i;
  return out;
}

function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw usageError(`the sample limit must be a positive whole number, got ${limit}`, 'pass e.g. --limit 1000');
  }
}

function materialise(
  src: Source,
  indices: Int32Array,
  numClasses: number,
  description: string,
  opts: LoadOptions,
): Dataset {
  let chosen = indices;
  let source = description;
  if (opts.limit !== undefined && opts.limit < chosen.length) {
    chosen = chosen.subarray(0, opts.limit);
    source += `, first ${opts.limit}`;
  }
  if (chosen.length === 0) {
    throw badInput(`${description} has no samples`, 'add samples to it, or point at a folder that has some');
  }
  const { x, shape, valueRange } = src.take(chosen, opts);
  const y = new Int32Array(chosen.length);
  for (let k = 0; k < chosen.length; k++) y[k] = src.y[chosen[k]];
  const ds: Dataset = { x, shape, y, numClasses, source, ...(valueRange ? { valueRange } : {}) };
  if (src.classNames) ds.classNames = src.classNames;
  if (src.arrays) ds.fromArrays = true;
  return ds;
}

function numClassesOf(src: Source): number {
  return src.classNames ? src.classNames.length : src.maxLabel + 1;
}

/** Loads a folder holding one split: x.npy + y.npy, or one subfolder of images per class. */
export function loadFolder(dir: string, opts: LoadOptions = {}): Dataset {
  checkLimit(opts.limit);
  checkDir(dir);
  const src = folderSource(dir);
  if (!src) {
    const hasSplits =
      ['train', 'val', 'test'].some((s) => isDir(path.join(dir, s))) || findIdx(dir).trainImages !== undefined;
    throw badInput(
      `${dir} holds no data set in a recognised layout (it holds: ${describeContents(dir)})`,
      hasSplits
        ? `this looks like a data set with splits; pass one split's folder (e.g. ${path.join(dir, 'train')}) or use it as --data`
        : LAYOUT_HINT,
    );
  }
  return withClassNamesFile(materialise(src, range(0, src.y.length), numClassesOf(src), src.where, opts), [dir]);
}

/**
 * A data set without class names of its own (x.npy + y.npy, IDX) takes them from a classes.txt in the nearest of
 * `dirs`; an image tree keeps its folders' names.
 */
function withClassNamesFile(ds: Dataset, dirs: string[]): Dataset {
  if (ds.classNames) return ds;
  const file = findClassNamesFile(dirs);
  if (!file) return ds;
  const names = readClassNamesFile(file, ds.numClasses);
  return { ...ds, classNames: names, numClasses: names.length };
}

// ---------------------------------------------------------------------------------------------------------------
// Data sets with splits.

interface IdxFiles {
  trainImages?: string;
  trainLabels?: string;
  testImages?: string;
  testLabels?: string;
}

function findFirst(dir: string, names: string[]): string | undefined {
  for (const n of names) {
    for (const candidate of [n, `${n}.gz`]) if (isFile(path.join(dir, candidate))) return path.join(dir, candidate);
  }
  return undefined;
}

/** MNIST's own file names; some mirrors write '.idx3' for '-idx3', and test files may say 'test' for 't10k'. */
function findIdx(dir: string): IdxFiles {
  const names = (prefixes: string[], kind: 'images-idx3' | 'labels-idx1') =>
    prefixes.flatMap((p) => [`${p}-${kind}-ubyte`, `${p}-${kind.replace('-', '.')}-ubyte`]);
  return {
    trainImages: findFirst(dir, names(['train'], 'images-idx3')),
    trainLabels: findFirst(dir, names(['train'], 'labels-idx1')),
    testImages: findFirst(dir, names(['t10k', 'test'], 'images-idx3')),
    testLabels: findFirst(dir, names(['t10k', 'test'], 'labels-idx1')),
  };
}

/**
 * The held-out val part of a train source and the rest. Val is the last 10% (rounded down) of train, so it never
 * overlaps what the model is pruned/fine-tuned on and is the same on every run. For image trees, whose samples are
 * grouped by class, the last 10% of each class is taken instead, so val is not made of the last classes alone.
 */
function holdOut(src: Source): { train: Int32Array; val: Int32Array } {
  const n = src.y.length;
  if (!src.byClass) {
    const nVal = Math.floor(n * VAL_FRACTION);
    return { train: range(0, n - nVal), val: range(n - nVal, n) };
  }
  const train: number[] = [];
  const val: number[] = [];
  let start = 0;
  while (start < n) {
    let end = start;
    while (end < n && src.y[end] === src.y[start]) end++;
    const nVal = Math.floor((end - start) * VAL_FRACTION);
    for (let i = start; i < end; i++) (i < end - nVal ? train : val).push(i);
    start = end;
  }
  return { train: Int32Array.from(train), val: Int32Array.from(val) };
}

function missingSplit(dir: string, split: SplitName, why = ''): PxpError {
  return badInput(`${dir} has no ${split} split${why} (it holds: ${describeContents(dir)})`, SPLITS_HINT);
}

/** The splits a data set folder offers (val is offered whenever train is, being carved from it when absent). */
export function availableSplits(dir: string): SplitName[] {
  checkDir(dir);
  const idx = findIdx(dir);
  if (idx.trainImages || idx.testImages) {
    return [...(idx.trainImages ? (['train', 'val'] as const) : []), ...(idx.testImages ? (['test'] as const) : [])];
  }
  const has = (s: SplitName) => isDir(path.join(dir, s));
  return (['train', 'val', 'test'] as const).filter((s) => has(s) || (s === 'val' && has('train')));
}

/**
 * Loads one split of a data set folder. Layouts, tried in this order:
 *   (a) IDX files train-images-idx3-ubyte[.gz] + train-labels-idx1-ubyte[.gz], and t10k-* (or test-*) for test;
 *   (b) subfolders DIR/train, DIR/val, DIR/test, each loadable by loadFolder.
 * When there is no explicit val split (IDX always; subfolders without DIR/val), val is the last 10% of train and
 * train then leaves those samples out, so that val stays held out (see holdOut).
 */
export function loadSplit(dir: string, split: SplitName, opts: LoadOptions = {}): Dataset {
  const own = path.join(dir, split === 'val' && !isDir(path.join(dir, 'val')) ? 'train' : split);
  return withClassNamesFile(loadSplitData(dir, split, opts), [own, dir]);
}

function loadSplitData(dir: string, split: SplitName, opts: LoadOptions): Dataset {
  checkLimit(opts.limit);
  checkDir(dir);

  const idx = findIdx(dir);
  if (idx.trainImages || idx.testImages) {
    const pair = (images: string | undefined, labels: string | undefined, name: string) => {
      if (!images) return undefined;
      if (!labels) {
        throw badInput(
          `${dir} has ${path.basename(images)} but no matching ${name}-labels-idx1-ubyte[.gz]`,
          'put the labels file of the same split next to the images file',
        );
      }
      return idxSource(images, labels, `${dir} (IDX ${path.basename(images)})`);
    };
    const train = pair(idx.trainImages, idx.trainLabels, 'train');
    const test = pair(
      idx.testImages,
      idx.testLabels,
      idx.testImages ? path.basename(idx.testImages).split('-')[0] : 't10k',
    );
    const numClasses = Math.max(train?.maxLabel ?? -1, test?.maxLabel ?? -1) + 1;
    if (split === 'test') {
      if (!test) throw missingSplit(dir, split, ' (no t10k-images-idx3-ubyte[.gz])');
      return materialise(test, range(0, test.y.length), numClasses, `${test.where}, test split`, opts);
    }
    if (!train) throw missingSplit(dir, split, ' (no train-images-idx3-ubyte[.gz])');
    return fromHeldOut(train, split, numClasses, dir, opts);
  }

  const splitDirs = (['train', 'val', 'test'] as const).filter((s) => isDir(path.join(dir, s)));
  if (splitDirs.length === 0) {
    throw badInput(`${dir} holds no data set with splits (it holds: ${describeContents(dir)})`, SPLITS_HINT);
  }
  // Image-tree splits share one class list, so labels mean the same class in every split.
  const union = [
    ...new Set(splitDirs.flatMap((s) => (isImageTree(path.join(dir, s)) ? classFolders(path.join(dir, s)) : []))),
  ].sort();
  const sources = new Map<SplitName, Source>();
  for (const s of splitDirs) {
    const src = folderSource(path.join(dir, s), union.length > 0 ? union : undefined);
    if (src) sources.set(s, src);
    else if (s === split || (s === 'train' && split === 'val')) {
      throw badInput(
        `${path.join(dir, s)} holds no data in a recognised layout (it holds: ${describeContents(path.join(dir, s))})`,
        LAYOUT_HINT,
      );
    }
  }
  const numClasses = Math.max(...[...sources.values()].map(numClassesOf));
  const own = sources.get(split);
  const train = sources.get('train');
  if (split === 'test' || isDir(path.join(dir, 'val'))) {
    if (!own) throw missingSplit(dir, split);
    return materialise(own, range(0, own.y.length), numClasses, `${own.where}, ${split} split`, opts);
  }
  if (!train) throw missingSplit(dir, split, ' (and no train split to take it from)');
  return fromHeldOut(train, split, numClasses, dir, opts);
}

/** The train or val part of a train source that has its val held out of it. */
function fromHeldOut(
  train: Source,
  split: 'train' | 'val',
  numClasses: number,
  dir: string,
  opts: LoadOptions,
): Dataset {
  const parts = holdOut(train);
  const share = train.byClass ? 'the last 10% of each class' : `the last ${parts.val.length} of ${train.y.length}`;
  if (split === 'train') {
    return materialise(
      train,
      parts.train,
      numClasses,
      `${train.where}, train split without ${share} (held out as val)`,
      opts,
    );
  }
  if (parts.val.length === 0) {
    throw badInput(
      `${dir}: the train split has too few samples (${train.y.length}) to hold out 10% as val`,
      'add a val split (DIR/val), or more train samples',
    );
  }
  return materialise(train, parts.val, numClasses, `${train.where}, val split = ${share} of train`, opts);
}

// ---------------------------------------------------------------------------------------------------------------
// Picking samples.

/** The samples at `indices`, in that order. */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const n = ds.y.length;
  const per = product(ds.shape.slice(1));
  const x = new Float32Array(indices.length * per);
  const y = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new PxpError('internal', `subset: index ${i} is outside the data set's ${n} samples`);
    }
    x.set(ds.x.subarray(i * per, (i + 1) * per), k * per);
    y[k] = ds.y[i];
  }
  const out: Dataset = {
    x,
    shape: [indices.length, ...ds.shape.slice(1)],
    y,
    numClasses: ds.numClasses,
    source: ds.source,
  };
  if (ds.classNames) out.classNames = ds.classNames;
  if (ds.fromArrays) out.fromArrays = true;
  if (ds.valueRange) out.valueRange = ds.valueRange;
  return out;
}

/**
 * `perClass` samples of every class, drawn with a seeded PRNG so that the same seed picks the same samples. The
 * picks keep the data set's order. Every class must have at least `perClass` samples.
 */
export function selectPerClass(ds: Dataset, perClass: number, seed: number): Dataset {
  if (!(Number.isInteger(perClass) && perClass > 0)) {
    throw usageError(`samples per class must be a positive whole number, got ${perClass}`, 'pass e.g. 10');
  }
  const byClass: number[][] = Array.from({ length: ds.numClasses }, () => []);
  for (let i = 0; i < ds.y.length; i++) byClass[ds.y[i]]?.push(i);
  const short = byClass.map((idx, c) => ({ c, count: idx.length })).filter((e) => e.count < perClass);
  if (short.length > 0) {
    const { c, count } = short[0];
    const name = ds.classNames?.[c] !== undefined ? ` ("${ds.classNames[c]}")` : '';
    const others = short.length > 1 ? ` (and ${short.length - 1} more classes are short too)` : '';
    throw badInput(
      `class ${c}${name} has only ${count} sample(s) in ${ds.source}, fewer than the ${perClass} per class asked for${others}`,
      `ask for at most ${Math.min(...short.map((e) => e.count))} per class, or use more data (a larger limit or a bigger split)`,
    );
  }
  const rng = mulberry32(seed);
  const picked: number[] = [];
  for (const idx of byClass) picked.push(...shuffleInPlace(idx, rng).slice(0, perClass));
  picked.sort((a, b) => a - b);
  const out = subset(ds, picked);
  out.source = `${ds.source}, ${perClass} per class (seed ${seed})`;
  return out;
}

/**
 * What a `--data DIR` argument means: a data set with splits (IDX files or train/val/test subfolders) gives the
 * requested split; a folder holding one split directly (x.npy + y.npy, or class/*.png) is that split whatever is asked.
 */
export function loadDataArgument(dir: string, split: SplitName, opts: LoadOptions = {}): Dataset {
  return availableSplits(dir).length > 0 ? loadSplit(dir, split, opts) : loadFolder(dir, opts);
}
