/**
 * The symbolic Algebra: instead of computing, it emits ONNX nodes into a graph builder, so that a whole LRP pass
 * (forward and relevance) becomes one inference graph for onnxruntime. Values carry their logical shape (NHWC for
 * images, static batch); rank-4 values are stored NCHW, the layout ONNX convolutions use. Weights are constants and
 * their modifiers (w⁺, w + γw⁻, ones, w²) are folded in JS at compile time. The LRP rules are not restated here:
 * they are the declarations of src/core/lrp/, emitted through these primitives.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Algebra, LinearOp, PoolOp } from '../graph/algebra';
import { convGeometry, flippedConvPads, transposeOutputPadding } from '../graph/conv-geometry';
import type { Op, Padding } from '../graph/graph';
import { OnnxGraphBuilder } from './graph-builder';

export interface Sym {
  /** Graph value name (absent for a constant not yet placed in the graph). */
  name?: string;
  shape: number[];
  nonNegative: boolean;
  /** Constants (weights) in logical layout, folded at compile time (a derived constant's only when read: valuesOf). */
  data?: Float32Array;
  /** Known to be all zeros (a skipped rule term): arithmetic with it emits nothing. */
  zero?: boolean;
  /** Stored in its logical layout even at rank 4 (attention's per-head [N, H, T, d]); else rank 4 is NHWC stored NCHW. */
  plain?: boolean;
  /**
   * A constant computed from other constants by an element-wise op (w⁺ = Relu(w), …): the graph gets the op over their
   * initializers, which onnxruntime folds when it creates the session, so each weight is encoded (and copied) once.
   * Its values are computed in JS only if a compile-time check reads them (valueAt, valuesOf).
   */
  derived?: Derived;
  /** The values this one is the sum of (a residual add), so that it can be recomputed instead of kept (recomputeSums). */
  sumOf?: Sym[];
}

/** Element-wise ops whose float32 result equals the JS fold bit for bit (one rounding of an exact result). */
interface Derived {
  op: 'Relu' | 'Min' | 'Add' | 'Sub' | 'Mul' | 'Div' | 'Abs' | 'Sqrt';
  of: Sym[];
  /** A second operand that is a number (representable in float32). */
  scalar?: number;
  /** Entry i, computed from the operands' entries. */
  at: (i: number) => number;
}

const isConstant = (t: Sym) => !t.name && (t.data !== undefined || t.derived !== undefined);
const valueAt = (t: Sym, i: number): number => (t.data ? t.data[i] : t.derived!.at(i));

/** A constant's values (a derived one's computed now, once). */
function valuesOf(t: Sym): Float32Array {
  if (!t.data) {
    const data = new Float32Array(size(t.shape));
    for (let i = 0; i < data.length; i++) data[i] = t.derived!.at(i);
    t.data = data;
  }
  return t.data;
}

/** How a constant is laid out as an initializer: as it is, or a [kh, kw, ci, co] kernel in ONNX's conv layouts. */
type ConstLayout = 'as-is' | 'oihw' | 'depthwise';

/** An op or setting the ONNX path does not compile; callers fall back to tfjs. */
export class OnnxUnsupported extends Error {}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** [kh, kw, ci, co] → [co, ci, kh, kw] (conv) ; [kh, kw, ci, m] → [ci·m, 1, kh, kw] (depthwise). */
function toOihw(data: Float32Array, shape: number[], depthwise: boolean): { data: Float32Array; dims: number[] } {
  const [kh, kw, a, b] = shape;
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < a; i++)
        for (let o = 0; o < b; o++) {
          const src = ((y * kw + x) * a + i) * b + o;
          // Depthwise output channel i·m + o reads input channel i.
          const dst = depthwise ? ((i * b + o) * kh + y) * kw + x : ((o * a + i) * kh + y) * kw + x;
          out[dst] = data[src];
        }
  return { data: out, dims: depthwise ? [a * b, 1, kh, kw] : [b, a, kh, kw] };
}

/** A number a float32 scalar initializer holds exactly, so that an op with it folds as JS does. */
const exactInFloat32 = (v: number) => Math.fround(v) === v;

/** Whether a rank-4 value is an image: NHWC logically, NCHW in the graph. */
const isImage = (t: Sym) => t.shape.length === 4 && !t.plain;

/** Whether a [kh, kw, ci, co] kernel (co innermost) has the same filter for every output channel (stops at the first difference). */
function sameForEveryOutput(kernel: Sym, co: number): boolean {
  const n = size(kernel.shape);
  for (let i = 0; i < n; i += co) {
    const first = valueAt(kernel, i);
    for (let o = 1; o < co; o++) if (valueAt(kernel, i + o) !== first) return false;
  }
  return true;
}

function allNonNegative(t: Sym): boolean {
  if (t.nonNegative) return true;
  return isConstant(t) && valuesOf(t).every((v) => v >= 0);
}

export class OnnxAlgebra implements Algebra<Sym> {
  /** MaxPool indices by the pooled input's value name, for the relevance pass. */
  private poolIndices = new Map<string, string>();
  private scalars = new Map<number, string>();
  /** Each graph weight read once (dataSync copies on wasm), and each constant placed once per layout. */
  private weights = new WeakMap<tf.Tensor, Float32Array>();
  private placedData = new WeakMap<Float32Array, Map<ConstLayout, string>>();
  private placedDerived = new WeakMap<Sym, Map<ConstLayout, string>>();
  private recomputed = new WeakMap<Sym, string>();
  /**
   * Set once an LRP graph's forward pass is emitted: a residual sum read again (the sum rule's denominator) is
   * recomputed from its inputs, which the backward pass keeps anyway, instead of staying alive from the forward pass
   * to the backward: a quarter of a ResNet's activations, for one Add each. The inputs are added in the opposite
   * order: the same float32 result (addition commutes exactly), and not a duplicate that onnxruntime would merge back.
   */
  recomputeSums = false;

  constructor(readonly b: OnnxGraphBuilder) {}

  /** A graph input fed in logical layout (NHWC images), as a value in the stored layout. */
  feed(name: string, shape: number[]): Sym {
    const input = this.b.input({ name, dtype: 'float32', shape });
    return {
      name: shape.length === 4 ? this.b.op('Transpose', [input], { perm: [0, 3, 1, 2] }) : input,
      shape,
      nonNegative: false,
    };
  }

  scope<R>(f: () => R): R {
    return f();
  }

  weight(t: tf.Tensor): Sym {
    let data = this.weights.get(t);
    if (!data) {
      data = t.dataSync() as Float32Array;
      this.weights.set(t, data);
    }
    // A fresh Sym each time (ref() names the Sym it places); the data, and so its initializer, is shared.
    return { shape: t.shape, nonNegative: false, data };
  }

  shape(t: Sym): number[] {
    return t.shape;
  }

  isNonNegative(t: Sym): boolean {
    return t.nonNegative;
  }

  /** Places a value in the graph: constants become initializers in physical layout. */
  ref(t: Sym): string {
    if (t.sumOf && this.recomputeSums) {
      let name = this.recomputed.get(t);
      if (!name) {
        const [first, ...rest] = t.sumOf;
        name = rest.reduce((acc, s) => this.b.op('Add', [this.ref(s), acc]), this.ref(first));
        this.recomputed.set(t, name);
      }
      return name;
    }
    if (t.name) return t.name;
    if (t.zero) {
      t.name = this.b.op('Expand', [this.scalar(0), this.b.ints(this.physical(t))]);
      return t.name;
    }
    if (!isConstant(t)) throw new Error('a symbolic value without a name or data');
    t.name = this.constantIn(t, 'as-is');
    return t.name;
  }

  /**
   * The initializer (or the ops over initializers, for a derived constant) holding constant t in a layout. A leaf is
   * placed once per data array and layout: the forward conv and a rule's unmodified term share one weight.
   */
  private constantIn(t: Sym, layout: ConstLayout): string {
    const cache = (map: WeakMap<object, Map<ConstLayout, string>>, key: object) => {
      let m = map.get(key);
      if (!m) map.set(key, (m = new Map()));
      return m;
    };
    if (t.derived) {
      const placed = cache(this.placedDerived, t);
      let name = placed.get(layout);
      if (!name) {
        const inputs = t.derived.of.map((s) => this.constantIn(s, layout));
        if (t.derived.scalar !== undefined) inputs.push(this.scalar(t.derived.scalar));
        name = this.b.op(t.derived.op, inputs);
        placed.set(layout, name);
      }
      return name;
    }
    const placed = cache(this.placedData, t.data!);
    let name = placed.get(layout);
    if (!name) {
      if (layout === 'as-is') name = this.b.constant(t.data!, this.physical(t), 'w');
      else {
        const w = toOihw(t.data!, t.shape, layout === 'depthwise');
        name = this.b.constant(w.data, w.dims, 'w');
      }
      placed.set(layout, name);
    }
    return name;
  }

  scalar(v: number): string {
    let s = this.scalars.get(v);
    if (!s) {
      s = this.b.scalar(v);
      this.scalars.set(v, s);
    }
    return s;
  }

  private value(name: string, shape: number[], nonNegative = false, plain = false): Sym {
    return plain ? { name, shape, nonNegative, plain } : { name, shape, nonNegative };
  }

  /** An element-wise result shaped like a (its layout too). */
  private like(a: Sym, name: string, nonNegative = false): Sym {
    return this.value(name, a.shape, nonNegative, a.plain);
  }

  /**
   * A constant computed from constant a: derived (emitted as an op, its values computed only if read) when `derived`
   * is given, else computed in JS now.
   */
  private fold(a: Sym, f: (v: number, i: number) => number, derived?: Omit<Derived, 'at'>, nonNegative = false): Sym {
    const base = { shape: a.shape, nonNegative, ...(a.plain && { plain: true }) };
    if (derived) return { ...base, derived: { ...derived, at: (i: number) => f(valueAt(a, i), i) } };
    // A plain loop: Float32Array.from with a mapping function was a third of compiling a ResNet-50's LRP graph.
    const src = valuesOf(a);
    const data = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) data[i] = f(src[i], i);
    return { ...base, data };
  }

  /** `op` over constant a and a number, as a derived constant when the number is exact in float32. */
  private withScalar(op: 'Add' | 'Mul', a: Sym, v: number): Omit<Derived, 'at'> | undefined {
    return exactInFloat32(v) ? { op, of: [a], scalar: v } : undefined;
  }

  private binary(
    a: Sym,
    b: Sym,
    op: 'Add' | 'Sub' | 'Mul' | 'Div',
    f: (x: number, y: number) => number,
    nonNegative: boolean,
  ): Sym {
    if (isConstant(a) && isConstant(b)) {
      const sameShape =
        a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]) && !a.plain === !b.plain;
      return this.fold(a, (v, i) => f(v, valueAt(b, i)), sameShape ? { op, of: [a, b] } : undefined);
    }
    const shape = a.shape.length >= b.shape.length ? a.shape : b.shape;
    return this.value(this.b.op(op, [this.ref(a), this.ref(b)]), shape, nonNegative, a.plain || b.plain);
  }

  /** Reductions, products and reshapes over logical axes need a value stored as it is shaped. */
  private logical(t: Sym, what: string): Sym {
    if (isImage(t)) throw new OnnxUnsupported(`${what} of an image-shaped value`);
    return t;
  }

  add(a: Sym, b: Sym | number) {
    if (typeof b === 'number') {
      if (isConstant(a)) return this.fold(a, (v) => v + b, this.withScalar('Add', a, b));
      return this.like(a, this.b.op('Add', [this.ref(a), this.scalar(b)]), a.nonNegative && b >= 0);
    }
    if (b.zero) return a;
    if (a.zero) return b;
    return this.binary(a, b, 'Add', (x, y) => x + y, a.nonNegative && b.nonNegative);
  }
  sub(a: Sym, b: Sym) {
    if (b.zero) return a;
    return this.binary(a, b, 'Sub', (x, y) => x - y, false);
  }
  mul(a: Sym, b: Sym | number) {
    if (a.zero) return a;
    if (typeof b !== 'number' && b.zero) return b;
    if (typeof b === 'number') {
      if (isConstant(a)) return this.fold(a, (v) => v * b, this.withScalar('Mul', a, b));
      return this.like(a, this.b.op('Mul', [this.ref(a), this.scalar(b)]), a.nonNegative && b >= 0);
    }
    return this.binary(a, b, 'Mul', (x, y) => x * y, a.nonNegative && b.nonNegative);
  }
  div(a: Sym, b: Sym) {
    return this.binary(a, b, 'Div', (x, y) => x / y, false);
  }
  addN(ts: Sym[]) {
    return ts.reduce((acc, t) => this.add(acc, t));
  }
  relu(a: Sym) {
    if (isConstant(a)) return this.fold(a, (v) => Math.max(v, 0), { op: 'Relu', of: [a] }, true);
    // z⁺-style input modifiers behind a ReLU: x⁺ = x, nothing to emit.
    if (a.nonNegative) return a;
    return this.like(a, this.b.op('Relu', [this.ref(a)]), true);
  }
  minZero(a: Sym) {
    if (isConstant(a)) return this.fold(a, (v) => Math.min(v, 0), { op: 'Min', of: [a], scalar: 0 });
    return this.like(a, this.b.op('Min', [this.ref(a), this.scalar(0)]));
  }
  square(a: Sym) {
    if (isConstant(a)) return this.fold(a, (v) => v * v, { op: 'Mul', of: [a, a] }, true);
    return this.like(a, this.b.op('Mul', [this.ref(a), this.ref(a)]), true);
  }
  abs(a: Sym) {
    if (isConstant(a)) return this.fold(a, Math.abs, { op: 'Abs', of: [a] }, true);
    return this.like(a, this.b.op('Abs', [this.ref(a)]), true);
  }
  sqrt(a: Sym) {
    if (isConstant(a)) return this.fold(a, Math.sqrt, { op: 'Sqrt', of: [a] });
    return this.like(a, this.b.op('Sqrt', [this.ref(a)]), true);
  }
  fillLike(a: Sym, v: number | number[]) {
    if (Array.isArray(v)) {
      // One value per channel: a [C] constant (at the channel axis of the stored layout) expanded to a's shape.
      const perChannel = isImage(a) ? [1, v.length, 1, 1] : [...a.shape.slice(0, -1).map(() => 1), v.length];
      const c = this.b.constant(Float32Array.from(v), perChannel, 'bounds');
      return this.like(
        a,
        this.b.op('Expand', [c, this.b.ints(this.physical(a))]),
        v.every((x) => x >= 0),
      );
    }
    if (isConstant(a))
      return {
        shape: a.shape,
        nonNegative: v >= 0,
        data: new Float32Array(size(a.shape)).fill(v),
        ...(a.plain && { plain: true }),
      };
    // A zero is only materialised if something reads it as a graph value (see ref).
    if (v === 0) return { shape: a.shape, nonNegative: true, zero: true, ...(a.plain && { plain: true }) };
    return this.like(a, this.b.op('Expand', [this.scalar(v), this.b.ints(this.physical(a))]), v >= 0);
  }
  positiveMask(a: Sym) {
    return this.like(a, this.b.op('Cast', [this.b.op('Greater', [this.ref(a), this.scalar(0)])], { to: 1 }), true);
  }
  negativeMask(a: Sym) {
    return this.like(a, this.b.op('Cast', [this.b.op('Less', [this.ref(a), this.scalar(0)])], { to: 1 }), true);
  }
  whereNonNegative(d: Sym, atLeastZero: number, belowZero: number): Sym {
    // Every entry of a d known to be ≥ 0 (z⁺ of a non-negative input) selects the first value: a constant, exactly.
    if (d.nonNegative) return { name: this.scalar(atLeastZero), shape: [], nonNegative: atLeastZero >= 0 };
    const select = this.b.op('Where', [
      this.b.op('GreaterOrEqual', [this.ref(d), this.scalar(0)]),
      this.scalar(atLeastZero),
      this.scalar(belowZero),
    ]);
    return this.like(d, select, atLeastZero >= 0 && belowZero >= 0);
  }

  sum(t: Sym, axis: number, keepDims = false): Sym {
    const ax = axis < 0 ? t.shape.length + axis : axis;
    const shape = keepDims ? t.shape.map((d, i) => (i === ax ? 1 : d)) : t.shape.filter((_, i) => i !== ax);
    const out = this.b.op('ReduceSum', [this.ref(this.logical(t, 'a sum')), this.b.ints([ax])], {
      keepdims: keepDims ? 1 : 0,
    });
    return this.value(out, shape, t.nonNegative, t.plain);
  }
  mean(t: Sym, axis: number): Sym {
    const ax = axis < 0 ? t.shape.length + axis : axis;
    const out = this.b.op('ReduceMean', [this.ref(this.logical(t, 'a mean'))], { axes: [axis], keepdims: 1 });
    return this.value(
      out,
      t.shape.map((d, i) => (i === ax ? 1 : d)),
      t.nonNegative,
      t.plain,
    );
  }
  unsqueeze(t: Sym, axis: number): Sym {
    const ax = axis < 0 ? t.shape.length + 1 + axis : axis;
    const shape = [...t.shape.slice(0, ax), 1, ...t.shape.slice(ax)];
    return this.value(
      this.b.op('Unsqueeze', [this.ref(this.logical(t, 'an unsqueeze')), this.b.ints([ax])]),
      shape,
      t.nonNegative,
      t.plain,
    );
  }
  eye(n: number): Sym {
    const data = Float32Array.from({ length: n * n }, (_, e) => (Math.floor(e / n) === e % n ? 1 : 0));
    return this.value(this.b.constant(data, [n, n], 'eye'), [n, n], true);
  }
  matMul(a: Sym, b: Sym, transposeA = false, transposeB = false): Sym {
    const operand = (t: Sym, transpose: boolean) => {
      const name = this.ref(this.logical(t, 'a matrix product'));
      if (!transpose) return name;
      const perm = t.shape.map((_, i) => i);
      perm.push(...perm.splice(-2).reverse());
      return this.b.op('Transpose', [name], { perm });
    };
    const [m, n] = [transposeA ? a.shape.at(-1)! : a.shape.at(-2)!, transposeB ? b.shape.at(-2)! : b.shape.at(-1)!];
    const out = this.b.op('MatMul', [operand(a, transposeA), operand(b, transposeB)]);
    return this.value(out, [...a.shape.slice(0, -2), m, n], a.nonNegative && b.nonNegative, a.plain || b.plain);
  }
  softmax(t: Sym): Sym {
    return this.like(this.logical(t, 'a softmax'), this.b.op('Softmax', [this.ref(t)], { axis: -1 }), true);
  }
  splitHeads(t: Sym, heads: number, headDim: number): Sym {
    const [n, tokens] = t.shape;
    const split = this.b.op(
      'Transpose',
      [this.b.op('Reshape', [this.ref(t), this.b.ints([n, tokens, heads, headDim])])],
      { perm: [0, 2, 1, 3] },
    );
    return this.value(split, [n, heads, tokens, headDim], t.nonNegative, true);
  }
  mergeHeads(t: Sym): Sym {
    const [n, heads, tokens, d] = t.shape;
    return this.value(
      this.b.op('Reshape', [
        this.b.op('Transpose', [this.ref(t)], { perm: [0, 2, 1, 3] }),
        this.b.ints([n, tokens, heads * d]),
      ]),
      [n, tokens, heads * d],
      t.nonNegative,
    );
  }

  /** NHWC logical shape → the physical shape of the stored value. */
  physical(t: Sym): number[] {
    const s = t.shape;
    return isImage(t) ? [s[0], s[3], s[1], s[2]] : s;
  }

  linearForward(op: LinearOp, x: Sym, kernel: Sym, bias: Sym | undefined): Sym {
    // Non-negative inputs through non-negative weights and bias (the z⁺ terms) give a non-negative output.
    const nonNegative = x.nonNegative && allNonNegative(kernel) && (bias === undefined || allNonNegative(bias));
    if (op.type === 'dense') {
      const dout = kernel.shape[1];
      let z = this.b.op('MatMul', [this.ref(x), this.constantIn(kernel, 'as-is')]);
      if (bias) z = this.b.op('Add', [z, this.constantIn(bias, 'as-is')]);
      return this.value(z, [...x.shape.slice(0, -1), dout], nonNegative);
    }
    const k: [number, number] = [kernel.shape[0], kernel.shape[1]];
    const g = convGeometry(op, x.shape, k);
    const depthwise = op.type === 'depthwise';
    const cout = depthwise ? kernel.shape[2] * kernel.shape[3] : kernel.shape[3];
    const inputs = [this.ref(x), this.constantIn(kernel, depthwise ? 'depthwise' : 'oihw')];
    if (bias) inputs.push(this.constantIn(bias, 'as-is'));
    const z = this.b.op('Conv', inputs, {
      kernel_shape: k,
      strides: op.strides,
      pads: g.pads,
      dilations: g.dilations,
      group: depthwise ? x.shape[3] : 1,
    });
    return this.value(z, [x.shape[0], g.outH, g.outW, cout], nonNegative);
  }

  linearInputGradient(op: LinearOp, grad: Sym, kernel: Sym, x: Sym): Sym {
    if (op.type === 'dense') {
      // Wᵀ as a Transpose of the forward's initializer (folded by onnxruntime), not a second copy in the file.
      const wt = this.b.op('Transpose', [this.constantIn(kernel, 'as-is')], { perm: [1, 0] });
      return this.value(this.b.op('MatMul', [this.ref(grad), wt]), x.shape);
    }
    const k: [number, number] = [kernel.shape[0], kernel.shape[1]];
    const geo = convGeometry(op, x.shape, k);
    const depthwise = op.type === 'depthwise';
    if (!depthwise && kernel.shape[3] > 1 && sameForEveryOutput(kernel, kernel.shape[3])) {
      // Every output channel has the same filter (the flat rule's ones): Σ_o convᵀ(g_o, w) = convᵀ(Σ_o g_o, w), one
      // filter instead of co: the full transposed conv into few channels (a grey-scale input) is slow on onnxruntime.
      const summed = this.b.op('ReduceSum', [this.ref(grad), this.b.ints([1])], { keepdims: 1 });
      const one = Float32Array.from({ length: size(kernel.shape) / kernel.shape[3] }, (_, i) =>
        valueAt(kernel, i * kernel.shape[3]),
      );
      return this.linearInputGradient(
        op,
        this.value(summed, [...grad.shape.slice(0, 3), 1]),
        { shape: [...kernel.shape.slice(0, 3), 1], nonNegative: false, data: one },
        x,
      );
    }
    if (!depthwise && op.strides[0] === 1 && op.strides[1] === 1 && geo.dilations[0] === 1 && geo.dilations[1] === 1) {
      // A stride-1 transposed conv is a plain conv with the flipped kernel (in/out swapped) and complementary pads;
      // onnxruntime's Conv path is much faster than its ConvTranspose. The flipped kernel is a Transpose and a
      // reversing Slice of the forward's initializer, folded by onnxruntime: the file holds each weight once.
      const [kh, kw] = kernel.shape;
      let wb = this.b.op('Transpose', [this.constantIn(kernel, 'oihw')], { perm: [1, 0, 2, 3] });
      if (kh > 1 || kw > 1)
        wb = this.b.op('Slice', [
          wb,
          this.b.ints([-1, -1]),
          this.b.ints([-kh - 1, -kw - 1]),
          this.b.ints([2, 3]),
          this.b.ints([-1, -1]),
        ]);
      const dx = this.b.op('Conv', [this.ref(grad), wb], {
        kernel_shape: k,
        strides: [1, 1],
        pads: flippedConvPads(geo),
      });
      return this.value(dx, x.shape);
    }
    const dx = this.b.op('ConvTranspose', [this.ref(grad), this.constantIn(kernel, depthwise ? 'depthwise' : 'oihw')], {
      kernel_shape: k,
      strides: op.strides,
      pads: geo.pads,
      dilations: geo.dilations,
      output_padding: transposeOutputPadding(geo),
      group: depthwise ? x.shape[3] : 1,
    });
    return this.value(dx, x.shape);
  }

  // Long: one short case per graph op type, each emitting that op's ONNX nodes; a table read by op type.
  forward(op: Op, inputs: Sym[]): Sym {
    const x = inputs[0];
    const nn = x?.nonNegative ?? false;
    switch (op.type) {
      case 'input':
        throw new Error('input nodes are fed, not computed');
      case 'dense':
      case 'conv2d':
      case 'depthwise':
        return this.linearForward(op, x, this.weight(op.kernel), op.bias ? this.weight(op.bias) : undefined);
      case 'batchnorm': {
        const c = x.shape[x.shape.length - 1];
        const vec = (t: tf.Tensor | undefined, fill: number) =>
          this.b.constant(t ? (t.dataSync() as Float32Array) : new Float32Array(c).fill(fill), [c], 'bn');
        if (x.shape.length !== 4 && x.shape.length !== 2)
          throw new OnnxUnsupported('batch norm on rank other than 2 or 4');
        return this.value(
          this.b.op(
            'BatchNormalization',
            [this.ref(x), vec(op.gamma, 1), vec(op.beta, 0), vec(op.mean, 0), vec(op.variance, 1)],
            { epsilon: { float: op.epsilon } },
          ),
          x.shape,
        );
      }
      case 'activation':
        return this.activation(op.fn, x, op.alpha, op.maxValue);
      case 'maxpool':
      case 'avgpool':
        return this.pool(op, x);
      case 'globalavgpool':
      case 'globalmaxpool': {
        if (op.type === 'globalmaxpool')
          return this.maxPool(x, [x.shape[1], x.shape[2]], [1, 1], [0, 0, 0, 0], [x.shape[0], x.shape[3]]);
        const p = this.b.op('GlobalAveragePool', [this.ref(x)]);
        return this.value(
          this.b.op('Reshape', [p, this.b.ints([x.shape[0], x.shape[3]])]),
          [x.shape[0], x.shape[3]],
          nn,
        );
      }
      case 'flatten':
        return this.toLogical(x, [x.shape[0], size(x.shape.slice(1))]);
      case 'reshape':
        return this.toLogical(x, [x.shape[0], ...op.targetShape]);
      case 'zeropad': {
        const [[t, bo], [l, r]] = op.padding;
        const pads = this.b.ints([0, 0, t, l, 0, 0, bo, r]);
        return this.value(
          this.b.op('Pad', [this.ref(x), pads]),
          [x.shape[0], x.shape[1] + t + bo, x.shape[2] + l + r, x.shape[3]],
          nn,
        );
      }
      case 'identity':
        return x;
      case 'add': {
        const sum = inputs.slice(1).reduce((acc, t) => this.add(acc, t), x);
        const same = (t: Sym) =>
          t.name !== undefined && !t.zero && t.shape.join() === sum.shape.join() && !t.plain === !sum.plain;
        if (inputs.length > 1 && sum.name && inputs.every(same)) sum.sumOf = inputs;
        return sum;
      }
      case 'concat': {
        const axis = op.axis < 0 ? x.shape.length + op.axis : op.axis;
        const physAxis = isImage(x) ? [0, 2, 3, 1][axis] : axis;
        const shape = [...x.shape];
        shape[axis] = inputs.reduce((a, t) => a + t.shape[axis], 0);
        return this.value(
          this.b.op(
            'Concat',
            inputs.map((t) => this.ref(t)),
            { axis: physAxis },
          ),
          shape,
          inputs.every((t) => t.nonNegative),
        );
      }
      case 'layernorm': {
        if (isImage(x)) throw new OnnxUnsupported('LayerNormalization on images');
        const d = x.shape[x.shape.length - 1];
        const vec = (t: tf.Tensor | undefined, fill: number) =>
          this.b.constant(t ? (t.dataSync() as Float32Array) : new Float32Array(d).fill(fill), [d], 'ln');
        return this.value(
          this.b.op('LayerNormalization', [this.ref(x), vec(op.gamma, 1), vec(op.beta, 0)], {
            axis: -1,
            epsilon: { float: op.epsilon },
          }),
          x.shape,
        );
      }
      case 'patches': {
        // Stored NCHW → [N, H/p, W/p, p, p, C] → tokens of p·p·C values (row, column, channel), as toPatches.
        const [n, h, w, c] = x.shape;
        const p = op.size;
        const six = this.b.op('Reshape', [this.ref(x), this.b.ints([n, c, h / p, p, w / p, p])]);
        const moved = this.b.op('Transpose', [six], { perm: [0, 2, 4, 3, 5, 1] });
        return this.value(
          this.b.op('Reshape', [moved, this.b.ints([n, (h / p) * (w / p), p * p * c])]),
          [n, (h / p) * (w / p), p * p * c],
          nn,
        );
      }
      case 'classtoken': {
        const [n, t, d] = x.shape;
        const token = this.b.op('Expand', [
          this.b.constant(op.token.dataSync() as Float32Array, [1, 1, d], 'token'),
          this.b.ints([n, 1, d]),
        ]);
        return this.value(this.b.op('Concat', [token, this.ref(x)], { axis: 1 }), [n, t + 1, d]);
      }
      case 'addweight':
        return this.add(x, this.weight(op.weight));
      case 'taketoken': {
        const [n, , d] = x.shape;
        const picked = this.b.op('Gather', [this.ref(x), this.b.ints([op.index])], { axis: 1 });
        return this.value(this.b.op('Reshape', [picked, this.b.ints([n, d])]), [n, d]);
      }
      case 'attention': {
        // Per head: softmax(s·Q·Kᵀ)·V on [N, H, T, d], then the heads merged back to [N, T, H·d] (graph/attention.ts).
        const [n, t, inner] = x.shape;
        const split = (v: Sym, perm: number[]) =>
          this.b.op('Transpose', [this.b.op('Reshape', [this.ref(v), this.b.ints([n, t, op.heads, op.headDim])])], {
            perm,
          });
        const scores = this.b.op('Mul', [
          this.b.op('MatMul', [split(inputs[0], [0, 2, 1, 3]), split(inputs[1], [0, 2, 3, 1])]),
          this.scalar(1 / Math.sqrt(op.headDim)),
        ]);
        const context = this.b.op('MatMul', [
          this.b.op('Softmax', [scores], { axis: -1 }),
          split(inputs[2], [0, 2, 1, 3]),
        ]);
        return this.value(
          this.b.op('Reshape', [this.b.op('Transpose', [context], { perm: [0, 2, 1, 3] }), this.b.ints([n, t, inner])]),
          [n, t, inner],
        );
      }
    }
  }

  private activation(fn: string, x: Sym, alpha?: number, maxValue?: number): Sym {
    const r = this.ref(x);
    const v = (name: string, nonNegative = false) => this.value(name, x.shape, nonNegative);
    switch (fn) {
      case 'linear':
        return x;
      case 'relu':
        return v(this.b.op('Relu', [r]), true);
      case 'relu6':
        return v(this.b.op('Clip', [r, this.scalar(0), this.scalar(maxValue ?? 6)]), true);
      case 'leakyRelu':
        return v(this.b.op('LeakyRelu', [r], { alpha: { float: alpha ?? 0.3 } }));
      case 'elu':
        return v(this.b.op('Elu', [r], { alpha: { float: alpha ?? 1 } }));
      case 'sigmoid':
        return v(this.b.op('Sigmoid', [r]), true);
      case 'tanh':
        return v(this.b.op('Tanh', [r]));
      case 'softmax':
        // Over the last logical axis, as tfjs's softmax: an image-shaped value stores its channels at axis 1.
        return v(this.b.op('Softmax', [r], { axis: isImage(x) ? 1 : -1 }), true);
      case 'gelu': {
        const erf = this.b.op('Erf', [this.b.op('Div', [r, this.scalar(Math.SQRT2)])]);
        return v(this.b.op('Mul', [this.b.op('Mul', [r, this.scalar(0.5)]), this.b.op('Add', [erf, this.scalar(1)])]));
      }
      default:
        throw new OnnxUnsupported(`activation ${fn}`);
    }
  }

  private pool(op: PoolOp, x: Sym): Sym {
    const g = convGeometry(op, x.shape, op.pool);
    const outShape = [x.shape[0], g.outH, g.outW, x.shape[3]];
    if (op.type === 'maxpool') return this.maxPool(x, op.pool, op.strides, g.pads, outShape);
    // Keras excludes padding from the average, as count_include_pad = 0 does.
    return this.value(
      this.b.op('AveragePool', [this.ref(x)], {
        kernel_shape: op.pool,
        strides: op.strides,
        pads: g.pads,
        count_include_pad: 0,
      }),
      outShape,
      x.nonNegative,
    );
  }

  /**
   * The forward max pool has no indices output: onnxruntime computes indices (int64, per element) even when nothing
   * reads them, which made pooling several times slower than the blocked kernel it otherwise uses. The relevance
   * pass asks for them separately (indicesOf).
   */
  private maxPool(x: Sym, k: [number, number], strides: [number, number], pads: number[], outShape: number[]): Sym {
    const y = this.b.op('MaxPool', [this.ref(x)], { kernel_shape: k, strides, pads });
    const out = outShape.length === 2 ? this.b.op('Reshape', [y, this.b.ints(outShape)]) : y;
    return this.value(out, outShape, x.nonNegative);
  }

  /** The pooling indices of x's first maxima, computed once per pooled value and geometry. */
  private indicesOf(x: Sym, k: number[], strides: number[], pads: number[]): string {
    const key = this.ref(x) + `@${k}/${strides}/${pads}`;
    let indices = this.poolIndices.get(key);
    if (!indices) {
      indices = this.b.opN('MaxPool', [this.ref(x)], 2, { kernel_shape: k, strides, pads })[1];
      this.poolIndices.set(key, indices);
    }
    return indices;
  }

  /** Reshapes with NHWC semantics whatever the stored layouts. */
  private toLogical(x: Sym, shape: number[]): Sym {
    let name = this.ref(x);
    if (isImage(x)) name = this.b.op('Transpose', [name], { perm: [0, 2, 3, 1] });
    name = this.b.op('Reshape', [name, this.b.ints(shape)]);
    if (shape.length === 4) name = this.b.op('Transpose', [name], { perm: [0, 3, 1, 2] });
    return this.value(name, shape, x.nonNegative);
  }

  /**
   * Sends r to the recorded first maxima (ONNX MaxPool indices keep the first maximum of a window). Windows that do
   * not overlap need no accumulation: MaxUnpool places each value; overlapping ones add up with ScatterElements.
   */
  private scatterToMaxima(
    x: Sym,
    r: Sym,
    overlapping: boolean,
    pool: number[],
    strides: number[],
    pads: number[],
  ): Sym {
    const indices = this.indicesOf(x, pool, strides, pads);
    const phys = this.physical(x);
    let rPhys = this.ref(r);
    if (r.shape.length === 2) rPhys = this.b.op('Reshape', [rPhys, this.b.ints([x.shape[0], x.shape[3], 1, 1])]);
    if (!overlapping) {
      const out = this.b.op('MaxUnpool', [rPhys, indices, this.b.ints(phys)], { kernel_shape: pool, strides, pads });
      return this.value(out, x.shape);
    }
    const flat = (name: string) => this.b.op('Reshape', [name, this.b.ints([-1])]);
    const zeros = this.b.op('Expand', [this.scalar(0), this.b.ints([size(x.shape)])]);
    const scattered = this.b.op('ScatterElements', [zeros, flat(indices), flat(rPhys)], { axis: 0, reduction: 'add' });
    return this.value(this.b.op('Reshape', [scattered, this.b.ints(phys)]), x.shape);
  }

  maxPoolRelevance(x: Sym, r: Sym, pool: [number, number], strides: [number, number], padding: Padding): Sym {
    const g = convGeometry({ strides, padding }, x.shape, pool);
    const overlapping = strides[0] < pool[0] || strides[1] < pool[1];
    return this.scatterToMaxima(x, r, overlapping, pool, strides, g.pads);
  }

  globalMaxPoolRelevance(x: Sym, r: Sym): Sym {
    const pool = [x.shape[1], x.shape[2]];
    return this.scatterToMaxima(x, r, false, pool, [1, 1], [0, 0, 0, 0]);
  }

  avgPoolInputGradient(op: PoolOp, grad: Sym, x: Sym): Sym {
    if (op.padding !== 'valid') throw new OnnxUnsupported("average pooling with 'same' padding");
    const c = x.shape[3];
    const [kh, kw] = op.pool;
    const g = convGeometry(op, x.shape, op.pool);
    const w = this.b.constant(new Float32Array(c * kh * kw).fill(1 / (kh * kw)), [c, 1, kh, kw], 'avg');
    return this.value(
      this.b.op('ConvTranspose', [this.ref(grad), w], {
        kernel_shape: op.pool,
        strides: op.strides,
        output_padding: transposeOutputPadding(g),
        group: c,
      }),
      x.shape,
    );
  }

  globalAvgPoolInputGradient(grad: Sym, x: Sym): Sym {
    const [n, h, w, c] = x.shape;
    const g = this.b.op('Reshape', [this.ref(grad), this.b.ints([n, c, 1, 1])]);
    return this.value(this.b.op('Mul', [g, this.scalar(1 / (h * w))]), [n, 1, 1, c]);
  }

  reshapeLike(r: Sym, x: Sym): Sym {
    return this.toLogical(r, x.shape);
  }

  unpad(r: Sym, x: Sym, padding: [[number, number], [number, number]]): Sym {
    const [n, h, w, c] = x.shape;
    const starts = this.b.ints([0, 0, padding[0][0], padding[1][0]]);
    const ends = this.b.ints([n, c, padding[0][0] + h, padding[1][0] + w]);
    return this.value(this.b.op('Slice', [this.ref(r), starts, ends]), x.shape);
  }

  splitLike(r: Sym, parts: Sym[], axis: number): Sym[] {
    const ax = axis < 0 ? r.shape.length + axis : axis;
    const physAxis = isImage(r) ? [0, 2, 3, 1][ax] : ax;
    const outs = this.b.opN('Split', [this.ref(r), this.b.ints(parts.map((p) => p.shape[ax]))], parts.length, {
      axis: physAxis,
    });
    return outs.map((name, i) => this.value(name, parts[i].shape));
  }

  unpatch(r: Sym, x: Sym, size: number): Sym {
    const [n, h, w, c] = x.shape;
    const p = size;
    const six = this.b.op('Reshape', [this.ref(r), this.b.ints([n, h / p, w / p, p, p, c])]);
    const moved = this.b.op('Transpose', [six], { perm: [0, 5, 1, 3, 2, 4] });
    return this.value(this.b.op('Reshape', [moved, this.b.ints([n, c, h, w])]), x.shape);
  }

  dropClassToken(r: Sym): Sym {
    const [n, t, d] = r.shape;
    return this.value(this.b.op('Slice', [this.ref(r), this.b.ints([1]), this.b.ints([t]), this.b.ints([1])]), [
      n,
      t - 1,
      d,
    ]);
  }

  placeToken(r: Sym, x: Sym, index: number): Sym {
    const [n, t, d] = x.shape;
    const row = this.b.op('Reshape', [this.ref(r), this.b.ints([n, 1, d])]);
    return this.value(this.b.op('Pad', [row, this.b.ints([0, index, 0, 0, t - index - 1, 0])]), x.shape);
  }
}
