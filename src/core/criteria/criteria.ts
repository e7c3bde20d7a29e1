/**
 * Component scores (method.md §5): one number per component, summed over the reference samples, for every criterion
 * the paper compares. t is the sample's label, z the component layer's output before its activation and after its
 * batch norm, Σ_HW the sum over positions; sums in float64.
 *   lrp:<composite>       Σ_samples |Σ_HW R(z)|   (signed Σ when abs_sort is false)
 *   weight                L1 norm of the component's own weights
 *   activation            Σ_samples |Σ_HW z|
 *   gradient              Σ_samples |Σ_HW ∂y_t/∂z|
 *   taylor                Σ_samples |Σ_HW z·∂y_t/∂z|
 *   integrated-gradients  Σ_samples |Σ_HW IG(z)|, IG(z) = z · (1/32) Σ_{k=1..32} ∂y_t/∂z at (k/32)·z: the layer's own
 *                         output scaled from the zero baseline, the rest of the network unchanged (right Riemann sum)
 *   random                seeded uniform scores
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '../errors';
import { forwardAll } from '../graph/forward';
import type { Graph } from '../graph/graph';
import { tfAlgebra } from '../graph/tf-algebra';
import { batchesOf } from '../io/batches';
import type { Dataset } from '../io/datasets';
import { attribute, type ExecutorPreference } from '../lrp/attribute';
import type { InitMode } from '../lrp/explanation-plan';
import { loadComposite } from '../lrp/composites';
import type { ComponentLayerInfo } from '../prune/catalogue';
import { explainedNode } from '../prune/catalogue';
import { nodeShapes } from '../prune/masked-eval';
import type { RunControl } from '../progress';
import { mulberry32 } from '../random';

export const CRITERIA = [
  'lrp:<composite|file.json>',
  'weight',
  'activation',
  'gradient',
  'taylor',
  'integrated-gradients',
  'random',
] as const;
const IG_STEPS = 32;

export interface CriterionContext extends RunControl {
  graph: Graph;
  layers: ComponentLayerInfo[];
  reference: Dataset;
  seed?: number;
  /** For lrp: Σ|R| (default) or Σ R. */
  absSort?: boolean;
  /** For lrp: the initial relevance (default: the composite's `init`, else one-hot). */
  init?: InitMode;
  executor?: ExecutorPreference;
  batchSize?: number;
}

export interface CriterionScores {
  criterion: string;
  /** Per component layer, one score per component. */
  scores: Float64Array[];
  seconds: number;
  /** LRP criteria: the rule the composite gave each layer. */
  layerRules?: { name: string; rule: string }[];
}

/** Splits 'lrp:NAME' and validates the criterion name. */
export function parseCriterion(
  name: string,
):
  | { kind: 'lrp'; composite: string }
  | { kind: 'weight' | 'activation' | 'gradient' | 'taylor' | 'integrated-gradients' | 'random' } {
  if (name.startsWith('lrp:') && name.length > 4) return { kind: 'lrp', composite: name.slice(4) };
  if (name === 'lrp') return { kind: 'lrp', composite: 'epsilon-plus-flat' };
  if (['weight', 'activation', 'gradient', 'taylor', 'integrated-gradients', 'random'].includes(name))
    return { kind: name as 'weight' };
  throw badInput(`unknown criterion '${name}'`, `criteria: ${CRITERIA.join(', ')}`);
}

/** Per sample, Σ over positions (and over a head's channels: `width` consecutive channels per component). */
function addPerSample(
  into: Float64Array,
  values: ArrayLike<number>,
  n: number,
  c: number,
  absolute: boolean,
  width = 1,
): void {
  const per = values.length / n;
  const channels = c * width;
  const row = new Float64Array(c);
  for (let s = 0; s < n; s++) {
    row.fill(0);
    for (let i = 0; i < per; i++) row[Math.floor((i % channels) / width)] += values[s * per + i];
    for (let j = 0; j < c; j++) into[j] += absolute ? Math.abs(row[j]) : row[j];
  }
}

/** activation, gradient and taylor: z and ∂y_t/∂z at every component layer's mask node, summed per sample over positions. */
async function gradientScores(
  ctx: CriterionContext,
  kind: 'activation' | 'gradient' | 'taylor',
): Promise<Float64Array[]> {
  const { graph, layers, reference } = ctx;
  const shapes = nodeShapes(graph, reference.shape.slice(1));
  const scores = layers.map((l) => new Float64Array(l.size));
  const n = reference.y.length;
  const explained = explainedNode(graph);
  for await (const { x: rows, y, shape, size: m, to } of batchesOf(reference, ctx.batchSize ?? 32, {
    signal: ctx.signal,
  })) {
    tf.tidy(() => {
      const x = tf.tensor(rows, shape);
      // z itself only for activation and taylor; the gradient needs just zero offsets of z's shape.
      const zs = kind === 'gradient' ? [] : forwardAll(tfAlgebra, graph, x);
      const offsets = layers.map((l) => tf.zeros([m, ...shapes[l.maskNode]]));
      const targetLogit = (...deltas: tf.Tensor[]) => {
        const outs = forwardAll(tfAlgebra, graph, x, undefined, new Map(layers.map((l, i) => [l.maskNode, deltas[i]])));
        const logits = outs[explained];
        const k = logits.shape[logits.rank - 1]!;
        return tf.sum(tf.mul(logits, tf.oneHot(tf.tensor1d(y, 'int32'), k)));
      };
      const grads = kind === 'activation' ? [] : tf.grads(targetLogit)(offsets);
      layers.forEach((l, i) => {
        const v =
          kind === 'activation' ? zs[l.maskNode] : kind === 'gradient' ? grads[i] : tf.mul(zs[l.maskNode], grads[i]);
        addPerSample(scores[i], v.dataSync(), m, l.size, true, l.width);
      });
    });
    ctx.onProgress?.({ done: to, total: n, message: `${kind} ${to}/${n}` });
  }
  return scores;
}

/** Integrated gradients of the target logit with respect to each component layer's output, one layer at a time. */
async function integratedGradientScores(ctx: CriterionContext): Promise<Float64Array[]> {
  const { graph, layers, reference } = ctx;
  const scores = layers.map((l) => new Float64Array(l.size));
  const batch = ctx.batchSize ?? 32;
  const explained = explainedNode(graph);
  const total = layers.length * Math.ceil(reference.y.length / batch);
  let done = 0;
  for (const [li, layer] of layers.entries()) {
    for await (const { x: rows, y, shape, size: m } of batchesOf(reference, batch, { signal: ctx.signal })) {
      tf.tidy(() => {
        const x = tf.tensor(rows, shape);
        const z = forwardAll(tfAlgebra, graph, x)[layer.maskNode];
        const onehot = (k: number) => tf.oneHot(tf.tensor1d(y, 'int32'), k);
        let sum = tf.zerosLike(z);
        for (let k = 1; k <= IG_STEPS; k++) {
          // The layer's output becomes (k/m)·z + δ; the gradient at δ = 0 is ∂y_t/∂z on the path.
          const scale = new Map([[layer.maskNode, tf.scalar(k / IG_STEPS)]]);
          const g = tf.grad((delta: tf.Tensor) => {
            const logits = forwardAll(tfAlgebra, graph, x, scale, new Map([[layer.maskNode, delta]]))[explained];
            return tf.sum(tf.mul(logits, onehot(logits.shape[logits.rank - 1]!)));
          })(tf.zerosLike(z));
          const next = tf.add(sum, g);
          sum.dispose();
          sum = next;
        }
        addPerSample(scores[li], tf.mul(z, tf.div(sum, IG_STEPS)).dataSync(), m, layer.size, true, layer.width);
      });
      ctx.onProgress?.({ done: ++done, total, message: `integrated gradients: ${layer.name}` });
    }
  }
  return scores;
}

function weightScores(layers: ComponentLayerInfo[], graph: Graph): Float64Array[] {
  return layers.map((l) => {
    if (l.kind === 'head') return headWeightScores(l, graph);
    const kernel = (graph.nodes[l.node].op as { kernel: tf.Tensor }).kernel;
    const v = kernel.dataSync();
    const out = new Float64Array(l.size);
    // The output unit is the kernel's last axis (depthwise: input channel × multiplier, the last two).
    for (let i = 0; i < v.length; i++) out[i % l.size] += Math.abs(v[i]);
    return out;
  });
}

/** A head's own incoming weights (method.md §5): its columns of the q, k and v kernels (L1), as a conv filter's. */
function headWeightScores(l: ComponentLayerInfo, graph: Graph): Float64Array {
  const out = new Float64Array(l.size);
  for (const input of graph.nodes[l.node].inputs) {
    const v = (graph.nodes[input].op as { kernel: tf.Tensor }).kernel.dataSync(); // [D, heads·d]: channel = index mod heads·d
    for (let i = 0; i < v.length; i++) out[Math.floor((i % (l.size * l.width)) / l.width)] += Math.abs(v[i]);
  }
  return out;
}

export async function componentScores(criterion: string, ctx: CriterionContext): Promise<CriterionScores> {
  const start = Date.now();
  const c = parseCriterion(criterion);
  let scores: Float64Array[];
  let layerRules: CriterionScores['layerRules'];
  switch (c.kind) {
    case 'lrp': {
      const names = ctx.layers.map((l) => l.name);
      const composite = loadComposite(
        c.composite,
        ctx.graph.nodes.filter((n) => ['dense', 'conv2d', 'depthwise'].includes(n.op.type)).map((n) => n.name),
      );
      const r = await attribute(ctx.graph, composite, ctx.reference.x, ctx.reference.shape, {
        targets: ctx.reference.y,
        init: ctx.init ?? composite.init,
        batchSize: ctx.batchSize,
        executor: ctx.executor,
        onProgress: ctx.onProgress,
        signal: ctx.signal,
      });
      layerRules = r.layerRules;
      scores = names.map((name) => {
        const layer = r.layers.find((l) => l.name === name)!;
        const out = new Float64Array(layer.relevance[0]?.length ?? 0);
        const abs = ctx.absSort ?? composite.absSort ?? true;
        for (const row of layer.relevance)
          for (let j = 0; j < out.length; j++) out[j] += abs ? Math.abs(row[j]) : row[j];
        return out;
      });
      break;
    }
    case 'weight':
      scores = weightScores(ctx.layers, ctx.graph);
      break;
    case 'random': {
      const rng = mulberry32(ctx.seed ?? 0);
      scores = ctx.layers.map((l) => Float64Array.from({ length: l.size }, () => rng()));
      break;
    }
    case 'integrated-gradients':
      scores = await integratedGradientScores(ctx);
      break;
    default:
      scores = await gradientScores(ctx, c.kind);
  }
  return { criterion, scores, seconds: (Date.now() - start) / 1000, ...(layerRules ? { layerRules } : {}) };
}
