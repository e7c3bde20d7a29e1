/**
 * Dependency groups for physical removal (after DepGraph): components that must go together. Channel c of every
 * branch that meets in a residual Add is one group, and so are a depthwise conv's channel c and its input's channel c; a group that reaches a channel no component owns (the model
 * input, say) cannot be removed. Everything else is a group of one. A conv and its batch norm are one component
 * already; Concatenate slices and the dense rows after a flatten follow their channel (see channel-flow).
 */
import { Graph, isLinear } from '../graph/graph';
import type { ComponentLayerInfo } from './catalogue';

export interface ComponentGroup {
  members: { layer: number; index: number }[];
  /** False when a member channel is not owned by any component (it cannot be removed). */
  removable: boolean;
}

const CHANNEL_PRESERVING = new Set(['activation', 'batchnorm', 'identity', 'maxpool', 'avgpool', 'zeropad']);

export function dependencyGroups(graph: Graph, layers: Pick<ComponentLayerInfo, 'node' | 'size'>[]): ComponentGroup[] {
  const layerOf = new Map(layers.map((l, i) => [l.node, i]));
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    const p = parent.get(k) ?? k;
    if (p === k) return k;
    const r = find(p);
    parent.set(k, r);
    return r;
  };
  const union = (a: string, b: string) => parent.set(find(a), find(b));
  const FIXED = 'fixed';
  // The component layers (or FIXED) whose channel c arrives unchanged at node i.
  const sources = (i: number): (number | typeof FIXED)[] => {
    const node = graph.nodes[i];
    if (isLinear(node.op)) return layerOf.has(i) ? [layerOf.get(i)!] : [FIXED];
    if (node.op.type === 'add') return node.inputs.flatMap(sources);
    if (CHANNEL_PRESERVING.has(node.op.type)) return sources(node.inputs[0]);
    return [FIXED];
  };
  graph.nodes.forEach((node, i) => {
    // A depthwise conv's channel c is its input's channel c (DepGraph): they go together.
    if (node.op.type === 'depthwise' && layerOf.has(i)) {
      const own = layerOf.get(i)!;
      for (const s of sources(node.inputs[0]))
        for (let c = 0; c < layers[own].size; c++) union(`${own}:${c}`, s === FIXED ? FIXED : `${s}:${c}`);
      return;
    }
    if (node.op.type !== 'add') return;
    const srcs = node.inputs.flatMap(sources);
    const width = Math.min(...srcs.map((s) => (s === FIXED ? Infinity : layers[s].size)));
    for (let c = 0; c < (Number.isFinite(width) ? width : 0); c++) {
      const keys = srcs.map((s) => (s === FIXED ? FIXED : `${s}:${c}`));
      keys.slice(1).forEach((k) => union(keys[0], k));
    }
  });
  const groups = new Map<string, ComponentGroup>();
  layers.forEach((l, layer) => {
    for (let index = 0; index < l.size; index++) {
      const root = find(`${layer}:${index}`);
      const g = groups.get(root) ?? { members: [], removable: find(FIXED) !== root };
      g.members.push({ layer, index });
      groups.set(root, g);
    }
  });
  return [...groups.values()];
}
