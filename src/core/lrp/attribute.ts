/**
 * LRP attribution of a model for a set of samples: input relevance, and the relevance of every component (conv
 * output channel summed over positions, dense neuron) of every conv/dense layer but the classifier. The initial
 * relevance is the one-hot target (method.md §1), optionally scaled by the target logit. Work runs in batches; every
 * tensor of a batch is freed before the next, and sums over positions are taken in float64 so that near-equal
 * scores rank as the reference's do.
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '../errors';
import { Graph, disposeGraph, graphFromModel, isLinear } from '../graph/graph';
import { forwardAll } from '../graph/forward';
import { tfAlgebra } from '../graph/tf-algebra';
import { argmaxRows } from '../models/evaluate';
import { RunControl, throwIfCancelled, yieldToEventLoop } from '../progress';
import { canonize, disposeCanonized } from './canonizers';
import { CompositeSpec, describeRule, ruleForLayer } from './composites';
import { PropagationPlan, propagate } from './propagate';
import { ruleFromSpec } from './rules';

export type ComponentKind = 'conv' | 'dense';

export interface ComponentLayer {
  node: number;
  name: string;
  kind: ComponentKind;
  /** Number of components (output channels / neurons). */
  size: number;
}

export interface LayerRule {
  name: string;
  rule: string;
}

export type InitMode = 'one-hot' | 'logit';

export interface BatchAttribution {
  /** Input relevance, same layout as the batch. */
  input: Float32Array;
  /** Per component layer: [sample][component] relevance, summed over positions in float64. */
  components: Float64Array[][];
  targets: Int32Array;
  /** Initial relevance per sample (1 for one-hot, the target logit for 'logit'). */
  outputRelevance: Float64Array;
}

/** Holds the canonized graph and the rule of every layer; explains batches. Dispose when done. */
export class Explainer {
  readonly componentLayers: ComponentLayer[];
  readonly layerRules: LayerRule[];
  private readonly plan: PropagationPlan;
  private readonly original: Graph;

  constructor(model: tf.LayersModel | Graph, readonly composite: CompositeSpec) {
    this.original = 'nodes' in model ? model : graphFromModel(model);
    const graph = canonize(this.original, composite.canonizers);
    let explained = graph.output;
    // We explain the logits: a final softmax is skipped.
    while (graph.nodes[explained].op.type === 'activation' && (graph.nodes[explained].op as { fn: string }).fn === 'softmax') explained = graph.nodes[explained].inputs[0];
    const linear = graph.nodes.map((n, i) => ({ n, i })).filter(({ n, i }) => isLinear(n.op) && i <= explained);
    if (linear.length === 0) throw badInput(`model has no conv or dense layer to explain`, 'PXP explains models built from conv and dense layers');
    const classifier = linear[linear.length - 1].i;
    const rules = graph.nodes.map(() => undefined as ReturnType<typeof ruleFromSpec> | undefined);
    this.layerRules = [];
    linear.forEach(({ n, i }, k) => {
      const spec = ruleForLayer(composite, { name: n.name, kind: n.op.type === 'dense' ? 'dense' : 'conv', isFirst: k === 0 });
      if (spec.rule === 'pass') throw badInput(`composite ${composite.name}: layer '${n.name}' has the pass rule`, 'pass only fits element-wise layers; give conv and dense layers an LRP rule');
      rules[i] = ruleFromSpec(spec);
      this.layerRules.push({ name: n.name, rule: describeRule(spec) });
    });
    this.componentLayers = linear
      .filter(({ i }) => i !== classifier)
      .map(({ n, i }) => {
        const kernel = (n.op as { kernel: tf.Tensor }).kernel;
        const size = n.op.type === 'depthwise' ? kernel.shape[2]! * kernel.shape[3]! : kernel.shape[kernel.rank - 1]!;
        return { node: i, name: n.name, kind: n.op.type === 'dense' ? 'dense' : 'conv', size };
      });
    this.plan = { graph, rules, explained, keep: new Set(this.componentLayers.map((c) => c.node)) };
  }

  /** Explains one batch [n, ...inputShape]; targets default to the predicted classes. */
  explainBatch(x: tf.Tensor, targets?: Int32Array, init: InitMode = 'one-hot'): BatchAttribution {
    const n = x.shape[0];
    const A = tfAlgebra;
    const logits = tf.tidy(() => forwardAll(A, this.plan.graph, x)[this.plan.explained]);
    const k = logits.shape[logits.rank - 1]!;
    const logitValues = logits.dataSync() as Float32Array;
    const t = targets ?? argmaxRows(logitValues, k);
    const { r0, outputRelevance } = initialRelevance(logitValues, t, n, k, init);
    // One scope for the forward and backward pass: everything but the returned maps is freed at its end.
    const { input, maps } = tf.tidy(() => {
      const acts = forwardAll(A, this.plan.graph, x);
      const rOut = tf.tensor(r0, logits.shape);
      const p = propagate(A, this.plan, acts, rOut);
      return { input: p.input, maps: this.componentLayers.map((c) => p.atNodes.get(c.node) ?? tf.zeros([n, c.size])) };
    });
    logits.dispose();
    const components = this.componentLayers.map((c, l) => sumOverPositions(maps[l].dataSync(), n, c.size));
    const inputValues = input.dataSync() as Float32Array;
    tf.dispose([input, ...maps]);
    return { input: inputValues, components, targets: Int32Array.from(t), outputRelevance };
  }

  dispose(): void {
    disposeCanonized(this.plan.graph, this.original);
    disposeGraph(this.original);
  }
}

/** One-hot relevance at each sample's target (scaled by the target logit for 'logit'); checks the targets. */
export function initialRelevance(logits: Float32Array, targets: ArrayLike<number>, n: number, k: number, init: InitMode): { r0: Float32Array; outputRelevance: Float64Array } {
  const r0 = new Float32Array(n * k);
  const outputRelevance = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    const t = targets[s];
    if (t < 0 || t >= k) throw badInput(`target ${t} of sample ${s} is out of range for ${k} outputs`, `targets must be class indices 0…${k - 1}`);
    const v = init === 'logit' ? logits[s * k + t] : 1;
    r0[s * k + t] = v;
    outputRelevance[s] = v;
  }
  return { r0, outputRelevance };
}

/** [n, …positions, c] relevance → per sample, per channel sums in float64. */
export function sumOverPositions(v: ArrayLike<number>, n: number, c: number): Float64Array[] {
  const out = Array.from({ length: n }, () => new Float64Array(c));
  const per = v.length / n;
  for (let s = 0; s < n; s++) {
    const row = out[s];
    for (let i = 0; i < per; i++) row[i % c] += v[s * per + i];
  }
  return out;
}

export interface AttributionResult {
  inputShape: number[];
  input: Float32Array;
  layers: { name: string; kind: ComponentKind; relevance: Float64Array[] }[];
  targets: Int32Array;
  outputRelevance: Float64Array;
  layerRules: LayerRule[];
  seconds: number;
}

export interface AttributeOptions extends RunControl {
  targets?: Int32Array;
  init?: InitMode;
  batchSize?: number;
}

/** Explains every sample of x ([N, ...inputShape] row-major) in batches. */
export async function attribute(model: tf.LayersModel | Graph, composite: CompositeSpec, x: Float32Array, shape: number[], opts: AttributeOptions = {}): Promise<AttributionResult> {
  const start = Date.now();
  const explainer = new Explainer(model, composite);
  try {
    const n = shape[0];
    const per = x.length / n;
    const batchSize = opts.batchSize ?? 32;
    const input = new Float32Array(x.length);
    const layers = explainer.componentLayers.map((c) => ({ name: c.name, kind: c.kind, relevance: [] as Float64Array[] }));
    const targets = new Int32Array(n);
    const outputRelevance = new Float64Array(n);
    for (let from = 0; from < n; from += batchSize) {
      throwIfCancelled(opts.signal);
      const to = Math.min(n, from + batchSize);
      const xb = tf.tensor(x.subarray(from * per, to * per), [to - from, ...shape.slice(1)]);
      try {
        const b = explainer.explainBatch(xb, opts.targets?.subarray(from, to), opts.init);
        input.set(b.input, from * per);
        b.components.forEach((rows, l) => layers[l].relevance.push(...rows));
        targets.set(b.targets, from);
        outputRelevance.set(b.outputRelevance, from);
      } finally {
        xb.dispose();
      }
      opts.onProgress?.({ done: to, total: n, message: `relevance ${to}/${n}` });
      await yieldToEventLoop();
    }
    return { inputShape: shape, input, layers, targets, outputRelevance, layerRules: explainer.layerRules, seconds: (Date.now() - start) / 1000 };
  } finally {
    explainer.dispose();
  }
}
