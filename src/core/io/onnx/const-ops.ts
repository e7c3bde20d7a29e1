/**
 * The small tensor arithmetic the importer needs to fold constants: PyTorch's exports build reshape targets, slice
 * bounds and class-token expansions from Shape → Gather → Unsqueeze → Concat chains and similar, which all become
 * constants once the input shape is fixed. Plain loops over small arrays (shapes, a few weights), row-major, with
 * numpy/ONNX broadcasting.
 */
import type { ConstTensor } from './onnx-file';

export const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

export function stridesOf(dims: number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

/** numpy broadcasting of two shapes; undefined when they do not broadcast. */
export function broadcastShapes(a: number[], b: number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Index into `dims` (broadcast to `out`) of the flat output position i. */
function broadcastIndex(i: number, out: number[], outStrides: number[], dims: number[], strides: number[]): number {
  let k = 0;
  const off = out.length - dims.length;
  for (let d = 0; d < out.length; d++) {
    const coord = Math.floor(i / outStrides[d]) % out[d];
    const dd = d - off;
    if (dd >= 0 && dims[dd] !== 1) k += coord * strides[dd];
  }
  return k;
}

export function elementwise(ts: ConstTensor[], f: (...xs: number[]) => number, kind: ConstTensor['kind']): ConstTensor {
  let dims = ts[0].dims;
  for (const t of ts.slice(1)) {
    const b = broadcastShapes(dims, t.dims);
    if (!b) throw new Error(`shapes [${dims}] and [${t.dims}] do not broadcast`);
    dims = b;
  }
  const n = size(dims);
  const outStrides = stridesOf(dims);
  const tStrides = ts.map((t) => stridesOf(t.dims));
  const data = kind === 'float' ? new Float32Array(n) : kind === 'int' ? new Float64Array(n) : new Uint8Array(n);
  const args = new Array<number>(ts.length);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < ts.length; j++)
      args[j] = ts[j].data[broadcastIndex(i, dims, outStrides, ts[j].dims, tStrides[j])];
    data[i] = f(...args);
  }
  return { kind, dims, data } as ConstTensor;
}

export function withData(kind: ConstTensor['kind'], dims: number[], values: ArrayLike<number>): ConstTensor {
  const data =
    kind === 'float' ? Float32Array.from(values) : kind === 'int' ? Float64Array.from(values) : Uint8Array.from(values);
  return { kind, dims, data } as ConstTensor;
}

export const ints = (values: number[]): ConstTensor => withData('int', [values.length], values);

/** Normalizes a possibly negative axis. */
export const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

export function transposeConst(t: ConstTensor, perm: number[]): ConstTensor {
  const dims = perm.map((p) => t.dims[p]);
  const outStrides = stridesOf(dims);
  // Reads the source in order and writes with each source axis's output stride (an odometer, no divisions): a
  // ResNet-50's kernels in a fraction of a second.
  const step = t.dims.map((_, a) => outStrides[perm.indexOf(a)]);
  const n = size(t.dims);
  const out = new (t.data.constructor as new (n: number) => typeof t.data)(n);
  const index = new Array<number>(t.dims.length).fill(0);
  let o = 0;
  for (let i = 0; i < n; i++) {
    out[o] = t.data[i];
    for (let a = t.dims.length - 1; a >= 0; a--) {
      o += step[a];
      if (++index[a] < t.dims[a]) break;
      o -= step[a] * t.dims[a];
      index[a] = 0;
    }
  }
  return { kind: t.kind, dims, data: out } as ConstTensor;
}

export function gatherConst(t: ConstTensor, indices: ConstTensor, axisIn: number): ConstTensor {
  const axis = axisOf(axisIn, t.dims.length);
  const outer = size(t.dims.slice(0, axis));
  const inner = size(t.dims.slice(axis + 1));
  const n = t.dims[axis];
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const rawIdx of indices.data) {
      const idx = rawIdx < 0 ? rawIdx + n : rawIdx;
      for (let i = 0; i < inner; i++) out.push(t.data[(o * n + idx) * inner + i]);
    }
  }
  return withData(t.kind, [...t.dims.slice(0, axis), ...indices.dims, ...t.dims.slice(axis + 1)], out);
}

export function concatConst(ts: ConstTensor[], axisIn: number): ConstTensor {
  const axis = axisOf(axisIn, ts[0].dims.length);
  const outer = size(ts[0].dims.slice(0, axis));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const t of ts) {
      const chunk = size(t.dims.slice(axis));
      for (let i = 0; i < chunk; i++) out.push(t.data[o * chunk + i]);
    }
  }
  const dims = [...ts[0].dims];
  dims[axis] = ts.reduce((a, t) => a + t.dims[axis], 0);
  return withData(ts.find((t) => t.kind === 'float')?.kind ?? ts[0].kind, dims, out);
}

/** ONNX Slice bounds for one axis, clamped as the spec does. */
export function sliceRange(dim: number, start: number, end: number, step: number): number[] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = clamp(s, 0, dim);
    e = clamp(e, 0, dim);
  } else {
    s = clamp(s, 0, dim - 1);
    e = clamp(e, -1, dim - 1);
  }
  const out: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

export function sliceConst(t: ConstTensor, ranges: number[][]): ConstTensor {
  const dims = ranges.map((r) => r.length);
  const inStrides = stridesOf(t.dims);
  const outStrides = stridesOf(dims);
  const n = size(dims);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let k = 0;
    for (let d = 0; d < dims.length; d++) k += ranges[d][Math.floor(i / outStrides[d]) % dims[d]] * inStrides[d];
    out[i] = t.data[k];
  }
  return withData(t.kind, dims, out);
}

/** Reshape target with ONNX's 0 (copy the input dim) and −1 (infer) resolved. */
export function resolveReshape(inDims: number[], target: number[], allowZero = false): number[] {
  const dims = target.map((d, i) => (d === 0 && !allowZero ? inDims[i] : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const total = size(inDims);
  const out = dims.map((d) => (d === -1 ? total / known : d));
  if (size(out) !== total || out.some((d) => !Number.isInteger(d) || d < 0))
    throw new Error(`cannot reshape [${inDims}] to [${target}]`);
  return out;
}

export function expandConst(t: ConstTensor, shape: number[]): ConstTensor {
  const dims = broadcastShapes(t.dims, shape);
  if (!dims) throw new Error(`cannot expand [${t.dims}] to [${shape}]`);
  return elementwise([t, withData(t.kind, dims, new Array<number>(size(dims)).fill(0))], (x) => x, t.kind);
}
