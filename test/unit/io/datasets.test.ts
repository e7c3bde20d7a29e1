import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { encode as encodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { PxpError } from '../../../src/core/errors';
import {
  availableSplits,
  loadFolder,
  loadSplit,
  selectPerClass,
  subset,
  type Dataset,
} from '../../../src/core/io/datasets';
import { parseIdx, readIdxImages, readIdxLabels } from '../../../src/core/io/idx';
import { readImage } from '../../../src/core/io/images';
import { writeNpy, type NpyArray } from '../../../src/core/io/npy';
import { mulberry32, shuffleInPlace } from '../../../src/core/random';

const FASHION = '/usr/share/datasets/fashion-mnist';

function expectBadInput(fn: () => unknown, mentions: string[], pattern?: RegExp): PxpError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PxpError, `expected a PxpError, got ${String(e)}`);
    assert.equal(e.code, 'bad-input', e.message);
    for (const m of mentions) assert.ok(e.message.includes(m), `message should mention ${m}: ${e.message}`);
    assert.ok(e.hint && e.hint.length > 0, 'a bad-input error says how to fix it');
    if (pattern) assert.match(e.message, pattern);
    return e;
  }
  assert.fail('expected a bad-input error');
}

/** IDX bytes built by hand: 0, 0, type 0x08, ndim, big-endian dims, data. */
function idxBytes(shape: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * shape.length);
  head.set([0, 0, 0x08, shape.length]);
  shape.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

function writePng(
  file: string,
  width: number,
  height: number,
  rgba: (x: number, y: number) => number[],
  colorType: 0 | 2 | 6 = 2,
) {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) png.data.set(rgba(x, y), 4 * (y * width + x));
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, PNG.sync.write(png, { colorType }));
}

/** An npy folder whose sample i is recognisable: x[i] = [i, i] (float32), y[i] = labels[i]. */
function writeNpyFolder(dir: string, labels: number[]) {
  const n = labels.length;
  const x = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) x.set([i, i], 2 * i);
  writeNpy(path.join(dir, 'x.npy'), { dtype: 'float32', shape: [n, 2], data: x });
  writeNpy(path.join(dir, 'y.npy'), { dtype: 'int32', shape: [n], data: Int32Array.from(labels) });
}

const ids = (ds: Dataset) => Array.from({ length: ds.y.length }, (_, i) => ds.x[i * (ds.x.length / ds.y.length)]);

describe('datasets', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-data-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('random', () => {
    it('mulberry32 is reproducible and in [0, 1)', () => {
      const a = mulberry32(123);
      const b = mulberry32(123);
      const xs = Array.from({ length: 1000 }, () => a());
      assert.deepEqual(
        xs,
        Array.from({ length: 1000 }, () => b()),
      );
      assert.ok(xs.every((v) => v >= 0 && v < 1));
      assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, mulberry32(124)));
    });

    it('shuffleInPlace permutes', () => {
      const arr = Array.from({ length: 50 }, (_, i) => i);
      shuffleInPlace(arr, mulberry32(1));
      assert.notDeepEqual(
        arr,
        Array.from({ length: 50 }, (_, i) => i),
      );
      assert.deepEqual(
        [...arr].sort((p, q) => p - q),
        Array.from({ length: 50 }, (_, i) => i),
      );
    });
  });

  describe('IDX', () => {
    const images = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 10);
    for (const gz of [false, true]) {
      it(`parses a hand-made file${gz ? ' (gzipped)' : ''}`, () => {
        const file = path.join(tmp, `imgs-idx3-ubyte${gz ? '.gz' : ''}`);
        const raw = idxBytes([3, 2, 2], images);
        fs.writeFileSync(file, gz ? zlib.gzipSync(raw) : raw);
        const arr = readIdxImages(file);
        assert.deepEqual(arr.shape, [3, 2, 2]);
        assert.deepEqual(Array.from(arr.data), Array.from(images));
        const lab = path.join(tmp, `labels${gz ? '.gz' : ''}`);
        const rawLab = idxBytes([3], Uint8Array.from([2, 0, 1]));
        fs.writeFileSync(lab, gz ? zlib.gzipSync(rawLab) : rawLab);
        assert.deepEqual(Array.from(readIdxLabels(lab).data), [2, 0, 1]);
        expectBadInput(() => readIdxLabels(file), [file], /1 dimension/);
      });
    }

    it('rejects bad magic and wrong lengths', () => {
      expectBadInput(() => parseIdx(Buffer.from([1, 2, 3, 4, 5]), 'x.idx'), ['x.idx'], /magic/);
      expectBadInput(() => parseIdx(idxBytes([3, 2, 2], new Uint8Array(11)), 'short.idx'), ['short.idx'], /needs 12/);
      expectBadInput(() => parseIdx(idxBytes([3], new Uint8Array(4)), 'long.idx'), ['long.idx'], /needs 3/);
      expectBadInput(() => parseIdx(Buffer.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), 'f.idx'), ['f.idx'], /0x0d/);
      expectBadInput(() => parseIdx(Buffer.from([0x1f, 0x8b, 1, 2, 3]), 'bad.gz'), ['bad.gz'], /gzip/);
    });

    it('splits a hand-made IDX data set, holding val out of train', () => {
      const n = 20;
      const img = new Uint8Array(n * 4);
      for (let i = 0; i < n; i++) img.fill(i, 4 * i, 4 * i + 4);
      fs.writeFileSync(path.join(tmp, 'train-images-idx3-ubyte.gz'), zlib.gzipSync(idxBytes([n, 2, 2], img)));
      fs.writeFileSync(
        path.join(tmp, 'train-labels-idx1-ubyte'),
        idxBytes(
          [n],
          Uint8Array.from({ length: n }, (_, i) => i % 4),
        ),
      );
      fs.writeFileSync(path.join(tmp, 't10k-images-idx3-ubyte'), idxBytes([5, 2, 2], new Uint8Array(20).fill(255)));
      fs.writeFileSync(path.join(tmp, 't10k-labels-idx1-ubyte'), idxBytes([5], Uint8Array.from([0, 1, 2, 3, 7])));
      const train = loadSplit(tmp, 'train');
      const val = loadSplit(tmp, 'val');
      const test = loadSplit(tmp, 'test');
      assert.deepEqual(train.shape, [18, 2, 2, 1]);
      assert.deepEqual(val.shape, [2, 2, 2, 1]);
      assert.deepEqual(test.shape, [5, 2, 2, 1]);
      const trainIds = ids(train).map((v) => Math.round(v * 255));
      const valIds = ids(val).map((v) => Math.round(v * 255));
      assert.deepEqual(
        trainIds,
        Array.from({ length: 18 }, (_, i) => i),
      );
      assert.deepEqual(valIds, [18, 19]);
      assert.equal(trainIds.filter((i) => valIds.includes(i)).length, 0);
      assert.deepEqual(Array.from(val.y), [2, 3]);
      assert.equal(test.x[0], 1);
      // numClasses covers both files' labels, so train and test agree.
      assert.equal(train.numClasses, 8);
      assert.equal(test.numClasses, 8);
      assert.deepEqual(availableSplits(tmp), ['train', 'val', 'test']);
      assert.equal(loadSplit(tmp, 'train', { limit: 4 }).y.length, 4);
    });

    it('says which labels file is missing', () => {
      fs.writeFileSync(path.join(tmp, 'train-images-idx3-ubyte'), idxBytes([1, 1, 1], new Uint8Array(1)));
      expectBadInput(() => loadSplit(tmp, 'train'), [tmp, 'train-images-idx3-ubyte'], /labels/);
      expectBadInput(() => loadSplit(tmp, 'test'), [tmp], /labels/);
    });
  });

  describe('real Fashion-MNIST', function () {
    before(function () {
      if (!fs.existsSync(path.join(FASHION, 't10k-images-idx3-ubyte.gz'))) this.skip();
    });

    it('loads the test split', () => {
      const test = loadSplit(FASHION, 'test');
      assert.deepEqual(test.shape, [10000, 28, 28, 1]);
      assert.equal(test.x.length, 10000 * 784);
      assert.equal(test.numClasses, 10);
      assert.equal(test.y[0], 9);
      const counts = new Array<number>(10).fill(0);
      for (const v of test.y) counts[v]++;
      assert.deepEqual(counts, new Array(10).fill(1000));
      let min = Infinity;
      let max = -Infinity;
      for (const v of test.x) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      assert.equal(min, 0);
      assert.equal(max, 1);
    });

    it('holds the last 10% of train out as val', () => {
      const labels = readIdxLabels(path.join(FASHION, 'train-labels-idx1-ubyte.gz')).data;
      assert.equal(labels.length, 60000);
      const val = loadSplit(FASHION, 'val');
      assert.deepEqual(val.shape, [6000, 28, 28, 1]);
      assert.deepEqual(Array.from(val.y), Array.from(labels.subarray(54000)));
      const train = loadSplit(FASHION, 'train', { limit: 100 });
      assert.deepEqual(train.shape, [100, 28, 28, 1]);
      assert.deepEqual(Array.from(train.y), Array.from(labels.subarray(0, 100)));
      assert.match(train.source, /last 6000 of 60000/);
      const picked = selectPerClass(val, 5, 0);
      assert.equal(picked.y.length, 50);
    });
  });

  describe('image folders', () => {
    const color =
      (c: number, alpha = 255) =>
      (x: number, y: number) => [c, x * 40, y * 60, alpha];

    it('loads one subfolder per class in sorted order, dropping alpha', () => {
      const dir = path.join(tmp, 'imgs');
      writePng(path.join(dir, 'cat', 'b.png'), 4, 3, color(30));
      writePng(path.join(dir, 'cat', 'a.png'), 4, 3, color(20));
      writePng(path.join(dir, 'ant', 'x.png'), 4, 3, color(10, 100), 6); // RGBA: alpha is dropped, not blended
      const rgba = Buffer.alloc(4 * 3 * 4, 0);
      for (let p = 0; p < 12; p++) rgba.set([200, 100, 50, 255], 4 * p);
      fs.mkdirSync(path.join(dir, 'bee'));
      fs.writeFileSync(path.join(dir, 'bee', 'photo.JPG'), encodeJpeg({ width: 4, height: 3, data: rgba }, 95).data);
      fs.writeFileSync(path.join(dir, 'bee', 'notes.txt'), 'not an image');
      fs.writeFileSync(path.join(dir, 'cat', '.DS_Store'), 'junk');
      fs.mkdirSync(path.join(dir, '.cache'));
      writePng(path.join(dir, '.cache', 'z.png'), 9, 9, color(0));

      const ds = loadFolder(dir);
      assert.deepEqual(ds.classNames, ['ant', 'bee', 'cat']);
      assert.equal(ds.numClasses, 3);
      assert.deepEqual(ds.shape, [4, 3, 4, 3]);
      assert.deepEqual(Array.from(ds.y), [0, 1, 2, 2]);
      // ant/x.png pixel (x=1, y=2) is [10, 40, 120]; cat/a.png comes before cat/b.png.
      const px = (sample: number, x: number, y: number) =>
        Array.from(ds.x.subarray(sample * 36 + (y * 4 + x) * 3, sample * 36 + (y * 4 + x) * 3 + 3));
      assert.deepEqual(px(0, 1, 2), [10 / 255, 40 / 255, 120 / 255].map(Math.fround));
      assert.equal(ds.x[2 * 36], Math.fround(20 / 255));
      assert.equal(ds.x[3 * 36], Math.fround(30 / 255));
      // The JPEG is lossy: close to (200, 100, 50).
      const jpg = px(1, 2, 1);
      [200, 100, 50].forEach((v, i) => assert.ok(Math.abs(jpg[i] * 255 - v) < 8, `jpeg channel ${i}: ${jpg[i] * 255}`));
      assert.equal(loadFolder(dir, { limit: 2 }).y.length, 2);
    });

    it('keeps one channel for grayscale PNGs', () => {
      const dir = path.join(tmp, 'gray');
      writePng(
        path.join(dir, '0', 'a.png'),
        2,
        2,
        (x, y) => [x * 100 + y * 50, x * 100 + y * 50, x * 100 + y * 50, 255],
        0,
      );
      writePng(path.join(dir, '1', 'a.png'), 2, 2, () => [255, 255, 255, 255], 0);
      const img = readImage(path.join(dir, '0', 'a.png'));
      assert.equal(img.channels, 1);
      const ds = loadFolder(dir);
      assert.deepEqual(ds.shape, [2, 2, 2, 1]);
      assert.deepEqual(
        Array.from(ds.x.subarray(0, 4)),
        [0, 100, 50, 150].map((v) => Math.fround(v / 255)),
      );
      assert.deepEqual(Array.from(ds.x.subarray(4)), [1, 1, 1, 1]);
    });

    it('names the first image whose size differs', () => {
      const dir = path.join(tmp, 'mixed');
      writePng(path.join(dir, 'a', '1.png'), 4, 3, color(1));
      writePng(path.join(dir, 'a', '2.png'), 4, 3, color(2));
      writePng(path.join(dir, 'b', '1.png'), 5, 3, color(3));
      writePng(path.join(dir, 'b', '2.png'), 6, 3, color(3));
      expectBadInput(() => loadFolder(dir), [path.join(dir, 'b', '1.png'), '5×3'], /unlike/);
    });

    it('names a file that is not really an image', () => {
      const dir = path.join(tmp, 'fake');
      writePng(path.join(dir, 'a', '1.png'), 2, 2, color(1));
      fs.writeFileSync(path.join(dir, 'a', '2.png'), 'hello');
      expectBadInput(() => loadFolder(dir), [path.join(dir, 'a', '2.png')]);
    });

    it('rejects images that are not in class folders', () => {
      writePng(path.join(tmp, 'loose.png'), 2, 2, color(1));
      const e = expectBadInput(() => loadFolder(tmp), [tmp, 'loose.png'], /recognised layout/);
      assert.match(e.hint ?? '', /x\.npy \+ y\.npy.*subfolder/);
    });
  });

  describe('npy folders', () => {
    it('scales uint8 [N, H, W] images and adds a channel axis', () => {
      writeNpy(path.join(tmp, 'x.npy'), {
        dtype: 'uint8',
        shape: [3, 2, 2],
        data: Uint8Array.from({ length: 12 }, (_, i) => i * 20),
      });
      writeNpy(path.join(tmp, 'y.npy'), { dtype: 'uint8', shape: [3], data: Uint8Array.from([4, 0, 1]) });
      const ds = loadFolder(tmp);
      assert.deepEqual(ds.shape, [3, 2, 2, 1]);
      assert.equal(ds.numClasses, 5);
      assert.deepEqual(Array.from(ds.y), [4, 0, 1]);
      assert.equal(ds.x[11], Math.fround(220 / 255));
      assert.equal(ds.classNames, undefined);
      assert.match(ds.source, new RegExp(tmp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    });

    it('keeps [N, F] features and float values as they are', () => {
      writeNpyFolder(tmp, [0, 1, 0, 2]);
      const ds = loadFolder(tmp, { limit: 3 });
      assert.deepEqual(ds.shape, [3, 2]);
      assert.deepEqual(Array.from(ds.x), [0, 0, 1, 1, 2, 2]);
      assert.equal(ds.numClasses, 3);
    });

    it('keeps NHWC as is', () => {
      writeNpy(path.join(tmp, 'x.npy'), {
        dtype: 'float32',
        shape: [2, 1, 2, 3],
        data: new Float32Array(12).fill(0.5),
      });
      writeNpy(path.join(tmp, 'y.npy'), { dtype: 'int32', shape: [2], data: Int32Array.from([1, 1]) });
      assert.deepEqual(loadFolder(tmp).shape, [2, 1, 2, 3]);
    });

    const bad: Array<[string, NpyArray, RegExp]> = [
      ['negative labels', { dtype: 'int32', shape: [3], data: Int32Array.from([0, -1, 2]) }, /negative/],
      ['float labels', { dtype: 'float32', shape: [3], data: Float32Array.from([0, 1, 2]) }, /integers/],
      ['one-hot labels', { dtype: 'uint8', shape: [3, 2], data: new Uint8Array(6) }, /1-D/],
      ['too few labels', { dtype: 'int32', shape: [2], data: Int32Array.from([0, 1]) }, /3 samples but y\.npy has 2/],
    ];
    for (const [what, y, pattern] of bad) {
      it(`rejects ${what}`, () => {
        writeNpy(path.join(tmp, 'x.npy'), { dtype: 'float32', shape: [3, 2], data: new Float32Array(6) });
        writeNpy(path.join(tmp, 'y.npy'), y);
        expectBadInput(() => loadFolder(tmp), [tmp], pattern);
      });
    }

    it('names a missing y.npy', () => {
      writeNpy(path.join(tmp, 'x.npy'), { dtype: 'float32', shape: [3, 2], data: new Float32Array(6) });
      expectBadInput(() => loadFolder(tmp), [path.join(tmp, 'y.npy')], /missing/);
    });

    it('rejects wide integer samples and bad ranks', () => {
      writeNpy(path.join(tmp, 'y.npy'), { dtype: 'int32', shape: [2], data: Int32Array.from([0, 1]) });
      writeNpy(path.join(tmp, 'x.npy'), { dtype: 'int32', shape: [2, 2], data: new Int32Array(4) });
      expectBadInput(() => loadFolder(tmp), [path.join(tmp, 'x.npy')], /uint8/);
      writeNpy(path.join(tmp, 'x.npy'), { dtype: 'float32', shape: [2], data: new Float32Array(2) });
      expectBadInput(() => loadFolder(tmp), [path.join(tmp, 'x.npy')], /shape/);
    });
  });

  describe('classes.txt', () => {
    it('names the classes of an npy folder, line k naming class k, blank trailing lines ignored', () => {
      writeNpyFolder(tmp, [0, 2, 1]);
      fs.writeFileSync(path.join(tmp, 'classes.txt'), 'cat\r\ndog \nbird\nfish\n\n');
      const ds = loadFolder(tmp);
      assert.deepEqual(ds.classNames, ['cat', 'dog', 'bird', 'fish']);
      assert.equal(ds.numClasses, 4, 'the file may name classes the split has no sample of');
      assert.deepEqual(subset(ds, [1]).classNames, ds.classNames);
    });

    it('names the classes of every split from the data set folder, a split folder first', () => {
      for (const s of ['train', 'test']) writeNpyFolder(path.join(tmp, s), [0, 1, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
      fs.writeFileSync(path.join(tmp, 'labels.txt'), 'no\nyes\n');
      assert.deepEqual(loadSplit(tmp, 'val').classNames, ['no', 'yes']);
      fs.writeFileSync(path.join(tmp, 'test', 'classes.txt'), 'negative\npositive\n');
      assert.deepEqual(loadSplit(tmp, 'test').classNames, ['negative', 'positive']);
      assert.deepEqual(loadSplit(tmp, 'train').classNames, ['no', 'yes']);
    });

    it('names IDX classes', () => {
      fs.writeFileSync(path.join(tmp, 't10k-images-idx3-ubyte'), idxBytes([2, 1, 1], Uint8Array.from([0, 9])));
      fs.writeFileSync(path.join(tmp, 't10k-labels-idx1-ubyte'), idxBytes([2], Uint8Array.from([0, 1])));
      fs.writeFileSync(path.join(tmp, 'classes.txt'), 'zero\none\n');
      assert.deepEqual(loadSplit(tmp, 'test').classNames, ['zero', 'one']);
    });

    it('leaves image folders their folder names', () => {
      writePng(path.join(tmp, 'b', '1.png'), 1, 1, () => [0, 0, 0, 255]);
      writePng(path.join(tmp, 'a', '1.png'), 1, 1, () => [0, 0, 0, 255]);
      fs.writeFileSync(path.join(tmp, 'classes.txt'), 'x\ny\n');
      assert.deepEqual(loadFolder(tmp).classNames, ['a', 'b']);
    });

    for (const [what, text, pattern] of [
      ['too few names', 'cat\ndog\n', /names 2 classes but there are 3/],
      ['a blank line between names', 'cat\n\ndog\nbird\n', /line 2 is blank/],
      ['a name given twice', 'cat\ndog\ncat\n', /'cat' names both class 0 and class 2/],
      ['no names at all', '\n\n', /lists no class names/],
    ] as const) {
      it(`rejects ${what}, naming the file`, () => {
        writeNpyFolder(tmp, [0, 2, 1]);
        fs.writeFileSync(path.join(tmp, 'classes.txt'), text);
        expectBadInput(() => loadFolder(tmp), [path.join(tmp, 'classes.txt')], pattern);
      });
    }
  });

  describe('folders and splits', () => {
    it('reports a missing folder, a file and an empty folder', () => {
      const missing = path.join(tmp, 'nope');
      expectBadInput(() => loadFolder(missing), [missing], /does not exist/);
      expectBadInput(() => loadSplit(missing, 'train'), [missing], /does not exist/);
      fs.writeFileSync(path.join(tmp, 'f'), '');
      expectBadInput(() => loadFolder(path.join(tmp, 'f')), [path.join(tmp, 'f')], /is a file/);
      const empty = path.join(tmp, 'empty');
      fs.mkdirSync(empty);
      expectBadInput(() => loadFolder(empty), [empty], /empty/);
      const e = expectBadInput(() => loadSplit(empty, 'train'), [empty], /empty/);
      assert.match(e.hint ?? '', /DIR\/train.*IDX/);
    });

    it('carves val out of train when there is no val folder', () => {
      writeNpyFolder(
        path.join(tmp, 'train'),
        Array.from({ length: 25 }, (_, i) => i % 3),
      );
      writeNpyFolder(path.join(tmp, 'test'), [0, 1, 2, 1]);
      const train = loadSplit(tmp, 'train');
      const val = loadSplit(tmp, 'val');
      assert.equal(train.y.length, 23);
      assert.equal(val.y.length, 2);
      assert.deepEqual(ids(val), [23, 24]);
      const trainIds = new Set(ids(train));
      assert.ok(
        ids(val).every((i) => !trainIds.has(i)),
        'train and val are disjoint',
      );
      assert.equal(trainIds.size + val.y.length, 25);
      assert.equal(loadSplit(tmp, 'test').y.length, 4);
      assert.deepEqual(availableSplits(tmp), ['train', 'val', 'test']);
    });

    it('uses an explicit val folder and keeps train whole', () => {
      writeNpyFolder(
        path.join(tmp, 'train'),
        Array.from({ length: 25 }, (_, i) => i % 3),
      );
      writeNpyFolder(path.join(tmp, 'val'), [2, 2, 1]);
      assert.equal(loadSplit(tmp, 'train').y.length, 25);
      assert.deepEqual(Array.from(loadSplit(tmp, 'val').y), [2, 2, 1]);
      const e = expectBadInput(() => loadSplit(tmp, 'test'), [tmp, 'test', 'train/', 'val/']);
      assert.match(e.hint ?? '', /DIR\/test/);
      assert.deepEqual(availableSplits(tmp), ['train', 'val']);
    });

    it('explains a split folder passed where one split is expected', () => {
      writeNpyFolder(path.join(tmp, 'train'), [0, 1]);
      const e = expectBadInput(() => loadFolder(tmp), [tmp], /recognised layout/);
      assert.match(e.hint ?? '', /splits/);
    });

    it('errors when val cannot be carved from a tiny train split', () => {
      writeNpyFolder(path.join(tmp, 'train'), [0, 1, 0]);
      expectBadInput(() => loadSplit(tmp, 'val'), [tmp], /too few/);
      assert.equal(loadSplit(tmp, 'train').y.length, 3);
    });

    it('numbers image classes alike in every split and holds out val per class', () => {
      const px = (c: number) => () => [c, c, c, 255];
      for (const [cls, v] of [
        ['a', 10],
        ['b', 20],
        ['c', 30],
      ] as const) {
        for (let i = 0; i < 10; i++) writePng(path.join(tmp, 'train', cls, `${i}.png`), 2, 2, px(v + i));
      }
      writePng(path.join(tmp, 'test', 'a', '0.png'), 2, 2, px(1));
      writePng(path.join(tmp, 'test', 'c', '0.png'), 2, 2, px(3));
      const test = loadSplit(tmp, 'test');
      assert.deepEqual(test.classNames, ['a', 'b', 'c']);
      assert.deepEqual(Array.from(test.y), [0, 2]);
      assert.equal(test.numClasses, 3);
      const val = loadSplit(tmp, 'val');
      assert.deepEqual(Array.from(val.y), [0, 1, 2]);
      assert.deepEqual(
        ids(val).map((v) => Math.round(v * 255)),
        [19, 29, 39],
      );
      const train = loadSplit(tmp, 'train');
      assert.equal(train.y.length, 27);
      assert.ok(!ids(train).some((v) => [19, 29, 39].includes(Math.round(v * 255))));
    });
  });

  describe('picking samples', () => {
    function threeClasses(): Dataset {
      const dir = path.join(tmp, 'pick');
      writeNpyFolder(dir, Array.from({ length: 30 }, (_, i) => i % 3).concat([0, 0]));
      return loadFolder(dir);
    }

    it('selectPerClass is reproducible per seed and balanced', () => {
      const ds = threeClasses();
      const a = selectPerClass(ds, 4, 7);
      const b = selectPerClass(ds, 4, 7);
      assert.deepEqual(ids(a), ids(b));
      assert.deepEqual(Array.from(a.x), Array.from(b.x));
      const counts = [0, 0, 0];
      for (const v of a.y) counts[v]++;
      assert.deepEqual(counts, [4, 4, 4]);
      const picked = ids(a);
      assert.deepEqual(
        picked,
        [...picked].sort((p, q) => p - q),
        'picks keep the data set order',
      );
      picked.forEach((id, k) => assert.equal(a.y[k], ds.y[id]));
      const others = [1, 2, 3, 4, 5].map((s) => ids(selectPerClass(ds, 4, s)).join());
      assert.ok(
        others.some((o) => o !== picked.join()),
        'other seeds pick other samples',
      );
      assert.match(a.source, /4 per class \(seed 7\)/);
    });

    it('selectPerClass names a class that is too small', () => {
      const ds = threeClasses();
      const e = expectBadInput(() => selectPerClass(ds, 11, 0), ['class 1', 'only 10'], /11 per class/);
      assert.match(e.message, /1 more class/);
      const named = { ...ds, classNames: ['shirt', 'shoe', 'bag'] };
      expectBadInput(() => selectPerClass(named, 11, 0), ['"shoe"']);
    });

    it('subset picks the given samples in order', () => {
      const ds = threeClasses();
      const s = subset(ds, [5, 0, 5]);
      assert.deepEqual(s.shape, [3, 2]);
      assert.deepEqual(Array.from(s.x), [5, 5, 0, 0, 5, 5]);
      assert.deepEqual(Array.from(s.y), [2, 0, 2]);
      assert.throws(() => subset(ds, [32]), PxpError);
    });
  });
});
