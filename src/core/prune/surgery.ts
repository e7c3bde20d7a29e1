/**
 * Physical pruning: the plan (physical-plan.ts) is the curve's removal set made of whole dependency groups, and the
 * surgery writes a new, smaller LayersModel: every conv and dense layer keeps only its surviving output
 * channels and the input slices of surviving channels, batch norms keep their surviving entries. The user's model is
 * not touched. The pruned model computes what the original does with the same components masked.
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '../errors';
import type { Graph } from '../graph/graph';
import type { ComponentLayerInfo } from './catalogue';
import { channelFlow } from './channel-flow';
// The pruned model is rebuilt from JSON, so the ViT's custom layers must be registered here too.
import '../models/vit-layers';

interface LayerJSON {
  class_name: string;
  config: Record<string, unknown> & { name: string };
}

function layerList(topology: Record<string, unknown>): LayerJSON[] {
  const config =
    (topology.model_config as { config?: { layers?: LayerJSON[] } } | undefined)?.config ??
    (topology.config as { layers?: LayerJSON[] });
  if (!config?.layers) throw new Error('model topology without a layer list');
  return config.layers;
}

const indices = (flags: boolean[]) => flags.flatMap((keep, i) => (keep ? [i] : []));

/**
 * The pruned weights of one layer, given the output channels it keeps and the input channels that reach it (its
 * config follows: filters, units, heads); undefined where the layer keeps its own. One case per Keras layer class.
 */
function cutLayer(
  entry: LayerJSON,
  weights: tf.Tensor[],
  keepIn: number[],
  keepOut: number[],
): tf.Tensor[] | undefined {
  switch (entry.class_name) {
    case 'Conv2D':
      entry.config.filters = keepOut.length;
      return [
        tf.gather(tf.gather(weights[0], keepIn, 2), keepOut, 3),
        ...weights.slice(1).map((b) => tf.gather(b, keepOut)),
      ];
    case 'Dense':
      entry.config.units = keepOut.length;
      return [
        tf.gather(tf.gather(weights[0], keepIn, 0), keepOut, 1),
        ...weights.slice(1).map((b) => tf.gather(b, keepOut)),
      ];
    case 'BatchNormalization':
      return weights.map((w) => tf.gather(w, keepOut));
    case 'DepthwiseConv2D':
      if (keepIn.length !== (weights[0].shape[2] as number))
        throw badInput(
          `layer '${entry.config.name}' (depthwise) would lose input channels`,
          'physical pruning of depthwise convs is not supported yet; use the masked curve',
        );
      return undefined;
    case 'LayerNormalization':
      if (keepOut.length !== (weights[0].shape[0] as number))
        throw badInput(
          `layer '${entry.config.name}' (LayerNormalization) would lose channels`,
          'physical pruning keeps LayerNorm widths (residual streams); use the masked curve',
        );
      return undefined;
    case 'MultiHeadSelfAttention': {
      // Weights: q, k, v kernels [D, H·d] and biases, out kernel [H·d, D] and bias; a removed head takes its
      // columns of q, k, v and its rows of the output projection.
      // Keras-style topology JSON writes config keys in snake_case.
      const headDim = (entry.config.head_dim ?? entry.config.headDim) as number;
      entry.config.heads = keepOut.length / headDim;
      return [
        ...weights.slice(0, 6).map((w) => tf.gather(w, keepOut, w.rank - 1)),
        tf.gather(weights[6], keepOut, 0),
        weights[7].clone(),
      ];
    }
    default:
      return undefined;
  }
}

/** Builds the pruned LayersModel (new weights; the original model is left as it is). */
export async function pruneModel(
  model: tf.LayersModel,
  graph: Graph,
  shapes: number[][],
  layers: ComponentLayerInfo[],
  removed: boolean[][],
): Promise<tf.LayersModel> {
  const active = channelFlow(graph, shapes, layers, removed);
  const byName = new Map(graph.nodes.map((n, i) => [n.name, i]));
  const topology = model.toJSON(null, false) as unknown as Record<string, unknown>;
  const newWeights = new Map<string, tf.Tensor[]>();
  for (const entry of layerList(topology)) {
    const i = byName.get(entry.config.name);
    if (i === undefined) continue;
    const node = graph.nodes[i];
    const layer = model.getLayer(entry.config.name);
    const keepOut = indices(active[i]);
    const keepIn = node.inputs.length ? indices(active[node.inputs[0]]) : [];
    const cut = cutLayer(entry, layer.getWeights(), keepIn, keepOut);
    if (cut) newWeights.set(entry.config.name, cut);
  }
  const pruned = await tf.models.modelFromJSON({ modelTopology: topology } as unknown as tf.io.ModelJSON);
  for (const l of pruned.layers) l.setWeights(newWeights.get(l.name) ?? model.getLayer(l.name).getWeights());
  // A model built with modelFromJSON and then given new weights misbehaves on wasm (its first conv sees a rank-4
  // bias); the same model serialised and loaded again is sound, so hand out the reloaded one.
  let artifacts: tf.io.ModelArtifacts | undefined;
  await pruned.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  pruned.dispose();
  tf.dispose([...newWeights.values()].flat());
  return tf.loadLayersModel(tf.io.fromMemory(artifacts!));
}
