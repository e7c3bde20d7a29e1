/**
 * Physical pruning: the plan picks whole dependency groups (scored by the sum of their members) up to the requested
 * rate, and the surgery writes a new, smaller LayersModel: every conv and dense layer keeps only its surviving output
 * channels and the input slices of surviving channels, batch norms keep their surviving entries. The user's model is
 * not touched. The pruned model computes what the original does with the same components masked.
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '../errors';
import type { Graph } from '../graph/graph';
import type { ComponentLayerInfo } from './catalogue';
import { channelFlow } from './channel-flow';
import { dependencyGroups } from './groups';
// The pruned model is rebuilt from JSON, so the ViT's custom layers must be registered here too.
import '../models/vit-layers';

export interface PhysicalPlan {
  removed: boolean[][];
  removedCount: number;
  groups: number;
}

/**
 * Removes whole groups, least relevant first, while the count stays within floor(rate·N) and no layer empties.
 * `roundTo` > 1 then gives back the most relevant removed groups of each layer until every layer keeps a multiple of
 * it (or all of its components): onnxruntime's blocked convolutions take channel counts in blocks of 8 or 16, and a
 * layer left with, say, 150 channels runs on a slower kernel (Torch-Pruning's `round_to`). Fewer than floor(rate·N)
 * components are then removed.
 */
export function physicalPlan(graph: Graph, layers: ComponentLayerInfo[], scores: Float64Array[], rate: number, opts: { roundTo?: number } = {}): PhysicalPlan {
  if (!(rate >= 0 && rate < 1)) throw badInput(`--rate ${rate} is not in [0, 1)`, 'give the fraction of components to remove, e.g. 0.5');
  const groups = dependencyGroups(graph, layers)
    .filter((g) => g.removable)
    .map((g) => ({ ...g, score: g.members.reduce((a, m) => a + scores[m.layer][m.index], 0), first: g.members[0] }));
  groups.sort((a, b) => a.score - b.score || a.first.layer - b.first.layer || a.first.index - b.first.index);
  const total = layers.reduce((a, l) => a + l.size, 0);
  const target = Math.floor(rate * total + 1e-9);
  const removed = layers.map((l) => new Array<boolean>(l.size).fill(false));
  const left = layers.map((l) => l.size);
  const taken: typeof groups = [];
  let count = 0;
  const perLayer = (g: (typeof groups)[number]) => {
    const m = new Map<number, number>();
    g.members.forEach((x) => m.set(x.layer, (m.get(x.layer) ?? 0) + 1));
    return m;
  };
  for (const g of groups) {
    if (count + g.members.length > target) continue;
    const n = perLayer(g);
    if ([...n].some(([l, k]) => left[l] - k < 1)) continue;
    for (const m of g.members) removed[m.layer][m.index] = true;
    n.forEach((k, l) => (left[l] -= k));
    count += g.members.length;
    taken.push(g);
    if (count === target) break;
  }
  const roundTo = opts.roundTo ?? 1;
  if (roundTo > 1) {
    const off = (l: number) => left[l] % roundTo !== 0 && left[l] < layers[l].size;
    for (let l = layers.findIndex((_, i) => off(i)); l >= 0; l = layers.findIndex((_, i) => off(i))) {
      // The most relevant removed group with a member in layer l comes back (taken is in removal order).
      let at = taken.length - 1;
      while (!taken[at].members.some((m) => m.layer === l)) at--;
      const [g] = taken.splice(at, 1);
      for (const m of g.members) removed[m.layer][m.index] = false;
      perLayer(g).forEach((k, j) => (left[j] += k));
      count -= g.members.length;
    }
  }
  return { removed, removedCount: count, groups: groups.length };
}

interface LayerJSON {
  class_name: string;
  config: Record<string, unknown> & { name: string };
}

function layerList(topology: Record<string, unknown>): LayerJSON[] {
  const config = (topology.model_config as { config?: { layers?: LayerJSON[] } } | undefined)?.config ?? (topology.config as { layers?: LayerJSON[] });
  if (!config?.layers) throw new Error('model topology without a layer list');
  return config.layers;
}

const indices = (flags: boolean[]) => flags.flatMap((keep, i) => (keep ? [i] : []));

/** Builds the pruned LayersModel (new weights; the original model is left as it is). */
export async function pruneModel(model: tf.LayersModel, graph: Graph, shapes: number[][], layers: ComponentLayerInfo[], removed: boolean[][]): Promise<tf.LayersModel> {
  const active = channelFlow(graph, shapes, layers, removed);
  const byName = new Map(graph.nodes.map((n, i) => [n.name, i]));
  const topology = model.toJSON(null, false) as unknown as Record<string, unknown>;
  const newWeights = new Map<string, tf.Tensor[]>();
  for (const entry of layerList(topology)) {
    const i = byName.get(entry.config.name);
    if (i === undefined) continue;
    const node = graph.nodes[i];
    const layer = model.getLayer(entry.config.name);
    const weights = layer.getWeights();
    const keepOut = indices(active[i]);
    const keepIn = node.inputs.length ? indices(active[node.inputs[0]]) : [];
    switch (entry.class_name) {
      case 'Conv2D':
        entry.config.filters = keepOut.length;
        newWeights.set(entry.config.name, [tf.gather(tf.gather(weights[0], keepIn, 2), keepOut, 3), ...weights.slice(1).map((b) => tf.gather(b, keepOut))]);
        break;
      case 'Dense':
        entry.config.units = keepOut.length;
        newWeights.set(entry.config.name, [tf.gather(tf.gather(weights[0], keepIn, 0), keepOut, 1), ...weights.slice(1).map((b) => tf.gather(b, keepOut))]);
        break;
      case 'BatchNormalization':
        newWeights.set(entry.config.name, weights.map((w) => tf.gather(w, keepOut)));
        break;
      case 'DepthwiseConv2D':
        if (keepIn.length !== (weights[0].shape[2] as number)) throw badInput(`layer '${entry.config.name}' (depthwise) would lose input channels`, 'physical pruning of depthwise convs is not supported yet; use the masked curve');
        break;
      case 'LayerNormalization':
        if (keepOut.length !== (weights[0].shape[0] as number)) throw badInput(`layer '${entry.config.name}' (LayerNormalization) would lose channels`, 'physical pruning keeps LayerNorm widths (residual streams); use the masked curve');
        break;
      case 'MultiHeadSelfAttention': {
        // Weights: q, k, v kernels [D, H·d] and biases, out kernel [H·d, D] and bias; a removed head takes its
        // columns of q, k, v and its rows of the output projection.
        const keep = indices(active[i]);
        // Keras-style topology JSON writes config keys in snake_case.
        const headDim = (entry.config.head_dim ?? entry.config.headDim) as number;
        entry.config.heads = keep.length / headDim;
        newWeights.set(entry.config.name, [
          ...weights.slice(0, 6).map((w) => tf.gather(w, keep, w.rank - 1)),
          tf.gather(weights[6], keep, 0),
          weights[7].clone(),
        ]);
        break;
      }
      default:
        break;
    }
  }
  const pruned = await tf.models.modelFromJSON({ modelTopology: topology } as unknown as tf.io.ModelJSON);
  for (const l of pruned.layers) l.setWeights(newWeights.get(l.name) ?? model.getLayer(l.name).getWeights());
  // A model built with modelFromJSON and then given new weights misbehaves on wasm (its first conv sees a rank-4
  // bias); the same model serialised and loaded again is sound, so hand out the reloaded one.
  let artifacts: tf.io.ModelArtifacts | undefined;
  await pruned.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  pruned.dispose();
  tf.dispose([...newWeights.values()].flat());
  return tf.loadLayersModel(tf.io.fromMemory(artifacts!));
}
