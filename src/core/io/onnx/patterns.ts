/**
 * Subgraphs of PyTorch's ONNX exports that stand for one engine op (onnx.md, "Patterns"):
 *   GELU       Div(x, √2) → Erf → Add 1 → Mul x → Mul 0.5 (either order of the last two);
 *   LayerNorm  ReduceMean → Sub → Pow 2 → ReduceMean → Add ε → Sqrt → Div → Mul γ → Add β (opset 16 and before);
 *   attention  torchvision's nn.MultiheadAttention (batch_first, need_weights=False): Transpose → MatMul(in_projᵀ)
 *              → Add(in_proj_bias) → three Slices → per q/k/v Reshape [T, N·heads, d] → Transpose → q scaled by
 *              1/√d → MatMul(q, kᵀ) → Softmax → MatMul(·, v) → Transpose → Reshape → Gemm(out_proj) → Reshape →
 *              Transpose, which becomes the engine's dense q, k, v → attention(heads, d) → dense out.
 * A pattern is matched by walking from its anchor op (Erf, ReduceMean, Softmax) and checking every node on the way;
 * anything that does not fit leaves the nodes to the plain converter, which then names what it cannot read.
 */
import * as tf from '@tensorflow/tfjs';
import type { Op } from '../../graph/graph';
import type { ConstTensor, NodeProto } from './onnx-file';
import { axisOf, size, transposeConst } from './const-ops';
import { modulePath, parameterOwner } from './module-path';
import type { AxisLink } from './provenance';
import { type GraphFacts, attributes } from './shape-inference';
import type { WeightSink } from './weights';

export interface PatternNode {
  name: string;
  className: string;
  op: Op;
  /** 'i' for the pattern's i-th input, '#k' for the k-th node emitted before this one. */
  inputs: string[];
  links?: AxisLink[];
}

/** ONNX nodes whose constant inputs must be rewritten when heads are removed (reshape targets, slice bounds). */
export interface HeadShapeRewrite {
  node: number;
  input: number;
  /** The new constant from the number of heads kept. */
  make: (heads: number) => number[];
}

export interface Replacement {
  kind: 'gelu' | 'layernorm' | 'attention';
  name: string;
  /** ONNX nodes the pattern covers; the converter skips them. */
  nodes: number[];
  /** ONNX values the pattern reads. */
  inputs: string[];
  output: string;
  emit: PatternNode[];
  rewrites?: HeadShapeRewrite[];
}

type Consumers = (value: string) => number[];

class Walker {
  readonly producer = new Map<string, number>();

  constructor(
    readonly nodes: NodeProto[],
    readonly facts: GraphFacts,
    readonly consumers: Consumers,
    readonly weights: WeightSink,
  ) {
    nodes.forEach((n, k) => n.output.forEach((o) => this.producer.set(o, k)));
  }

  node(value: string, op?: string): number | undefined {
    const k = this.producer.get(value);
    if (k === undefined || (op && this.nodes[k].opType !== op)) return undefined;
    return k;
  }

  /** Nodes that read a value's data (Shape and Size read only its shape, which is folded away). */
  users(value: string): number[] {
    return this.consumers(value).filter((k) => this.nodes[k].opType !== 'Shape' && this.nodes[k].opType !== 'Size');
  }

  /** The single reader of a value's data, if it is one node (of the given op). */
  only(value: string, op?: string): number | undefined {
    const c = this.users(value);
    if (c.length !== 1 || (op && this.nodes[c[0]].opType !== op)) return undefined;
    return c[0];
  }

  constant(value: string | undefined): ConstTensor | undefined {
    return value === undefined ? undefined : this.facts.values.get(value)?.value;
  }

  scalar(value: string | undefined): number | undefined {
    const c = this.constant(value);
    return c && size(c.dims) === 1 ? c.data[0] : undefined;
  }

  /** For a binary node with one constant scalar operand: [the other input, the scalar]. */
  withScalar(k: number): [string, number] | undefined {
    const [a, b] = this.nodes[k].input;
    const sb = this.scalar(b);
    if (sb !== undefined && !this.constant(a)) return [a, sb];
    const sa = this.scalar(a);
    if (sa !== undefined && !this.constant(b)) return [b, sa];
    return undefined;
  }

  shape(value: string): number[] {
    return this.facts.values.get(value)!.shape;
  }

  perm(k: number): string | undefined {
    const p = attributes(this.nodes[k], '').get('perm');
    return Array.isArray(p) ? (p as number[]).join(',') : undefined;
  }
}

const near = (a: number, b: number, tol = 1e-5) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

export function findPatterns(
  nodes: NodeProto[],
  facts: GraphFacts,
  consumers: Consumers,
  file: string,
  weights: WeightSink,
): Map<number, Replacement> {
  const w = new Walker(nodes, facts, consumers, weights);
  const out = new Map<number, Replacement>();
  const taken = new Set<number>();
  const keep = (r: Replacement | undefined) => {
    if (!r || r.nodes.some((k) => taken.has(k))) return;
    r.nodes.forEach((k) => taken.add(k));
    out.set(Math.max(...r.nodes), r);
  };
  nodes.forEach((n, k) => {
    if (n.opType === 'Softmax') keep(attention(w, k));
    if (n.opType === 'Erf') keep(gelu(w, k));
    if (n.opType === 'ReduceMean') keep(layerNorm(w, k, file));
  });
  return out;
}

function gelu(w: Walker, erf: number): Replacement | undefined {
  const div = w.node(w.nodes[erf].input[0]);
  if (div === undefined) return undefined;
  const d = w.withScalar(div);
  const op = w.nodes[div].opType;
  if (!d || !((op === 'Div' && near(d[1], Math.SQRT2)) || (op === 'Mul' && near(d[1], Math.SQRT1_2)))) return undefined;
  const x = d[0];
  const add = w.only(w.nodes[erf].output[0], 'Add');
  if (add === undefined || !near(w.withScalar(add)?.[1] ?? NaN, 1)) return undefined;
  // Then ·x and ·0.5, in either order.
  const first = w.only(w.nodes[add].output[0], 'Mul');
  if (first === undefined) return undefined;
  const second = w.only(w.nodes[first].output[0], 'Mul');
  if (second === undefined) return undefined;
  const byX = (k: number, other: string) => w.nodes[k].input.includes(x) && w.nodes[k].input.includes(other);
  const half = (k: number) => near(w.withScalar(k)?.[1] ?? NaN, 0.5);
  const ok =
    (byX(first, w.nodes[add].output[0]) && half(second)) || (half(first) && byX(second, w.nodes[first].output[0]));
  if (!ok || w.users(w.nodes[div].output[0]).length !== 1) return undefined;
  const name = modulePath(w.nodes[erf].name) ?? `gelu_${erf}`;
  return {
    kind: 'gelu',
    name,
    nodes: [div, erf, add, first, second],
    inputs: [x],
    output: w.nodes[second].output[0],
    emit: [{ name, className: 'GELU', op: { type: 'activation', fn: 'gelu' }, inputs: ['0'] }],
  };
}

function layerNorm(w: Walker, mean1: number, file: string): Replacement | undefined {
  const x = w.nodes[mean1].input[0];
  const rank = w.shape(x).length;
  const lastAxisOnly = (k: number) => {
    const attrs = attributes(w.nodes[k], file);
    const axes = (w.constant(w.nodes[k].input[1])?.data ?? (attrs.get('axes') as number[] | undefined)) as
      ArrayLike<number> | undefined;
    return axes !== undefined && axes.length === 1 && axisOf(axes[0], rank) === rank - 1 && attrs.get('keepdims') !== 0;
  };
  if (!lastAxisOnly(mean1)) return undefined;
  const sub = w.only(w.nodes[mean1].output[0], 'Sub');
  if (sub === undefined || w.nodes[sub].input[0] !== x) return undefined;
  const centred = w.nodes[sub].output[0];
  const users = w.users(centred);
  const pow = users.find((k) => w.nodes[k].opType === 'Pow');
  const div = users.find((k) => w.nodes[k].opType === 'Div');
  if (pow === undefined || div === undefined || users.length !== 2 || !near(w.scalar(w.nodes[pow].input[1]) ?? NaN, 2))
    return undefined;
  const mean2 = w.only(w.nodes[pow].output[0], 'ReduceMean');
  if (mean2 === undefined || !lastAxisOnly(mean2)) return undefined;
  const addEps = w.only(w.nodes[mean2].output[0], 'Add');
  const eps = addEps === undefined ? undefined : w.withScalar(addEps)?.[1];
  if (addEps === undefined || eps === undefined) return undefined;
  const sqrt = w.only(w.nodes[addEps].output[0], 'Sqrt');
  if (sqrt === undefined || w.nodes[div].input[1] !== w.nodes[sqrt].output[0]) return undefined;
  const covered = [mean1, sub, pow, mean2, addEps, sqrt, div];
  let last = div;
  const width = w.shape(x)[rank - 1];
  const vectorOperand = (k: number, op: string): ConstTensor | undefined => {
    if (w.nodes[k].opType !== op) return undefined;
    const c = w.constant(w.nodes[k].input.find((i) => w.constant(i)));
    return c && size(c.dims) === width ? c : undefined;
  };
  let gamma: ConstTensor | undefined;
  let beta: ConstTensor | undefined;
  const mul = w.only(w.nodes[last].output[0]);
  if (mul !== undefined && (gamma = vectorOperand(mul, 'Mul'))) {
    covered.push(mul);
    last = mul;
  }
  const add = w.only(w.nodes[last].output[0]);
  if (add !== undefined && (beta = vectorOperand(add, 'Add'))) {
    covered.push(add);
    last = add;
  }
  const name = modulePath(w.nodes[mean1].name) ?? `layernorm_${mean1}`;
  const vec = (c: ConstTensor | undefined) =>
    c ? (w.weights.tensor([c.data.length], () => Float32Array.from(c.data)) as tf.Tensor1D) : undefined;
  return {
    kind: 'layernorm',
    name,
    nodes: covered,
    inputs: [x],
    output: w.nodes[last].output[0],
    emit: [
      {
        name,
        className: 'LayerNormalization',
        op: { type: 'layernorm', gamma: vec(gamma), beta: vec(beta), epsilon: eps },
        inputs: ['0'],
      },
    ],
  };
}

/** Walks back from `value` through Transpose and Reshape nodes to a Slice of the fused projection. */
function headPath(w: Walker, value: string, covered: number[]): { slice: number; reshape: number } | undefined {
  let v = value;
  let reshape: number | undefined;
  for (let steps = 0; steps < 4; steps++) {
    const k = w.node(v);
    if (k === undefined) return undefined;
    const op = w.nodes[k].opType;
    if (op === 'Slice') return reshape === undefined ? undefined : { slice: k, reshape };
    if (op !== 'Transpose' && op !== 'Reshape') return undefined;
    if (op === 'Reshape') reshape = k;
    covered.push(k);
    v = w.nodes[k].input[0];
  }
  return undefined;
}

type HeadPath = NonNullable<ReturnType<typeof headPath>>;

/**
 * softmax(s·Q·Kᵀ)·V around a Softmax over the last axis: the scale (before or after the product), the three head paths
 * back to their Slices of the fused projection, and the A·V MatMul.
 */
function attentionCore(
  w: Walker,
  softmax: number,
  covered: number[],
): { scale: number; q: HeadPath; k: HeadPath; v: HeadPath; av: number } | undefined {
  const n = w.nodes;
  const sm = n[softmax];
  if (
    axisOf((attributes(sm, '').get('axis') as number | undefined) ?? -1, w.shape(sm.input[0]).length) !==
    w.shape(sm.input[0]).length - 1
  )
    return undefined;
  // Scores: MatMul(q·s, kᵀ), possibly with the scale after the product.
  let scale = 1;
  let scores = w.node(sm.input[0]);
  if (scores === undefined) return undefined;
  const scaleOf = (k: number) => {
    const s = w.withScalar(k);
    if (!s) return undefined;
    return { x: s[0], s: n[k].opType === 'Div' ? 1 / s[1] : n[k].opType === 'Mul' ? s[1] : NaN };
  };
  if (n[scores].opType === 'Div' || n[scores].opType === 'Mul') {
    const s = scaleOf(scores);
    if (!s || !Number.isFinite(s.s)) return undefined;
    scale *= s.s;
    covered.push(scores);
    scores = w.node(s.x);
    if (scores === undefined) return undefined;
  }
  if (n[scores].opType !== 'MatMul') return undefined;
  covered.push(scores);
  let qValue = n[scores].input[0];
  const qScale = w.node(qValue);
  if (qScale !== undefined && (n[qScale].opType === 'Div' || n[qScale].opType === 'Mul')) {
    const s = scaleOf(qScale);
    if (!s || !Number.isFinite(s.s)) return undefined;
    scale *= s.s;
    covered.push(qScale);
    qValue = s.x;
  }
  const q = headPath(w, qValue, covered);
  const k = headPath(w, n[scores].input[1], covered);
  const av = w.only(sm.output[0], 'MatMul');
  if (!q || !k || av === undefined || n[av].input[0] !== sm.output[0]) return undefined;
  covered.push(av);
  const v = headPath(w, n[av].input[1], covered);
  return v ? { scale, q, k, v, av } : undefined;
}

/** The projection all three heads' paths slice: Add(bias, MatMul(xᵀ, W)) with x [N, T, D] transposed to [T, N, D]. */
function fusedInProjection(w: Walker, q: HeadPath, k: HeadPath, v: HeadPath, covered: number[]) {
  const n = w.nodes;
  const proj = n[q.slice].input[0];
  if (n[k.slice].input[0] !== proj || n[v.slice].input[0] !== proj) return undefined;
  covered.push(q.slice, k.slice, v.slice);
  const addB = w.node(proj, 'Add');
  if (addB === undefined) return undefined;
  const biasIn = n[addB].input.findIndex((i) => w.constant(i));
  const mm = w.node(n[addB].input[1 - biasIn], 'MatMul');
  if (biasIn < 0 || mm === undefined) return undefined;
  const wIn = w.constant(n[mm].input[1]);
  const bIn = w.constant(n[addB].input[biasIn]);
  const tIn = w.node(n[mm].input[0], 'Transpose');
  if (!wIn || !bIn || tIn === undefined || w.perm(tIn) !== '1,0,2') return undefined;
  covered.push(addB, mm, tIn);
  return { addB, biasIn, mm, wIn, bIn, x: n[tIn].input[0] };
}

/** The heads merged and projected out: MatMul(A, V) → Transpose → Reshape [T·N, inner] → Gemm(out_proj) → Reshape [T, N, D] → Transpose, back to `xShape`. */
function outProjection(w: Walker, av: number, xShape: number[], covered: number[]) {
  const n = w.nodes;
  const t1 = w.only(n[av].output[0], 'Transpose');
  const r1 = t1 === undefined ? undefined : w.only(n[t1].output[0], 'Reshape');
  const gemm = r1 === undefined ? undefined : w.only(n[r1].output[0], 'Gemm');
  const r2 = gemm === undefined ? undefined : w.only(n[gemm].output[0], 'Reshape');
  const t2 = r2 === undefined ? undefined : w.only(n[r2].output[0], 'Transpose');
  if (t1 === undefined || r1 === undefined || gemm === undefined || r2 === undefined || t2 === undefined)
    return undefined;
  if (w.perm(t1) !== '1,0,2' || w.perm(t2) !== '1,0,2' || w.shape(n[t2].output[0]).join() !== xShape.join())
    return undefined;
  const gAttrs = attributes(n[gemm], '');
  const wOut = w.constant(n[gemm].input[1]);
  const bOut = w.constant(n[gemm].input[2]);
  if (
    !wOut ||
    !bOut ||
    gAttrs.get('transA') === 1 ||
    (gAttrs.get('alpha') ?? 1) !== 1 ||
    (gAttrs.get('beta') ?? 1) !== 1
  )
    return undefined;
  covered.push(t1, r1, gemm, r2, t2);
  return { r1, gemm, wOut, bOut, outT: gAttrs.get('transB') === 1, output: n[t2].output[0] };
}

/** The dense layer of the q, k or v third (`i`: 0, 1, 2) of a fused in-projection, linked to its columns and bias. */
function inProjection(
  w: Walker,
  name: string,
  i: number,
  p: NonNullable<ReturnType<typeof fusedInProjection>>,
): PatternNode {
  const { addB, biasIn, mm, wIn, bIn } = p;
  const [dIn, three] = wIn.dims;
  const inner = three / 3;
  const from = i * inner;
  const kernel = w.weights.tensor([dIn, inner], () => {
    const data = new Float32Array(dIn * inner);
    for (let r = 0; r < dIn; r++) for (let j = 0; j < inner; j++) data[r * inner + j] = wIn.data[r * three + from + j];
    return data;
  });
  const bias = w.weights.tensor([inner], () => Float32Array.from(bIn.data.subarray(from, from + inner)));
  return {
    name,
    className: 'MultiheadAttention',
    op: { type: 'dense', kernel: kernel as tf.Tensor2D, bias: bias as tf.Tensor1D },
    inputs: ['0'],
    links: [
      { node: mm, input: 1, axis: 1, follows: 'out', offset: from },
      { node: addB, input: biasIn, axis: 0, follows: 'out', offset: from },
    ],
  };
}

/**
 * With heads removed: reshapes to [T, N·heads', d] and [T·N, heads'·d], and constant slice bounds of the thirds
 * (bounds that do not depend on the batch: constants are right whether the export computed them or baked them in).
 */
function headRewrites(paths: HeadPath[], r1: number, tokens: number, headDim: number): HeadShapeRewrite[] {
  const rewrites: HeadShapeRewrite[] = paths.map((p) => ({
    node: p.reshape,
    input: 1,
    make: () => [tokens, -1, headDim],
  }));
  rewrites.push({ node: r1, input: 1, make: (h) => [-1, h * headDim] });
  paths.forEach((p, i) =>
    rewrites.push(
      { node: p.slice, input: 1, make: (h) => [i * h * headDim] },
      { node: p.slice, input: 2, make: (h) => [(i + 1) * h * headDim] },
    ),
  );
  return rewrites;
}

function attention(w: Walker, softmax: number): Replacement | undefined {
  const n = w.nodes;
  const covered: number[] = [softmax];
  const core = attentionCore(w, softmax, covered);
  if (!core) return undefined;
  const { scale, q, k, v, av } = core;
  const inProj = fusedInProjection(w, q, k, v, covered);
  if (!inProj) return undefined;
  const { wIn, x } = inProj;
  const [batch, tokens, width] = w.shape(x);
  const [dIn, three] = wIn.dims;
  if (wIn.dims.length !== 2 || dIn !== width || three % 3 !== 0) return undefined;
  const inner = three / 3;
  // Heads from the q reshape [T, N·heads, d] (at the analysed batch).
  const qShape = w.shape(n[q.reshape].output[0]);
  if (qShape.length !== 3 || qShape[0] !== tokens || qShape[1] % batch !== 0) return undefined;
  const heads = qShape[1] / batch;
  const headDim = qShape[2];
  if (heads * headDim !== inner || !near(scale, 1 / Math.sqrt(headDim), 1e-4)) return undefined;
  const sliceStart = (s: number) => w.constant(n[s].input[1])?.data[0];
  if (sliceStart(q.slice) !== 0 || sliceStart(k.slice) !== inner || sliceStart(v.slice) !== 2 * inner) return undefined;
  const out = outProjection(w, av, [batch, tokens, width], covered);
  if (!out) return undefined;
  const { r1, gemm, wOut, bOut, outT } = out;
  const outDims = outT ? [wOut.dims[1], wOut.dims[0]] : wOut.dims;
  const name =
    modulePath(n[softmax].name) ??
    parameterOwner(n[gemm].input[1])?.replace(/\.out_proj$/, '') ??
    `attention_${softmax}`;
  const projection = (p: 'q' | 'k' | 'v', i: number) => inProjection(w, `${name}/${p}`, i, inProj);
  const rewrites = headRewrites([q, k, v], r1, tokens, headDim);
  return {
    kind: 'attention',
    name,
    nodes: covered,
    inputs: [x],
    output: out.output,
    emit: [
      projection('q', 0),
      projection('k', 1),
      projection('v', 2),
      { name, className: 'MultiheadAttention', op: { type: 'attention', heads, headDim }, inputs: ['#0', '#1', '#2'] },
      {
        name: `${name}/out`,
        className: 'MultiheadAttention',
        op: {
          type: 'dense',
          kernel: w.weights.tensor(outDims, () =>
            Float32Array.from((outT ? transposeConst(wOut, [1, 0]) : wOut).data),
          ) as tf.Tensor2D,
          bias: w.weights.tensor([bOut.data.length], () => Float32Array.from(bOut.data)) as tf.Tensor1D,
        },
        inputs: ['#3'],
        links: [{ node: gemm, input: 1, axis: outT ? 1 : 0, follows: 'in' }],
      },
    ],
    rewrites,
  };
}
