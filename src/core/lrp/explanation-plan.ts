/**
 * A model prepared for LRP, shared by both executors: the canonized graph, the rule of every linear layer (z-box
 * bounds moved into normalized input space), the component layers, and the batch result both executors return.
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '../errors';
import { type Graph, disposeGraph, graphFromModel, isLinear } from '../graph/graph';
import { type ComponentNode, componentNodes } from '../prune/catalogue';
import { canonize, disposeCanonized } from './canonizers';
import { type CompositeSpec, ruleForLayer } from './composites';
import type { PropagationPlan } from './propagate';
import { describeRule, ruleFromSpec } from './rule-table';
import { zBoxRule } from './rules';

/** A component layer (catalogue.ts): conv channels, dense neurons, attention heads or MLP neurons. */
export type ComponentLayer = ComponentNode;

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

/** A model prepared for LRP: the canonized graph, the rule of every linear layer, the component layers. */
export interface ExplanationPlan {
  plan: PropagationPlan;
  componentLayers: ComponentLayer[];
  layerRules: LayerRule[];
  /** The graph before canonizers. */
  original: Graph;
  /** Whether the plan built `original` itself (from a LayersModel) and so frees it. */
  ownsOriginal: boolean;
}

export function planExplanation(model: tf.LayersModel | Graph, composite: CompositeSpec): ExplanationPlan {
  const original = 'nodes' in model ? model : graphFromModel(model);
  const graph = canonize(original, composite.canonizers);
  let explained = graph.output;
  // We explain the logits: a final softmax is skipped.
  while (
    graph.nodes[explained].op.type === 'activation' &&
    (graph.nodes[explained].op as { fn: string }).fn === 'softmax'
  )
    explained = graph.nodes[explained].inputs[0];
  const linear = graph.nodes.map((n, i) => ({ n, i })).filter(({ n, i }) => isLinear(n.op) && i <= explained);
  if (linear.length === 0)
    throw badInput(
      `model has no conv or dense layer to explain`,
      'PXP explains models built from conv and dense layers',
    );
  const rules = graph.nodes.map(() => undefined as ReturnType<typeof ruleFromSpec> | undefined);
  const layerRules: LayerRule[] = [];
  linear.forEach(({ n, i }, k) => {
    const spec = ruleForLayer(composite, {
      name: n.name,
      kind: n.op.type === 'dense' ? 'dense' : 'conv',
      isFirst: k === 0,
    });
    // z-box bounds are pixels; on a layer reading normalized inputs they become per-channel input bounds.
    const norm = original.inputNormalization;
    const readsInput = n.inputs.some((j) => graph.nodes[j].op.type === 'input');
    if (spec.rule === 'z-box' && norm && readsInput) {
      const perChannel = (v: number) => norm.mean.map((m, c) => (v - m) / norm.std[c]);
      rules[i] = zBoxRule(perChannel(spec.low), perChannel(spec.high));
      layerRules.push({ name: n.name, rule: `${describeRule(spec)} on normalized inputs` });
      return;
    }
    rules[i] = ruleFromSpec(spec);
    layerRules.push({ name: n.name, rule: describeRule(spec) });
  });
  const componentLayers = componentNodes(graph, explained);
  const plan: PropagationPlan = {
    graph,
    rules,
    explained,
    keep: new Set(componentLayers.map((c) => c.node)),
    softmax: composite.attention?.softmax,
  };
  return { plan, componentLayers, layerRules, original, ownsOriginal: !('nodes' in model) };
}

export function disposePlan(p: ExplanationPlan): void {
  disposeCanonized(p.plan.graph, p.original);
  if (p.ownsOriginal) disposeGraph(p.original);
}
