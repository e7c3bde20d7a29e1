/**
 * NumPy .npy files: the exchange format for data sets (x.npy / y.npy) and for arrays the engine writes back
 * (relevances, masks). Only what the engine needs: C-ordered, little-endian, plain numeric dtypes.
 * Format reference: numpy/lib/format.py (magic "\x93NUMPY", version, header length, a Python dict literal header).
 */
import { badInput, PxpError } from '../errors';
import { writeFileAtomic } from './atomic';
import { readInputFile } from './read-input';

export type NpyDtype = 'float32' | 'int32' | 'uint8';

export type NpyArray =
  | { dtype: 'float32'; shape: number[]; data: Float32Array }
  | { dtype: 'int32'; shape: number[]; data: Int32Array }
  | { dtype: 'uint8'; shape: number[]; data: Uint8Array };

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const SUPPORTED = "'<f4' (float32), '<i4' (int32), '|u1' (uint8), '<f8', '<i8', '|i1', '|b1'";
const DESCR: Record<NpyDtype, string> = { float32: '<f4', int32: '<i4', uint8: '|u1' };
const ITEM_SIZE: Record<NpyDtype, number> = { float32: 4, int32: 4, uint8: 1 };

/** The on-disk element types we read, and what they become in memory. */
type DiskType = { size: number; to: NpyDtype; kind: 'f4' | 'f8' | 'i4' | 'i8' | 'u1' | 'i1' };
const DISK_TYPES: Record<string, DiskType> = {
  f4: { size: 4, to: 'float32', kind: 'f4' },
  f8: { size: 8, to: 'float32', kind: 'f8' },
  i4: { size: 4, to: 'int32', kind: 'i4' },
  i8: { size: 8, to: 'int32', kind: 'i8' },
  u1: { size: 1, to: 'uint8', kind: 'u1' },
  b1: { size: 1, to: 'uint8', kind: 'u1' },
  i1: { size: 1, to: 'int32', kind: 'i1' },
};

function product(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function parseHeader(header: string, file: string): { descr: string; fortran: boolean; shape: number[] } {
  const broken = (what: string) =>
    badInput(
      `${file}: the .npy header ${what}`,
      'the file is damaged or not written by numpy; re-save it with np.save',
    );
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header);
  if (!descr) {
    if (/['"]descr['"]\s*:\s*\[/.test(header)) {
      throw badInput(
        `${file}: structured (record) arrays are not supported`,
        `save a plain numeric array, one of ${SUPPORTED}`,
      );
    }
    throw broken("has no 'descr' entry");
  }
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header);
  if (!fortran) throw broken("has no 'fortran_order' entry");
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!shapeMatch) throw broken("has no 'shape' entry");
  const shape: number[] = [];
  for (const part of shapeMatch[1].split(',')) {
    const t = part.trim().replace(/L$/, ''); // Python 2 wrote longs as 3L
    if (t === '') continue;
    if (!/^\d+$/.test(t)) throw broken(`has a bad shape entry (${shapeMatch[1].trim()})`);
    shape.push(Number(t));
  }
  return { descr: descr[1], fortran: fortran[1] === 'True', shape };
}

function diskType(descr: string, file: string): DiskType {
  const m = /^([<>|=]?)([a-z])(\d+)$/.exec(descr);
  const code = m ? `${m[2]}${m[3]}` : '';
  const t = DISK_TYPES[code];
  if (!m || !t) {
    throw badInput(
      `${file}: dtype '${descr}' is not supported`,
      `convert it with x.astype(...) to one of ${SUPPORTED}`,
    );
  }
  // '|' means "no byte order" (one-byte types); '=' is native order, which numpy never writes to disk.
  if (m[1] === '>' && t.size > 1) {
    throw badInput(
      `${file}: dtype '${descr}' is big-endian; only little-endian data is supported`,
      "convert it with x.astype(x.dtype.newbyteorder('<')) before np.save",
    );
  }
  return t;
}

/** Parses a whole .npy file. The data are copied into a fresh typed array (the input may be an unaligned slice). */
export function parseNpy(buf: Uint8Array, file: string): NpyArray {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) {
    throw badInput(
      `${file} is not a .npy file (bad magic bytes)`,
      'write the array with numpy.save (a .npz must be unpacked first)',
    );
  }
  const major = buf[6];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerStart: number;
  let headerLen: number;
  if (major === 1) {
    headerStart = 10;
    headerLen = view.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    if (buf.length < 12)
      throw badInput(`${file}: the .npy header is truncated`, 'the file is incomplete; write it again');
    headerStart = 12;
    headerLen = view.getUint32(8, true);
  } else {
    throw badInput(
      `${file}: .npy format version ${major}.${buf[7]} is not supported`,
      'save it with numpy.save, which writes version 1, 2 or 3',
    );
  }
  const dataStart = headerStart + headerLen;
  if (buf.length < dataStart) {
    throw badInput(
      `${file}: the .npy header is truncated (needs ${dataStart} bytes, the file has ${buf.length})`,
      'the file is incomplete; write it again',
    );
  }
  // Versions 1 and 2 use latin-1 headers, version 3 UTF-8; the keys and values we read are ASCII either way.
  const header = Buffer.from(buf.buffer, buf.byteOffset + headerStart, headerLen).toString(
    major === 3 ? 'utf8' : 'latin1',
  );
  const { descr, fortran, shape } = parseHeader(header, file);
  const t = diskType(descr, file);
  if (fortran && shape.length > 1) {
    throw badInput(
      `${file}: the array is stored in Fortran (column-major) order`,
      'save it in C order: np.save(path, np.ascontiguousarray(x))',
    );
  }
  const count = product(shape);
  const bytes = buf.length - dataStart;
  if (bytes !== count * t.size) {
    throw badInput(
      `${file}: the data are ${bytes} bytes but shape (${shape.join(', ')}) of '${descr}' needs ${count * t.size}`,
      'the file is truncated or its header is wrong; write it again with numpy.save',
    );
  }
  return decodeData(buf.subarray(dataStart), t.kind, shape, file);
}

/** The array of `shape` from its little-endian bytes on disk: float32 or int32 in memory (uint8 kept as it is). */
function decodeData(raw: Uint8Array, kind: DiskType['kind'], shape: number[], file: string): NpyArray {
  const count = product(shape);
  switch (kind) {
    case 'f4': {
      const data = new Float32Array(count);
      new Uint8Array(data.buffer).set(raw);
      return { dtype: 'float32', shape, data };
    }
    case 'i4': {
      const data = new Int32Array(count);
      new Uint8Array(data.buffer).set(raw);
      return { dtype: 'int32', shape, data };
    }
    case 'u1':
      return { dtype: 'uint8', shape, data: Uint8Array.from(raw) };
    case 'i1':
      return { dtype: 'int32', shape, data: Int32Array.from(new Int8Array(raw.buffer, raw.byteOffset, count)) };
    case 'f8': {
      const wide = new Float64Array(count);
      new Uint8Array(wide.buffer).set(raw);
      return { dtype: 'float32', shape, data: Float32Array.from(wide) };
    }
    case 'i8': {
      // Read each int64 as two int32 words: it fits int32 exactly when the high word is the low word's sign.
      const words = new Int32Array(count * 2);
      new Uint8Array(words.buffer).set(raw);
      const data = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const lo = words[2 * i];
        const hi = words[2 * i + 1];
        if (hi !== lo >> 31) {
          const value = (BigInt(hi) << 32n) + BigInt(lo >>> 0);
          throw badInput(
            `${file}: int64 value ${value} at flat index ${i} does not fit in int32`,
            'store the values as int32 (x.astype(np.int32)) after bringing them into range',
          );
        }
        data[i] = lo;
      }
      return { dtype: 'int32', shape, data };
    }
  }
}

/** Reads a .npy file; a missing file is a bad-input error naming it. */
export function readNpy(file: string): NpyArray {
  return parseNpy(
    readInputFile(file, {
      missing: 'check the path, or write the array there with numpy.save',
      folder: { expected: 'a .npy file', hint: 'point at the .npy file itself' },
    }),
    file,
  );
}

function formatShape(shape: number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`; // Python's 1-tuple
  return `(${shape.join(', ')})`;
}

/**
 * Encodes a version 1 .npy file, padding the header with spaces so the data start at a multiple of 64 bytes (what
 * numpy does, so the data can be memory-mapped aligned); version 2 when the header would not fit in 65535 bytes.
 */
export function encodeNpy(arr: NpyArray): Uint8Array {
  const count = product(arr.shape);
  if (!arr.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new PxpError('internal', `encodeNpy: bad shape [${arr.shape.join(', ')}]`);
  }
  const expectedType = { float32: Float32Array, int32: Int32Array, uint8: Uint8Array }[arr.dtype];
  if (!(arr.data instanceof expectedType) || arr.data.length !== count) {
    throw new PxpError(
      'internal',
      `encodeNpy: data (${arr.data.constructor.name}, ${arr.data.length} values) do not match dtype ${arr.dtype} and shape [${arr.shape.join(', ')}]`,
    );
  }
  const dict = `{'descr': '${DESCR[arr.dtype]}', 'fortran_order': False, 'shape': ${formatShape(arr.shape)}, }`;
  let version = 1;
  let preamble = 10;
  let padded = Math.ceil((preamble + dict.length + 1) / 64) * 64 - preamble;
  if (padded > 0xffff) {
    version = 2;
    preamble = 12;
    padded = Math.ceil((preamble + dict.length + 1) / 64) * 64 - preamble;
  }
  const header = dict + ' '.repeat(padded - dict.length - 1) + '\n';
  const dataBytes = count * ITEM_SIZE[arr.dtype];
  const out = new Uint8Array(preamble + padded + dataBytes);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, padded, true);
  else view.setUint32(8, padded, true);
  out.set(Buffer.from(header, 'latin1'), preamble);
  // Typed arrays are little-endian on every platform Node runs on, so the bytes can be copied as they are.
  out.set(new Uint8Array(arr.data.buffer, arr.data.byteOffset, dataBytes), preamble + padded);
  return out;
}

export function writeNpy(file: string, arr: NpyArray): void {
  writeFileAtomic(file, encodeNpy(arr));
}
