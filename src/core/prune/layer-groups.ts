/**
 * The dependency groups (groups.ts) seen layer by layer, for `pxp info` and the .onnx view: which component layers
 * are tied (channel c of each goes or stays with channel c of the others) and how many components such a tie has.
 * Pruning itself works on the channel groups; this only says what a reader of the model needs to know about them.
 */
import type { Graph } from '../graph/graph';
import { type ComponentKind, componentNodes, explainedNode } from './catalogue';
import { dependencyGroups } from './groups';

/** A prunable layer: what its components are and the layer group it belongs to. */
export interface ComponentLayerEntry {
  name: string;
  kind: ComponentKind;
  /** Its components (channels, neurons or heads). */
  components: number;
  /** Channels each component spans: a head's headDim, else 1. */
  width: number;
  /** Index into ModelComponentGroups.groups. */
  group: number;
}

/** Why a group's layers are tied: a residual add joins them, or a depthwise conv follows its input's channels. */
export type GroupTie = 'residual' | 'depthwise';

export interface LayerGroup {
  /** The component layers whose components go together, in network order (one layer when nothing ties it). */
  layers: string[];
  /** What pruning removes from the group: distinct channel groups over its layers (each a channel of every layer, where widths agree). */
  components: number;
  /** Components that can never be removed: they reach a channel no layer owns (the model input, say). */
  fixed: number;
  ties: GroupTie[];
}

export interface ModelComponentGroups {
  /** Every prunable layer, in network order (the classifier is none). */
  layers: ComponentLayerEntry[];
  /** Singletons included; a group's index is its first layer's position in network order. */
  groups: LayerGroup[];
}

/** The prunable layers of a graph and the groups they form; a model without prunable layers has none. */
export function modelComponentGroups(graph: Graph): ModelComponentGroups {
  const nodes = componentNodes(graph, explainedNode(graph));
  const channelGroups = dependencyGroups(graph, nodes);
  // Layers joined by any channel group are one layer group (union-find over layer indices).
  const parent = nodes.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  for (const g of channelGroups)
    for (const m of g.members.slice(1)) {
      const [a, b] = [find(g.members[0].layer), find(m.layer)];
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
    }
  const groupOf = new Map<number, number>();
  const groups: LayerGroup[] = [];
  const layers = nodes.map((n, i): ComponentLayerEntry => {
    const root = find(i);
    if (!groupOf.has(root)) {
      groupOf.set(root, groups.length);
      groups.push({ layers: [], components: 0, fixed: 0, ties: [] });
    }
    const group = groupOf.get(root)!;
    groups[group].layers.push(n.name);
    return { name: n.name, kind: n.kind, components: n.size, width: n.width, group };
  });
  for (const g of channelGroups) {
    const group = groups[groupOf.get(find(g.members[0].layer))!];
    group.components++;
    if (!g.removable) group.fixed++;
  }
  groups.forEach((g, gi) => {
    const members = nodes.filter((_, i) => layers[i].group === gi);
    const depthwise = members.filter((n) => graph.nodes[n.node].op.type === 'depthwise').length;
    // Two layers that are not depthwise are tied only where their outputs meet in an add.
    if (members.length - depthwise > 1) g.ties.push('residual');
    if (depthwise > 0 && members.length > 1) g.ties.push('depthwise');
  });
  return { layers, groups };
}
