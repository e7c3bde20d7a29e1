/**
 * The layer groups of the attribution search (method.md §4): a model's linear layers split by depth into `low`, `mid`
 * and `high`, plus `fc` (the dense layers after the feature extractor). The depth split follows the network: thirds
 * of the conv layers for a plain CNN; whole stages (the blocks between two downsamplings) for a residual network, so
 * no residual block is split; thirds of the encoder blocks for a transformer (each block's q, k, v, out and MLP
 * layers; the patch embedding joins `low`, the classifier is `fc`).
 *
 * A group is searched only if its rule can change a component's score: component relevance is read at the
 * component's own output, before the rules of the layers below it apply, so the rule of a layer with no component
 * before it (the first layer, typically) only changes the input relevance. Such groups are `inert`.
 */
import { type Graph, isLinear } from '../graph/graph';

export interface LayerGroups {
  /** Group name → linear layer names, in network order. */
  groups: Record<string, string[]>;
  /** Groups whose rule cannot change a component's score: not searched, their layers keep epsilon 1e-6. */
  inert: string[];
  /** The attention softmax rule: searched, in the model but unable to change a score, or absent (no attention). */
  softmax: 'searched' | 'inert' | 'none';
}

export interface SearchLayer {
  name: string;
  kind: 'conv' | 'dense';
  node: number;
  /** Transformers: the encoder block (1-based) the layer belongs to, 0 before the first; none for the classifier. */
  block?: number;
  /** Residual networks' conv layers: the stage (1-based; a new one after each downsampling). */
  stage?: number;
}

/** What decides which dimensions are inert: the graph and where the pruned components' relevance is read. */
export interface SpaceModel {
  graph: Graph;
  components: readonly { maskNode: number }[];
}

const downsamples = (graph: Graph, i: number): boolean => {
  const op = graph.nodes[i].op;
  return (
    (op.type === 'conv2d' || op.type === 'depthwise' || op.type === 'maxpool' || op.type === 'avgpool') &&
    (op.strides[0] > 1 || op.strides[1] > 1)
  );
};

/** Per node, how many downsamplings lie on the longest path from the input to it (0-based stage). */
function stageIndices(graph: Graph): number[] {
  const stage: number[] = [];
  graph.nodes.forEach((n, i) => {
    const before = Math.max(0, ...n.inputs.map((j) => stage[j]));
    stage.push(before + (downsamples(graph, i) ? 1 : 0));
  });
  return stage;
}

/** The linear layers of a graph, with their encoder block (transformers) or their stage (residual networks). */
export function searchLayers(graph: Graph): SearchLayer[] {
  const linear = graph.nodes.map((n, i) => ({ n, i })).filter(({ n }) => isLinear(n.op));
  const attention = graph.nodes.map((n, i) => ({ n, i })).filter(({ n }) => n.op.type === 'attention');
  const residual = attention.length === 0 && graph.nodes.some((n) => n.op.type === 'add');
  const stages = residual ? stageIndices(graph) : [];
  return linear.map(({ n, i }, k) => {
    const kind = n.op.type === 'dense' ? ('dense' as const) : ('conv' as const);
    if (residual)
      return kind === 'conv' ? { name: n.name, kind, node: i, stage: stages[i] + 1 } : { name: n.name, kind, node: i };
    if (attention.length === 0 || k === linear.length - 1) return { name: n.name, kind, node: i };
    // q, k and v feed their attention op, which comes after them; everything else follows its block's attention.
    const owner = attention.findIndex(({ n: a }) => a.inputs.includes(i));
    return { name: n.name, kind, node: i, block: owner >= 0 ? owner + 1 : attention.filter((a) => a.i < i).length };
  });
}

const GROUP_NAMES = ['low', 'mid', 'high'];
const thirds = <T>(xs: T[]) =>
  [0, 1, 2].map((i) => xs.slice(Math.round((i * xs.length) / 3), Math.round(((i + 1) * xs.length) / 3)));

/** Layers grouped by thirds of the distinct units (conv layers, stages or blocks) `unitOf` assigns, then `fc`. */
function groupsByUnit(linear: SearchLayer[], unitOf: (l: SearchLayer) => number | undefined): Record<string, string[]> {
  const units = [...new Set(linear.map(unitOf).filter((u): u is number => u !== undefined))].sort((a, b) => a - b);
  const groups: Record<string, string[]> = {};
  thirds(units).forEach((us, g) => {
    const names = linear.filter((l) => us.includes(unitOf(l) ?? NaN)).map((l) => l.name);
    if (names.length) groups[GROUP_NAMES[g]] = names;
  });
  const fc = linear.filter((l) => unitOf(l) === undefined).map((l) => l.name);
  if (fc.length) groups.fc = fc;
  return groups;
}

/** The default depth groups (see the file comment). */
export function depthGroups(linear: SearchLayer[]): Record<string, string[]> {
  // The patch embedding (block 0) joins the first block.
  if (linear.some((l) => l.block !== undefined))
    return groupsByUnit(linear, (l) => (l.block === undefined ? undefined : Math.max(1, l.block)));
  if (linear.some((l) => l.stage !== undefined)) return groupsByUnit(linear, (l) => l.stage);
  const convIndex = new Map(linear.filter((l) => l.kind === 'conv').map((l, i) => [l.name, i]));
  return groupsByUnit(linear, (l) => convIndex.get(l.name));
}

/** Per node, whether some pruned component's relevance is read strictly before it (so its rule reaches that component). */
function componentUpstream(model: SpaceModel): boolean[] {
  const { graph } = model;
  const readAt = new Set(model.components.map((c) => c.maskNode));
  const up: boolean[] = [];
  graph.nodes.forEach((n, i) => up.push(n.inputs.some((j) => up[j] || readAt.has(j))));
  return up;
}

/** Whether the softmax rule can change a score: a component before an attention op, or heads of the attention op itself
 * beside other components (the cp rule gives A·V's factors the full share, the others half: a scale per block). */
function softmaxStatus(model: SpaceModel, up: boolean[]): LayerGroups['softmax'] {
  const attention = model.graph.nodes.map((n, i) => ({ n, i })).filter(({ n }) => n.op.type === 'attention');
  if (attention.length === 0) return 'none';
  const readAt = model.components.map((c) => c.maskNode);
  const matters = attention.some(({ i }) => up[i] || (readAt.includes(i) && readAt.some((m) => m !== i)));
  return matters ? 'searched' : 'inert';
}

/** The groups of the search: the given ones (`--space`) or the depth groups, with their inert dimensions marked. */
export function searchGroups(model: SpaceModel, groups = depthGroups(searchLayers(model.graph))): LayerGroups {
  const up = componentUpstream(model);
  const nodeOf = new Map(model.graph.nodes.map((n, i) => [n.name, i]));
  const inert = Object.entries(groups)
    .filter(([, names]) => names.every((name) => !up[nodeOf.get(name) ?? -1]))
    .map(([g]) => g);
  return { groups, inert, softmax: softmaxStatus(model, up) };
}
