/**
 * IDX files, the format MNIST and Fashion-MNIST ship in: a big-endian header (two zero bytes, a type code, the
 * number of dimensions, then one uint32 per dimension) followed by the raw values. Only unsigned bytes (type 0x08)
 * are read, which covers the images (magic 0x00000803, [n, rows, cols]) and the labels (0x00000801, [n]).
 * Gzipped files (.gz, as distributed) are inflated transparently.
 */
import zlib from 'node:zlib';
import { badInput } from '../errors';
import { readInputFile } from './read-input';

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/** Parses an IDX file's bytes (gzipped or not). `file` names it in errors. */
export function parseIdx(input: Uint8Array, file: string): IdxArray {
  let buf = input;
  if (isGzip(buf)) {
    try {
      buf = zlib.gunzipSync(buf);
    } catch (e) {
      throw badInput(`${file}: the gzip data are damaged (${(e as Error).message})`, 'download or copy the file again');
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) {
    throw badInput(
      `${file} is not an IDX file (bad magic number)`,
      'use the MNIST-style files, e.g. train-images-idx3-ubyte.gz',
    );
  }
  const type = buf[2];
  const ndim = buf[3];
  if (type !== UBYTE) {
    throw badInput(
      `${file}: IDX value type 0x${type.toString(16).padStart(2, '0')} is not supported (only unsigned bytes, 0x08)`,
      'convert the data to uint8, or to x.npy/y.npy',
    );
  }
  if (ndim === 0) throw badInput(`${file}: IDX header declares zero dimensions`, 'the file is damaged; copy it again');
  const dataStart = 4 + 4 * ndim;
  if (buf.length < dataStart) {
    throw badInput(`${file}: the IDX header is truncated`, 'the file is incomplete; download or copy it again');
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  if (buf.length - dataStart !== count) {
    throw badInput(
      `${file}: the IDX data are ${buf.length - dataStart} bytes but the header's shape [${shape.join(', ')}] needs ${count}`,
      'the file is truncated or damaged; download or copy it again',
    );
  }
  return { shape, data: Uint8Array.from(buf.subarray(dataStart)) };
}

export function readIdx(file: string): IdxArray {
  return parseIdx(readInputFile(file), file);
}

/** An images file: [n, rows, cols] unsigned bytes (magic 0x00000803). */
export function readIdxImages(file: string): IdxArray {
  const arr = readIdx(file);
  if (arr.shape.length !== 3) {
    throw badInput(
      `${file}: expected an IDX images file with 3 dimensions [n, rows, cols], found ${arr.shape.length} [${arr.shape.join(', ')}]`,
      'pass the *-images-idx3-ubyte file here and the labels file as labels',
    );
  }
  return arr;
}

/** A labels file: [n] unsigned bytes (magic 0x00000801). */
export function readIdxLabels(file: string): IdxArray {
  const arr = readIdx(file);
  if (arr.shape.length !== 1) {
    throw badInput(
      `${file}: expected an IDX labels file with 1 dimension [n], found ${arr.shape.length} [${arr.shape.join(', ')}]`,
      'pass the *-labels-idx1-ubyte file here',
    );
  }
  return arr;
}
