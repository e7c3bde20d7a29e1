/**
 * The fast conv-gradient kernels against tfjs's stock cpu kernels (the reference), on cpu and on wasm, plus checks
 * that do not trust the stock kernels at all (adjoint identities), end-to-end gradients and a tensor-leak check.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { registerFastKernels, restoreStockKernels } from '../../../src/core/backend/kernels';

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Attrs = Record<string, unknown>;

/** mulberry32: small seeded PRNG so failing cases are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(20240611);
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const values = (n: number): Float32Array => Float32Array.from({ length: n }, () => rand() * 2 - 1);
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
const randomInput = (shape: number[]) => ({ shape, values: values(size(shape)) });
/** Runs a kernel by name on the active backend. */
const kernel = (name: string, inputs: tf.NamedTensorMap, attrs: Attrs): tf.Tensor =>
  tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;

const KERNELS: [number, number][] = [
  [1, 1],
  [2, 2],
  [3, 3],
  [5, 5],
  [3, 2],
  [2, 5],
  [1, 3],
  [4, 1],
];

function randomPad(): Pad {
  const kind = pick(['same', 'valid', 'number', 'explicit'] as const);
  if (kind === 'number') return int(0, 3);
  if (kind === 'explicit')
    return [
      [0, 0],
      [int(0, 3), int(0, 3)],
      [int(0, 3), int(0, 3)],
      [0, 0],
    ];
  return kind;
}

/** One kernel invocation: kernel name, inputs (shape + values) and attrs; `ref` is filled from the stock cpu kernel. */
interface Case {
  name: string;
  kernel: string;
  inputs: Record<string, { shape: number[]; values: Float32Array }>;
  attrs: Attrs;
  ref?: Float32Array;
  refShape?: number[];
}

function describeCase(c: Case): string {
  const shapes = Object.entries(c.inputs)
    .map(([k, v]) => `${k}[${v.shape}]`)
    .join(' ');
  return `${c.kernel} ${shapes} ${JSON.stringify(c.attrs)}`;
}

/**
 * Random forward conv geometry; dy's shape comes from tfjs's own computeConv2DInfo so it matches the forward op.
 * `forward`: the case also runs the forward op on wasm. tfjs 4.22 sizes a conv with a numeric pad from the kernel
 * height and row stride for both axes; the wasm forward conv then writes past its output when the kernel or the
 * strides are not square (heap corruption), so such cases keep numeric pads square. Our kernels take dy's shape as
 * given and agree with the stock cpu kernels there too, so the kernel-only cases keep the full range. Likewise the
 * stock wasm forward conv returns zeros (XNNPACK rejects the operator) for 'same' with a stride larger than the
 * kernel; our kernels' inner convs are always 'valid', so only forward cases avoid that.
 */
function randomGeometry(depthwise: boolean, dilated = false, forward = false) {
  const n = int(1, 3);
  const h = int(5, 12);
  const w = int(5, 12);
  const cin = int(1, 6);
  const cout = depthwise ? int(1, 3) : int(1, 6); // channel multiplier for depthwise
  const [kh, kw] = pick(KERNELS);
  const dilations: [number, number] = dilated ? [int(1, 3), int(1, 2)] : [1, 1];
  const strides: [number, number] = dilated ? [1, 1] : [int(1, 3), int(1, 3)];
  let pad = randomPad();
  if (forward && typeof pad === 'number' && (kh !== kw || strides[0] !== strides[1] || dilations[0] !== dilations[1])) {
    pad = [
      [0, 0],
      [pad, pad],
      [pad, pad],
      [0, 0],
    ];
  }
  if (forward && pad === 'same' && (strides[0] > kh || strides[1] > kw)) pad = 'valid';
  // 'valid' needs the (dilated) kernel to fit the input.
  if (pad === 'valid' && ((kh - 1) * dilations[0] + 1 > h || (kw - 1) * dilations[1] + 1 > w)) pad = 'same';
  const xShape: [number, number, number, number] = [n, h, w, cin];
  const fShape: [number, number, number, number] = [kh, kw, cin, cout];
  const info = tf.backend_util.computeConv2DInfo(xShape, fShape, strides, dilations, pad, undefined, depthwise);
  return { xShape, fShape, strides, dilations, pad, dyShape: info.outShape as number[] };
}

function conv2dCases(count: number): Case[] {
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const g = randomGeometry(false);
    const attrs = { strides: g.strides, pad: g.pad, dataFormat: 'NHWC' };
    cases.push({
      name: 'filter',
      kernel: tf.Conv2DBackpropFilter,
      inputs: { x: randomInput(g.xShape), dy: randomInput(g.dyShape) },
      attrs: { ...attrs, filterShape: g.fShape },
    });
    cases.push({
      name: 'input',
      kernel: tf.Conv2DBackpropInput,
      inputs: { dy: randomInput(g.dyShape), filter: randomInput(g.fShape) },
      attrs: { ...attrs, inputShape: g.xShape },
    });
  }
  return cases;
}

function depthwiseCases(count: number): Case[] {
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const g = randomGeometry(true);
    const attrs = { strides: g.strides, pad: g.pad, dilations: [1, 1] };
    cases.push({
      name: 'filter',
      kernel: tf.DepthwiseConv2dNativeBackpropFilter,
      inputs: { x: randomInput(g.xShape), dy: randomInput(g.dyShape) },
      attrs: { ...attrs, filterShape: g.fShape },
    });
    cases.push({
      name: 'input',
      kernel: tf.DepthwiseConv2dNativeBackpropInput,
      inputs: { dy: randomInput(g.dyShape), filter: randomInput(g.fShape) },
      attrs: { ...attrs, inputShape: g.xShape },
    });
  }
  return cases;
}

/** Runs one kernel on the active backend; returns the values and shape, disposing everything it made. */
function run(c: Case): { values: Float32Array; shape: number[] } {
  return tf.tidy(() => {
    const inputs: tf.NamedTensorMap = {};
    for (const [k, v] of Object.entries(c.inputs)) inputs[k] = tf.tensor(v.values, v.shape);
    const out = tf.engine().runKernel(c.kernel, inputs, c.attrs as tf.NamedAttrMap) as tf.Tensor;
    return { values: out.dataSync() as Float32Array, shape: out.shape };
  });
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  let diff = 0;
  for (let i = 0; i < actual.length; i++) diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
  const scale = Math.max(1, maxAbs(expected));
  assert.ok(diff <= tol * scale, `${what}: max abs diff ${diff} > ${tol} × ${scale}`);
}

function checkAgainstRef(cases: Case[], backend: string): void {
  for (const c of cases) {
    const ours = run(c);
    assert.deepEqual(ours.shape, c.refShape, `${backend} ${describeCase(c)}: shape`);
    assertClose(ours.values, c.ref!, `${backend} ${describeCase(c)}`);
  }
}

// KERNEL_TEST_CASES raises the number of random cases per kernel for a longer soak run.
const CASES = Number(process.env.KERNEL_TEST_CASES ?? 24);
const convCases = conv2dCases(CASES);
const dwCases = depthwiseCases(CASES);
const allCases = [...convCases, ...dwCases];

/**
 * Dilated depthwise: tfjs's stock cpu backprop kernels ignore dilations, so the reference is built from an equivalent
 * undilated conv whose filter has zeros inserted: its input gradient is the same, and its filter gradient sampled at
 * every d-th tap is ours.
 */
interface DilatedCase {
  x: tf.Tensor4D;
  f: tf.Tensor4D;
  dy: tf.Tensor4D;
  pad: Pad;
  dilations: [number, number];
  refDx: Float32Array;
  refDf: Float32Array;
}

function zeroInsertFilter(f: tf.Tensor4D, [dh, dw]: [number, number]): tf.Tensor4D {
  const [kh, kw, c, m] = f.shape;
  const buf = tf.buffer([(kh - 1) * dh + 1, (kw - 1) * dw + 1, c, m]);
  const fv = f.bufferSync();
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++)
      for (let i = 0; i < c; i++) for (let k = 0; k < m; k++) buf.set(fv.get(a, b, i, k), a * dh, b * dw, i, k);
  return buf.toTensor() as tf.Tensor4D;
}

function dilatedReference(): DilatedCase[] {
  const out: DilatedCase[] = [];
  for (let i = 0; i < 10; i++) {
    const g = randomGeometry(true, true);
    const x = tf.tensor4d(values(size(g.xShape)), g.xShape);
    const f = tf.tensor4d(values(size(g.fShape)), g.fShape);
    const dy = tf.tensor4d(values(size(g.dyShape)), g.dyShape as [number, number, number, number]);
    const [refDx, refDf] = tf.tidy(() => {
      const fz = zeroInsertFilter(f, g.dilations);
      const common = { strides: 1, pad: g.pad, dilations: 1 };
      const dx = tf.engine().runKernel(
        tf.DepthwiseConv2dNativeBackpropInput,
        { dy, filter: fz },
        {
          ...common,
          inputShape: g.xShape,
        },
      ) as tf.Tensor4D;
      const dfz = tf.engine().runKernel(
        tf.DepthwiseConv2dNativeBackpropFilter,
        { x, dy },
        {
          ...common,
          filterShape: fz.shape,
        },
      ) as tf.Tensor4D;
      const df = tf.stridedSlice(dfz, [0, 0, 0, 0], dfz.shape, [g.dilations[0], g.dilations[1], 1, 1]);
      return [dx.dataSync() as Float32Array, df.dataSync() as Float32Array];
    });
    out.push({ x, f, dy, pad: g.pad, dilations: g.dilations, refDx, refDf });
  }
  return out;
}

let dilated: DilatedCase[] = [];

/** Values of ∂/∂x and ∂/∂f of Σ(conv(x, f) · w) through the public ops (the path training takes). */
function endToEnd(
  depthwise: boolean,
  x: tf.Tensor4D,
  f: tf.Tensor4D,
  w: tf.Tensor4D,
  strides: [number, number],
  pad: Pad,
): Float32Array[] {
  return tf.tidy(() => {
    const loss = (xx: tf.Tensor, ff: tf.Tensor) =>
      tf.sum(
        tf.mul(
          depthwise
            ? tf.depthwiseConv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, strides, pad as 'same')
            : tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, strides, pad as 'same'),
          w,
        ),
      );
    const [dx, df] = tf.grads(loss)([x, f]);
    return [dx.dataSync() as Float32Array, df.dataSync() as Float32Array];
  });
}

interface E2ECase {
  depthwise: boolean;
  x: tf.Tensor4D;
  f: tf.Tensor4D;
  w: tf.Tensor4D;
  strides: [number, number];
  pad: Pad;
  ref: Float32Array[];
}
let e2e: E2ECase[] = [];

/**
 * The wasm backend reports a rejected XNNPACK operator only by printing "XNN status ... not successful" and then
 * returns an unwritten output, so every test also fails on such a message.
 */
const xnnMessages: string[] = [];
const consoleOriginals = { log: console.log, warn: console.warn, error: console.error };
function watchXnn(): void {
  for (const k of ['log', 'warn', 'error'] as const) {
    console[k] = (...args: unknown[]) => {
      if (String(args[0]).includes('XNN status')) xnnMessages.push(String(args[0]));
      consoleOriginals[k](...args);
    };
  }
}

describe('fast conv-gradient kernels', function () {
  afterEach(function () {
    const msgs = xnnMessages.splice(0);
    assert.deepEqual(msgs, [], 'XNNPACK rejected an operator');
  });

  before(async function () {
    watchXnn();
    wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/');
    assert.ok(await tf.setBackend('cpu'));
    await tf.ready();
    restoreStockKernels('cpu');
    // References from the stock cpu kernels, computed before ours replace them.
    for (const c of allCases) {
      const r = run(c);
      c.ref = r.values;
      c.refShape = r.shape;
    }
    dilated = dilatedReference();
    for (let i = 0; i < 6; i++) {
      const depthwise = i % 2 === 1;
      const g = randomGeometry(depthwise, false, true);
      const x = tf.tensor4d(values(size(g.xShape)), g.xShape);
      const f = tf.tensor4d(values(size(g.fShape)), g.fShape);
      const w = tf.tensor4d(values(size(g.dyShape)), g.dyShape as [number, number, number, number]);
      const ref = endToEnd(depthwise, x, f, w, g.strides, g.pad);
      e2e.push({ depthwise, x, f, w, strides: g.strides, pad: g.pad, ref });
    }
  });

  after(async function () {
    Object.assign(console, consoleOriginals);
    for (const d of dilated) tf.dispose([d.x, d.f, d.dy]);
    for (const e of e2e) tf.dispose([e.x, e.f, e.w]);
    dilated = [];
    e2e = [];
    restoreStockKernels('cpu');
    restoreStockKernels('wasm');
    await tf.setBackend('cpu');
  });

  it('registerFastKernels is idempotent, and leaves other backends alone', function () {
    const stockInput = tf.getKernel(tf.Conv2DBackpropInput, 'cpu').kernelFunc;
    registerFastKernels('cpu');
    const first = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu').kernelFunc;
    registerFastKernels('cpu');
    assert.equal(tf.getKernel(tf.Conv2DBackpropFilter, 'cpu').kernelFunc, first);
    // On cpu only the filter gradients are replaced by default: the stock input gradients are faster there.
    assert.equal(tf.getKernel(tf.Conv2DBackpropInput, 'cpu').kernelFunc, stockInput);
    registerFastKernels('cpu', 'all');
    assert.notEqual(tf.getKernel(tf.Conv2DBackpropInput, 'cpu').kernelFunc, stockInput);
    restoreStockKernels('cpu');
    assert.equal(tf.getKernel(tf.Conv2DBackpropInput, 'cpu').kernelFunc, stockInput);
    registerFastKernels('cpu');
    registerFastKernels('tensorflow');
    assert.equal(tf.getKernel(tf.Conv2DBackpropFilter, 'tensorflow'), undefined);
    // Restoring brings the stock kernel back, so the references above really came from it.
    restoreStockKernels('cpu');
    assert.notEqual(tf.getKernel(tf.Conv2DBackpropFilter, 'cpu').kernelFunc, first);
    registerFastKernels('cpu');
    assert.equal(tf.getKernel(tf.Conv2DBackpropFilter, 'cpu').kernelFunc, first);
  });

  describe('on cpu', function () {
    before(async function () {
      await tf.setBackend('cpu');
      registerFastKernels('cpu', 'all');
    });
    it(`Conv2DBackpropFilter matches stock (${convCases.length / 2} random cases)`, function () {
      checkAgainstRef(
        convCases.filter((c) => c.name === 'filter'),
        'cpu',
      );
    });
    it(`Conv2DBackpropInput matches stock (${convCases.length / 2} random cases)`, function () {
      checkAgainstRef(
        convCases.filter((c) => c.name === 'input'),
        'cpu',
      );
    });
    it(`DepthwiseConv2dNativeBackpropFilter matches stock (${dwCases.length / 2} random cases)`, function () {
      checkAgainstRef(
        dwCases.filter((c) => c.name === 'filter'),
        'cpu',
      );
    });
    it(`DepthwiseConv2dNativeBackpropInput matches stock (${dwCases.length / 2} random cases)`, function () {
      checkAgainstRef(
        dwCases.filter((c) => c.name === 'input'),
        'cpu',
      );
    });
  });

  describe('on wasm', function () {
    before(async function () {
      assert.ok(await tf.setBackend('wasm'));
      await tf.ready();
      assert.equal(tf.getBackend(), 'wasm');
      registerFastKernels('wasm');
    });

    it(`Conv2DBackpropFilter matches stock cpu (${convCases.length / 2} random cases)`, function () {
      checkAgainstRef(
        convCases.filter((c) => c.name === 'filter'),
        'wasm',
      );
    });
    it(`Conv2DBackpropInput matches stock cpu (${convCases.length / 2} random cases)`, function () {
      checkAgainstRef(
        convCases.filter((c) => c.name === 'input'),
        'wasm',
      );
    });
    it(`DepthwiseConv2dNativeBackpropFilter matches stock cpu (${dwCases.length / 2} random cases)`, function () {
      checkAgainstRef(
        dwCases.filter((c) => c.name === 'filter'),
        'wasm',
      );
    });
    it(`DepthwiseConv2dNativeBackpropInput matches stock cpu (${dwCases.length / 2} random cases)`, function () {
      checkAgainstRef(
        dwCases.filter((c) => c.name === 'input'),
        'wasm',
      );
    });

    it('tf.grads through conv2d and depthwiseConv2d equal the stock cpu gradients', function () {
      for (const e of e2e) {
        const got = endToEnd(e.depthwise, e.x, e.f, e.w, e.strides, e.pad);
        const what =
          `${e.depthwise ? 'depthwise' : 'conv2d'} x[${e.x.shape}] f[${e.f.shape}] ` +
          `s=${e.strides} pad=${JSON.stringify(e.pad)}`;
        assertClose(got[0], e.ref[0], `${what} dx`);
        assertClose(got[1], e.ref[1], `${what} df`);
      }
    });

    it('a small conv + depthwise model trains on wasm', async function () {
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [8, 8, 2],
            filters: 4,
            kernelSize: 3,
            strides: 2,
            padding: 'same',
            activation: 'relu',
          }),
          tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'valid' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 1 }),
        ],
      });
      model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
      const xs = tf.tensor4d(values(8 * 8 * 8 * 2), [8, 8, 8, 2]);
      const ys = tf.tensor2d(values(8), [8, 1]);
      const h = await model.fit(xs, ys, { epochs: 5, batchSize: 8, verbose: 0 });
      const losses = h.history.loss as number[];
      assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
      assert.ok(losses[losses.length - 1] < losses[0], `loss did not fall: ${losses}`);
      tf.dispose([xs, ys]);
      model.dispose();
    });
  });

  for (const backend of ['cpu', 'wasm']) {
    describe(`dilated depthwise and adjoint identities on ${backend}`, function () {
      before(async function () {
        assert.ok(await tf.setBackend(backend));
        registerFastKernels(backend, 'all');
      });

      it('depthwise backprop with dilations > 1 matches the zero-inserted-filter reference', function () {
        for (const d of dilated) {
          const what = `x[${d.x.shape}] f[${d.f.shape}] dil=${d.dilations} pad=${JSON.stringify(d.pad)}`;
          tf.tidy(() => {
            const common = { strides: 1, pad: d.pad, dilations: d.dilations };
            const dx = tf.engine().runKernel(
              tf.DepthwiseConv2dNativeBackpropInput,
              { dy: d.dy, filter: d.f },
              {
                ...common,
                inputShape: d.x.shape,
              },
            ) as tf.Tensor;
            const df = tf.engine().runKernel(
              tf.DepthwiseConv2dNativeBackpropFilter,
              { x: d.x, dy: d.dy },
              {
                ...common,
                filterShape: d.f.shape,
              },
            ) as tf.Tensor;
            assertClose(dx.dataSync(), d.refDx, `${what} dx`);
            assertClose(df.dataSync(), d.refDf, `${what} df`);
          });
        }
      });

      // <conv(x, f), dy> = <x, dX(dy, f)> = <f, dF(x, dy)>: checks the maths with forward ops only.
      it('satisfies <conv(x,f), dy> = <x, dX> = <f, dF> (forward ops only as reference)', function () {
        for (const depthwise of [false, true]) {
          for (let i = 0; i < 6; i++) {
            const g = randomGeometry(depthwise, depthwise && i % 2 === 0, true);
            tf.tidy(() => {
              const x = tf.tensor4d(values(size(g.xShape)), g.xShape);
              const f = tf.tensor4d(values(size(g.fShape)), g.fShape);
              const dy = tf.tensor(values(size(g.dyShape)), g.dyShape);
              const y = depthwise
                ? tf.depthwiseConv2d(x, f, g.strides, g.pad as 'same', 'NHWC', g.dilations)
                : tf.conv2d(x, f, g.strides, g.pad as 'same');
              const names = depthwise
                ? [tf.DepthwiseConv2dNativeBackpropInput, tf.DepthwiseConv2dNativeBackpropFilter]
                : [tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter];
              const attrs = { strides: g.strides, pad: g.pad, dilations: g.dilations, dataFormat: 'NHWC' };
              const dx = kernel(names[0], { dy, filter: f }, { ...attrs, inputShape: g.xShape });
              const df = kernel(names[1], { x, dy }, { ...attrs, filterShape: g.fShape });
              const lhs = tf.sum(tf.mul(y, dy)).dataSync()[0];
              const what = `${depthwise ? 'depthwise' : 'conv2d'} ${JSON.stringify(g)}`;
              const tol = 1e-3 * Math.max(1, Math.abs(lhs));
              assert.ok(Math.abs(tf.sum(tf.mul(x, dx)).dataSync()[0] - lhs) <= tol, `${what} dx`);
              assert.ok(Math.abs(tf.sum(tf.mul(f, df)).dataSync()[0] - lhs) <= tol, `${what} df`);
            });
          }
        }
      });

      it('does not leak tensors or free its inputs over many gradient calls', function () {
        const x = tf.tensor4d(values(2 * 9 * 9 * 3), [2, 9, 9, 3]);
        const f = tf.tensor4d(values(3 * 3 * 3 * 4), [3, 3, 3, 4]);
        const fd = tf.tensor4d(values(3 * 3 * 3 * 2), [3, 3, 3, 2]);
        const step = () =>
          tf.tidy(() => {
            const g1 = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
              tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))),
            )([x, f]);
            const g2 = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
              tf.sum(tf.square(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, [2, 1], 'valid'))),
            )([x, fd]);
            return [...g1, ...g2].map((t) => t.dataSync()[0]);
          });
        // Called directly, each kernel's inputs are held once only: they must survive the call unchanged.
        for (const c of [convCases[0], convCases[1], dwCases[0], dwCases[1]]) {
          const inputs: tf.NamedTensorMap = {};
          for (const [k, v] of Object.entries(c.inputs)) inputs[k] = tf.tensor(v.values, v.shape);
          const mem = tf.memory();
          const out = tf.engine().runKernel(c.kernel, inputs, c.attrs as tf.NamedAttrMap) as tf.Tensor;
          assert.equal(tf.memory().numTensors, mem.numTensors + 1, `${describeCase(c)}: tensors made`);
          for (const [k, v] of Object.entries(c.inputs)) {
            assertClose(inputs[k].dataSync(), v.values, `${describeCase(c)}: input ${k}`, 0);
          }
          tf.dispose([out, ...Object.values(inputs)]);
          const left = mem.numTensors - Object.keys(inputs).length;
          assert.equal(tf.memory().numTensors, left, `${describeCase(c)}: tensors left`);
        }
        const first = step(); // warm-up: lets any lazily created backend state settle
        const before = tf.memory();
        const idsBefore = tf.engine().backend.numDataIds();
        for (let i = 0; i < 20; i++) assert.deepEqual(step(), first);
        const after = tf.memory();
        assert.equal(after.numTensors, before.numTensors, 'numTensors grew');
        assert.equal(after.numBytes, before.numBytes, 'numBytes grew');
        assert.equal(tf.engine().backend.numDataIds(), idsBefore, 'backend data ids grew');
        // Inputs still readable: the kernels' wrappers must not have released their data.
        assert.equal(x.dataSync().length, 2 * 9 * 9 * 3);
        tf.dispose([x, f, fd]);
      });

      it('returns zeros of the right shape when dy is empty', function () {
        tf.tidy(() => {
          // tfjs sizes numeric pads from the kernel height on both axes, so this forward conv has 0 output columns.
          const x = tf.ones([2, 7, 6, 1]);
          const dy = tf.ones([2, 1, 0, 2]);
          const f = tf.ones([4, 1, 1, 2]);
          const attrs = { strides: 1, pad: 0, dilations: [2, 1] };
          const df = kernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, { ...attrs, filterShape: f.shape });
          const dx = kernel(
            tf.DepthwiseConv2dNativeBackpropInput,
            { dy, filter: f },
            { ...attrs, inputShape: x.shape },
          );
          assert.deepEqual([df.shape, maxAbs(df.dataSync())], [[4, 1, 1, 2], 0]);
          assert.deepEqual([dx.shape, maxAbs(dx.dataSync())], [[2, 7, 6, 1], 0]);
          const f2 = tf.ones([4, 1, 1, 2]);
          const convAttrs = { strides: 1, pad: 0, dataFormat: 'NHWC' };
          const cdf = kernel(tf.Conv2DBackpropFilter, { x, dy }, { ...convAttrs, filterShape: f2.shape });
          const cdx = kernel(tf.Conv2DBackpropInput, { dy, filter: f2 }, { ...convAttrs, inputShape: x.shape });
          assert.deepEqual([cdf.shape, maxAbs(cdf.dataSync())], [[4, 1, 1, 2], 0]);
          assert.deepEqual([cdx.shape, maxAbs(cdx.dataSync())], [[2, 7, 6, 1], 0]);
        });
      });

      it('throws clear errors for NCHW and for strides together with dilations', function () {
        const x = tf.zeros([1, 3, 6, 6]);
        const dy = tf.zeros([1, 3, 6, 6]);
        assert.throws(
          () =>
            kernel(
              tf.Conv2DBackpropFilter,
              { x, dy },
              {
                strides: 1,
                pad: 'same',
                dataFormat: 'NCHW',
                filterShape: [3, 3, 3, 3],
              },
            ),
          /dataFormat 'NCHW' is not supported/,
        );
        const x2 = tf.zeros([1, 9, 9, 2]);
        const dy2 = tf.zeros([1, 5, 5, 2]);
        assert.throws(
          () =>
            kernel(
              tf.DepthwiseConv2dNativeBackpropFilter,
              { x: x2, dy: dy2 },
              {
                strides: 2,
                dilations: 2,
                pad: 'same',
                filterShape: [3, 3, 2, 1],
              },
            ),
          /strides \[2,2\] together with dilations \[2,2\] are not supported/,
        );
        tf.dispose([x, dy, x2, dy2]);
      });
    });
  }
});
