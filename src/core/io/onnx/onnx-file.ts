/**
 * ONNX model files, read and written through one schema (onnx-buf: onnx.proto compiled for @bufbuild/protobuf), so
 * what the importer reads and what the pruned-model writer and the LRP compiler emit agree field for field. Tensors
 * may live in the file (raw_data or typed fields) or, for models over 2 GB, in external data files beside it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  type ModelProto,
  ModelProtoSchema,
  type TensorProto,
  TensorProtoSchema,
  TensorProto_DataLocation,
} from 'onnx-buf';
import { badInput } from '../../errors';

export type { ModelProto, TensorProto, NodeProto, AttributeProto, GraphProto, ValueInfoProto } from 'onnx-buf';
export {
  ModelProtoSchema,
  NodeProtoSchema,
  GraphProtoSchema,
  TensorProtoSchema,
  ValueInfoProtoSchema,
  AttributeProtoSchema,
  AttributeProto_AttributeType,
  TensorProto_DataLocation,
} from 'onnx-buf';

/** A constant as the importer computes with it: floats, or integers (int64 shape values fit a double), or booleans. */
export type ConstTensor =
  | { kind: 'float'; dims: number[]; data: Float32Array }
  | { kind: 'int'; dims: number[]; data: Float64Array }
  | { kind: 'bool'; dims: number[]; data: Uint8Array };

/** onnx.TensorProto.DataType codes PXP reads. */
export const DTYPE = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;
const DTYPE_NAMES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};
export const dtypeName = (code: number) => DTYPE_NAMES[code] ?? `type ${code}`;

export interface OnnxFile {
  file: string;
  model: ModelProto;
  /** Bytes of the file itself (tensors' raw_data are views into it). */
  bytes: number;
}

const HINT = 'export the model again with torch.onnx.export(model, example, "model.onnx", opset_version=17)';

/** Reads and decodes an .onnx file; a damaged or foreign file is a bad-input error naming it. */
export function readOnnxFile(file: string): OnnxFile {
  let buf: Buffer;
  try {
    const size = fs.statSync(file).size;
    if (size >= 2 ** 31)
      throw badInput(
        `${file}: ${size} bytes; an ONNX file holds at most 2 GB`,
        'models over 2 GB keep their weights in external data files: torch.onnx.export does that by itself for large models',
      );
    buf = fs.readFileSync(file);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT')
      throw badInput(`${file}: model file not found`, 'pass --model the path of a .onnx file or a tfjs model.json');
    if (e instanceof Error && e.name === 'PxpError') throw e;
    throw badInput(`${file}: cannot read the model (${(e as Error).message})`, HINT);
  }
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, buf);
  } catch (e) {
    throw badInput(`${file}: not an ONNX model, or the file is truncated (${(e as Error).message})`, HINT);
  }
  if (!model.graph || model.graph.node.length === 0)
    throw badInput(`${file}: the ONNX model has no graph (or an empty one)`, HINT);
  return { file, model, bytes: buf.byteLength };
}

/** The default-domain opset the model was exported with. */
export function opsetOf(model: ModelProto): number {
  const entry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return entry ? Number(entry.version) : 0;
}

const externalCache = new Map<string, Buffer>();

/** The bytes of a tensor stored in an external data file (location relative to the model's folder). */
function externalBytes(t: TensorProto, modelFile: string): Uint8Array {
  const entry = (key: string) => t.externalData.find((e) => e.key === key)?.value;
  const location = entry('location');
  const where = `${modelFile}: tensor '${t.name}'`;
  if (!location) throw badInput(`${where} is stored externally but names no file`, HINT);
  const dir = path.dirname(path.resolve(modelFile));
  const target = path.resolve(dir, location);
  // External data must sit beside the model: a path out of its folder is a damaged (or hostile) file.
  if (path.isAbsolute(location) || !target.startsWith(dir + path.sep))
    throw badInput(
      `${where}: external data path '${location}' leaves the model's folder`,
      'keep the external data files next to the .onnx file',
    );
  if (!fs.existsSync(target))
    throw badInput(
      `${where}: external data file '${location}' is missing (looked for ${target})`,
      'copy the data files torch.onnx.export wrote next to the .onnx file',
    );
  let data = externalCache.get(target);
  if (!data) {
    data = fs.readFileSync(target);
    externalCache.set(target, data);
  }
  const offset = Number(entry('offset') ?? 0);
  const length = entry('length') !== undefined ? Number(entry('length')) : data.byteLength - offset;
  if (!(offset >= 0 && length >= 0 && offset + length <= data.byteLength))
    throw badInput(
      `${where}: external data range ${offset}+${length} lies outside '${location}' (${data.byteLength} bytes)`,
      'the data file does not belong to this model: export it again',
    );
  return data.subarray(offset, offset + length);
}

/** Forgets the external data files read so far (call when a model is no longer needed). */
export function releaseExternalData(): void {
  externalCache.clear();
}

const elementCount = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** A tensor's values as a ConstTensor; `modelFile` locates external data and names the file in errors. */
export function tensorValues(t: TensorProto, modelFile: string): ConstTensor {
  const v = decodeTensor(t, modelFile);
  const n = elementCount(v.dims);
  if (v.data.length !== n || v.dims.some((d) => !Number.isInteger(d) || d < 0))
    throw badInput(
      `${modelFile}: tensor '${t.name}' holds ${v.data.length} values for its dims [${v.dims.join(', ')}]`,
      HINT,
    );
  return v;
}

function decodeTensor(t: TensorProto, modelFile: string): ConstTensor {
  const dims = t.dims.map(Number);
  const n = elementCount(dims);
  const raw = t.dataLocation === TensorProto_DataLocation.EXTERNAL ? externalBytes(t, modelFile) : t.rawData;
  const where = `${modelFile}: tensor '${t.name}'`;
  const fromRaw = <A extends Float32Array | Float64Array | Uint8Array>(
    size: number,
    read: (view: DataView, i: number) => number,
    make: (n: number) => A,
  ): A => {
    // Checked before allocating: the dims of a damaged file may claim far more values than its bytes hold.
    if (raw.byteLength !== n * size)
      throw badInput(`${where} holds ${raw.byteLength} bytes for ${n} values of ${dtypeName(t.dataType)}`, HINT);
    const out = make(n);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) out[i] = read(view, i);
    return out;
  };
  const hasRaw =
    raw.byteLength > 0 ||
    (n === 0 && t.floatData.length + t.int64Data.length + t.int32Data.length + t.doubleData.length === 0);
  const values = <A extends Float32Array | Float64Array | Uint8Array>(r: ElementReader<A>, make: (k: number) => A) =>
    hasRaw ? fromRaw(r.size, r.read, make) : r.field(t);
  if (t.dataType === DTYPE.FLOAT && hasRaw && raw.byteLength === n * 4) {
    // One copy into an aligned buffer (every platform onnxruntime and PXP run on is little-endian, as ONNX is).
    return { kind: 'float', dims, data: new Float32Array(new Uint8Array(raw).buffer, 0, n) };
  }
  const float = FLOAT_READERS[t.dataType];
  if (float) return { kind: 'float', dims, data: values(float, (k) => new Float32Array(k)) };
  const int = INT_READERS[t.dataType];
  if (int) return { kind: 'int', dims, data: values(int, (k) => new Float64Array(k)) };
  if (t.dataType === DTYPE.BOOL) return { kind: 'bool', dims, data: values(BOOL_READER, (k) => new Uint8Array(k)) };
  throw badInput(
    `${where} has element type ${dtypeName(t.dataType)}, which PXP does not read`,
    'PXP reads float32/float64/float16 weights and int64/int32 shapes',
  );
}

/** How an element type's values are read: from raw little-endian bytes (`size` each), or from the proto's typed field. */
interface ElementReader<A> {
  size: number;
  read: (view: DataView, i: number) => number;
  field: (t: TensorProto) => A;
}

const FLOAT_READERS: Partial<Record<number, ElementReader<Float32Array>>> = {
  [DTYPE.FLOAT]: { size: 4, read: (v, i) => v.getFloat32(i * 4, true), field: (t) => Float32Array.from(t.floatData) },
  [DTYPE.DOUBLE]: { size: 8, read: (v, i) => v.getFloat64(i * 8, true), field: (t) => Float32Array.from(t.doubleData) },
  [DTYPE.FLOAT16]: {
    size: 2,
    read: (v, i) => halfToFloat(v.getUint16(i * 2, true)),
    field: (t) => Float32Array.from(t.int32Data, halfToFloat),
  },
};

const INT_READERS: Partial<Record<number, ElementReader<Float64Array>>> = {
  [DTYPE.INT64]: {
    size: 8,
    read: (v, i) => Number(v.getBigInt64(i * 8, true)),
    field: (t) => Float64Array.from(t.int64Data, Number),
  },
  [DTYPE.INT32]: { size: 4, read: (v, i) => v.getInt32(i * 4, true), field: (t) => Float64Array.from(t.int32Data) },
  [DTYPE.INT8]: { size: 1, read: (v, i) => v.getInt8(i), field: (t) => Float64Array.from(t.int32Data) },
  [DTYPE.UINT8]: { size: 1, read: (v, i) => v.getUint8(i), field: (t) => Float64Array.from(t.int32Data) },
};

const BOOL_READER: ElementReader<Uint8Array> = {
  size: 1,
  read: (v, i) => v.getUint8(i),
  field: (t) => Uint8Array.from(t.int32Data),
};

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** A float32 or int64 TensorProto holding `data` (stored as raw_data, as exporters write it). */
export function makeTensor(
  name: string,
  dims: number[],
  data: Float32Array | BigInt64Array | Float64Array | Int32Array | Uint8Array,
  dataType?: number,
): TensorProto {
  const code =
    dataType ??
    (data instanceof Float32Array
      ? DTYPE.FLOAT
      : data instanceof BigInt64Array
        ? DTYPE.INT64
        : data instanceof Float64Array
          ? DTYPE.DOUBLE
          : data instanceof Int32Array
            ? DTYPE.INT32
            : DTYPE.BOOL);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return create(TensorProtoSchema, {
    name,
    dims: dims.map((d) => BigInt(d)),
    dataType: code,
    rawData: new Uint8Array(bytes),
  });
}

export function encodeModel(model: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, model);
}
