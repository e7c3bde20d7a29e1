/**
 * LRP attribution of a model for a set of samples: input relevance, and the relevance of every component (conv
 * output channel summed over positions, dense neuron) of every conv/dense layer but the classifier. The initial
 * relevance is the one-hot target (method.md §1), optionally scaled by the target logit. Work runs in batches; every
 * tensor of a batch is freed before the next, and sums over positions are taken in float64 so that near-equal
 * scores rank as the reference's do.
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '../errors';
import type { Graph } from '../graph/graph';
import { forwardAll } from '../graph/forward';
import { tfAlgebra } from '../graph/tf-algebra';
import { argmaxRows } from '../models/evaluate';
import { batchesOf } from '../io/batches';
import type { RunControl } from '../progress';
import type { ComponentKind } from '../prune/catalogue';
import type { CompositeSpec } from './composites';
import {
  type BatchAttribution,
  type ComponentLayer,
  type ExplanationPlan,
  type InitMode,
  type LayerRule,
  disposePlan,
  planExplanation,
} from './explanation-plan';
import { propagate } from './propagate';
import { OnnxExplainer } from './onnx-explainer';
import { attemptOnnx } from '../onnx/executor-choice';

/** Explains batches on tfjs (the active backend). Dispose when done. */
export class Explainer {
  readonly componentLayers: ComponentLayer[];
  readonly layerRules: LayerRule[];
  private readonly prepared: ExplanationPlan;

  constructor(
    model: tf.LayersModel | Graph,
    readonly composite: CompositeSpec,
  ) {
    this.prepared = planExplanation(model, composite);
    this.componentLayers = this.prepared.componentLayers;
    this.layerRules = this.prepared.layerRules;
  }

  /** Explains one batch [n, ...inputShape]; targets default to the predicted classes. */
  explainBatch(x: tf.Tensor, targets?: Int32Array, init: InitMode = 'one-hot'): BatchAttribution {
    return explainOnTfjs(this.prepared, x, targets, init);
  }

  dispose(): void {
    disposePlan(this.prepared);
  }
}

/** Forward and relevance pass of one batch on tfjs; every tensor it makes is freed before it returns. */
function explainOnTfjs(
  prepared: ExplanationPlan,
  x: tf.Tensor,
  targets: Int32Array | undefined,
  init: InitMode,
): BatchAttribution {
  const n = x.shape[0];
  const A = tfAlgebra;
  let t: ArrayLike<number> = [];
  let outputRelevance: Float64Array = new Float64Array(n);
  // One scope for the forward and backward pass: everything but the returned maps is freed at its end.
  const { input, maps } = tf.tidy(() => {
    const acts = forwardAll(A, prepared.plan.graph, x);
    const logits = acts[prepared.plan.explained];
    const k = logits.shape[logits.rank - 1]!;
    const logitValues = logits.dataSync() as Float32Array;
    t = targets ?? argmaxRows(logitValues, k);
    const init0 = initialRelevance(logitValues, t, n, k, init);
    outputRelevance = init0.outputRelevance;
    const p = propagate(A, prepared.plan, acts, tf.tensor(init0.r0, logits.shape));
    // An MLP neuron's relevance is Σ_tokens |R| per sample (method.md §3); heads arrive as [N, heads] already.
    const readout = (c: ComponentLayer, r: tf.Tensor) => (c.kind === 'neuron' ? tf.abs(r) : r);
    return {
      input: p.input,
      maps: prepared.componentLayers.map((c) => readout(c, p.atNodes.get(c.node) ?? tf.zeros([n, c.size]))),
    };
  });
  const components = prepared.componentLayers.map((c, l) => sumOverPositions(maps[l].dataSync(), n, c.size));
  const inputValues = input.dataSync() as Float32Array;
  tf.dispose([input, ...maps]);
  return { input: inputValues, components, targets: Int32Array.from(t), outputRelevance };
}

/** One-hot relevance at each sample's target (scaled by the target logit for 'logit'); checks the targets. */
function initialRelevance(
  logits: Float32Array,
  targets: ArrayLike<number>,
  n: number,
  k: number,
  init: InitMode,
): { r0: Float32Array; outputRelevance: Float64Array } {
  const r0 = new Float32Array(n * k);
  const outputRelevance = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    const t = targets[s];
    if (t < 0 || t >= k)
      throw badInput(
        `target ${t} of sample ${s} is out of range for ${k} outputs`,
        `targets must be class indices 0…${k - 1}`,
      );
    const v = init === 'logit' ? logits[s * k + t] : 1;
    r0[s * k + t] = v;
    outputRelevance[s] = v;
  }
  return { r0, outputRelevance };
}

/** [n, …positions, c] relevance → per sample, per channel sums in float64. */
function sumOverPositions(v: ArrayLike<number>, n: number, c: number): Float64Array[] {
  const out = Array.from({ length: n }, () => new Float64Array(c));
  const per = v.length / n;
  for (let s = 0; s < n; s++) {
    const row = out[s];
    for (let i = 0; i < per; i++) row[i % c] += v[s * per + i];
  }
  return out;
}

export type Executor = 'onnx' | 'tfjs';
export type ExecutorPreference = 'auto' | Executor;

export interface AttributionResult {
  inputShape: number[];
  input: Float32Array;
  layers: { name: string; kind: ComponentKind; relevance: Float64Array[] }[];
  targets: Int32Array;
  outputRelevance: Float64Array;
  layerRules: LayerRule[];
  seconds: number;
  /** What ran the relevance pass, and why onnxruntime did not when it was wanted. */
  executor: Executor;
  executorNote?: string;
}

export interface AttributeOptions extends RunControl {
  targets?: Int32Array;
  init?: InitMode;
  batchSize?: number;
  /** auto: onnxruntime when it is installed and compiles the model, else tfjs. */
  executor?: ExecutorPreference;
}

/** One batch of samples [n, ...inputShape] row-major → its attribution, on one executor. */
type BatchRunner = (
  x: Float32Array,
  n: number,
  targets: Int32Array | undefined,
  init: InitMode,
) => Promise<BatchAttribution>;

async function chooseRunner(
  prepared: ExplanationPlan,
  inputShape: number[],
  batchSize: number,
  pref: ExecutorPreference,
): Promise<{ run: BatchRunner; executor: Executor; note?: string; close: () => Promise<void> }> {
  const { value: onnx, note } = await attemptOnnx(
    pref,
    async (ort) => {
      const explainer = new OnnxExplainer(prepared, inputShape, ort);
      // Compile now, so an op the ONNX path lacks falls back to tfjs before any work is done.
      await explainer.prepare(batchSize);
      return explainer;
    },
    { note: (e) => `onnxruntime cannot compile this model (${e.message}); ran on tfjs` },
  );
  if (onnx)
    return {
      run: (x, n, t, init) => onnx.explain(x, n, batchSize, t, init),
      executor: 'onnx',
      close: () => onnx.dispose(),
    };
  const explainer = new TfBatchRunner(prepared);
  return {
    run: (x, n, t, init) => explainer.explain(x, n, inputShape, t, init),
    executor: 'tfjs',
    note,
    close: async () => {},
  };
}

/** Explains every sample of x ([N, ...inputShape] row-major) in batches. */
export async function attribute(
  model: tf.LayersModel | Graph,
  composite: CompositeSpec,
  x: Float32Array,
  shape: number[],
  opts: AttributeOptions = {},
): Promise<AttributionResult> {
  const start = Date.now();
  const prepared = planExplanation(model, composite);
  const n = shape[0];
  const batchSize = Math.min(opts.batchSize ?? 32, n);
  const runner = await chooseRunner(prepared, shape.slice(1), batchSize, opts.executor ?? 'auto');
  try {
    const per = x.length / n;
    const input = new Float32Array(x.length);
    const layers = prepared.componentLayers.map((c) => ({
      name: c.name,
      kind: c.kind,
      relevance: [] as Float64Array[],
    }));
    const targets = new Int32Array(n);
    const outputRelevance = new Float64Array(n);
    for await (const batch of batchesOf({ x, shape }, batchSize, { signal: opts.signal })) {
      const { from, to } = batch;
      const b = await runner.run(batch.x, batch.size, opts.targets?.subarray(from, to), opts.init ?? 'one-hot');
      input.set(b.input, from * per);
      b.components.forEach((rows, l) => layers[l].relevance.push(...rows));
      targets.set(b.targets, from);
      outputRelevance.set(b.outputRelevance, from);
      opts.onProgress?.({ done: to, total: n, message: `relevance ${to}/${n}` });
    }
    return {
      inputShape: shape,
      input,
      layers,
      targets,
      outputRelevance,
      layerRules: prepared.layerRules,
      seconds: (Date.now() - start) / 1000,
      executor: runner.executor,
      ...(runner.note ? { executorNote: runner.note } : {}),
    };
  } finally {
    await runner.close();
    disposePlan(prepared);
  }
}

/** The tfjs executor over a prepared plan (the plan is disposed by its owner). */
class TfBatchRunner {
  constructor(private readonly prepared: ExplanationPlan) {}

  async explain(
    x: Float32Array,
    n: number,
    inputShape: number[],
    targets: Int32Array | undefined,
    init: InitMode,
  ): Promise<BatchAttribution> {
    const xb = tf.tensor(x, [n, ...inputShape]);
    try {
      return explainOnTfjs(this.prepared, xb, targets, init);
    } finally {
      xb.dispose();
    }
  }
}
