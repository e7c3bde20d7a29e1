/**
 * LRP compiled to one ONNX inference graph and run by onnxruntime: the same rule declarations and propagation as on
 * tfjs (they are written against an Algebra), emitted symbolically instead of computed. onnxruntime's convolutions
 * run several times faster than tfjs-wasm's and use every core. One graph per batch size and initialisation; a
 * short last batch is padded with zero samples whose results are dropped.
 */
import type * as Ort from 'onnxruntime-node';
import { forwardAll } from '../graph/forward';
import { type Graph, consumers } from '../graph/graph';
import { OnnxGraphBuilder } from '../onnx/graph-builder';
import { OnnxAlgebra } from '../onnx/onnx-algebra';
import { loadOnnxRuntime, ortThreads } from '../onnx/runtime';
import { badInput } from '../errors';
import type { BatchAttribution, ExplanationPlan, InitMode } from './explanation-plan';
import { propagate } from './propagate';

interface Compiled {
  session: Ort.InferenceSession;
  classes: number;
}

/** Builds the ONNX model of forward + relevance for `batch` samples. */
export function compileExplanation(
  prepared: ExplanationPlan,
  inputShape: number[],
  batch: number,
  opts: { predicted: boolean; init: InitMode },
): { bytes: Uint8Array; classes: number } {
  const b = new OnnxGraphBuilder();
  const A = new OnnxAlgebra(b);
  const shape = [batch, ...inputShape];
  const x = A.feed('x', shape);
  const acts = forwardAll(A, prepared.plan.graph, x);
  A.recomputeSums = true;
  const logits = acts[prepared.plan.explained];
  const k = logits.shape[1];
  let oneHot: string;
  if (opts.predicted) {
    // ArgMax keeps the first maximum: ties go to the lowest class, as everywhere else.
    const target = b.op('ArgMax', [A.ref(logits)], { axis: 1, keepdims: 0, select_last_index: 0 });
    b.output(target, { dtype: 'int64', shape: [batch] });
    oneHot = b.op(
      'OneHot',
      [target, b.constant(BigInt64Array.of(BigInt(k)), [], 'depth'), b.constant(Float32Array.of(0, 1), [2], 'onoff')],
      { axis: -1 },
    );
  } else {
    oneHot = b.input({ name: 'onehot', dtype: 'float32', shape: [batch, k] });
  }
  const r0 = opts.init === 'logit' ? b.op('Mul', [oneHot, A.ref(logits)]) : oneHot;
  b.output(A.ref(logits), { dtype: 'float32', shape: [batch, k] });
  const readAt = new Map(
    prepared.componentLayers.map((c) => [c.node, readoutNode(prepared.plan.graph, c.node, prepared.plan.explained)]),
  );
  const keep = new Set([...prepared.plan.keep, ...readAt.values()]);
  const p = propagate(A, { ...prepared.plan, keep }, acts, { name: r0, shape: [batch, k], nonNegative: false });
  const input = shape.length === 4 ? b.op('Transpose', [A.ref(p.input)], { perm: [0, 2, 3, 1] }) : A.ref(p.input);
  b.output(input, { dtype: 'float32', shape });
  for (const c of prepared.componentLayers) {
    const r = p.atNodes.get(readAt.get(c.node)!);
    const rShape = r?.shape ?? [batch, c.size];
    // Sums over positions in float64, so that near-equal scores rank as the reference's do.
    const value = r
      ? A.ref(r)
      : A.ref(A.fillLike({ shape: rShape, nonNegative: true, data: new Float32Array(batch * c.size) }, 0));
    // An MLP neuron's relevance is Σ_tokens |R| (method.md §3); heads arrive as [N, heads].
    let sum = b.op('Cast', [c.kind === 'neuron' ? b.op('Abs', [value]) : value], { to: 11 });
    if (rShape.length === 4) sum = b.op('ReduceSum', [sum, b.ints([2, 3])], { keepdims: 0 });
    else if (rShape.length === 3) sum = b.op('ReduceSum', [sum, b.ints([1])], { keepdims: 0 });
    b.output(sum, { dtype: 'float64', shape: [batch, c.size] });
  }
  return { bytes: b.encode(), classes: k };
}

/**
 * Where a component layer's relevance can be summed most cheaply with the same result. Relevance passes unchanged
 * through activations and un-merged batch norms, and a max pool with non-overlapping windows only places each
 * output's relevance at one input (all other positions get 0): the sum over positions at the pool's output has the
 * same addends as at the layer's output, on a map 4× smaller for 2×2 pooling.
 */
export function readoutNode(graph: Graph, node: number, explained: number): number {
  let at = node;
  for (;;) {
    const next = consumers(graph, at).filter((j) => j <= explained);
    if (next.length !== 1 || next[0] === explained) return node;
    const op = graph.nodes[next[0]].op;
    if (op.type === 'activation' || op.type === 'batchnorm' || op.type === 'identity') at = next[0];
    else if (op.type === 'maxpool' && op.strides[0] >= op.pool[0] && op.strides[1] >= op.pool[1]) return next[0];
    else return node;
  }
}

export class OnnxExplainer {
  private sessions = new Map<string, Promise<Compiled>>();

  constructor(
    private readonly prepared: ExplanationPlan,
    private readonly inputShape: number[],
    private readonly ort: typeof Ort,
    private readonly threads = ortThreads(),
  ) {}

  static available(): boolean {
    return loadOnnxRuntime().ort !== undefined;
  }

  private session(batch: number, predicted: boolean, init: InitMode): Promise<Compiled> {
    const key = `${batch}/${predicted}/${init}`;
    let s = this.sessions.get(key);
    if (!s) {
      const { bytes, classes } = compileExplanation(this.prepared, this.inputShape, batch, { predicted, init });
      s = this.ort.InferenceSession.create(bytes, {
        intraOpNumThreads: this.threads,
        graphOptimizationLevel: 'all',
        enableMemPattern: false,
      }).then((session) => ({ session, classes }));
      this.sessions.set(key, s);
    }
    return s;
  }

  /** Compiles and loads the graphs for one batch size (throws OnnxUnsupported for an op we cannot emit). */
  async prepare(batch: number): Promise<void> {
    await this.session(batch, true, 'one-hot');
  }

  /** Explains samples [n, ...inputShape] (n ≤ batch; the rest is zero padding). */
  async explain(
    x: Float32Array,
    n: number,
    batch: number,
    targets: Int32Array | undefined,
    init: InitMode,
  ): Promise<BatchAttribution> {
    const per = x.length / n;
    const { session, classes: k } = await this.session(batch, targets === undefined, init);
    const padded = new Float32Array(batch * per);
    padded.set(x);
    const feeds: Record<string, Ort.Tensor> = {
      x: new this.ort.Tensor('float32', padded, [batch, ...this.inputShape]),
    };
    const outNames = session.outputNames;
    const logitsName = outNames[targets === undefined ? 1 : 0];
    if (targets) {
      const oneHot = new Float32Array(batch * k);
      targets.forEach((t, s) => {
        if (t < 0 || t >= k)
          throw badInput(
            `target ${t} of sample ${s} is out of range for ${k} outputs`,
            `targets must be class indices 0…${k - 1}`,
          );
        oneHot[s * k + t] = 1;
      });
      feeds.onehot = new this.ort.Tensor('float32', oneHot, [batch, k]);
    }
    const out = await session.run(feeds);
    const logits = out[logitsName].data as Float32Array;
    const t = targets ?? Int32Array.from(Array.from(out[outNames[0]].data as BigInt64Array, Number).slice(0, n));
    const outputRelevance = Float64Array.from({ length: n }, (_, s) => (init === 'logit' ? logits[s * k + t[s]] : 1));
    const first = targets === undefined ? 3 : 2;
    const input = (out[outNames[first - 1]].data as Float32Array).slice(0, n * per);
    const components = this.prepared.componentLayers.map((c, l) => {
      const data = out[outNames[first + l]].data as Float64Array;
      return Array.from({ length: n }, (_, s) => data.slice(s * c.size, (s + 1) * c.size));
    });
    return { input, components, targets: Int32Array.from(t), outputRelevance };
  }

  async dispose(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).session.release();
    this.sessions.clear();
  }
}
