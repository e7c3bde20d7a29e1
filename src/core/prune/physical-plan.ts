/**
 * What `pxp prune --rate P` removes physically: the pruning curve's own removal set at that rate (method.md §5: the
 * same ranking, count and protected component per layer), so the pruned model is the curve's point. Only where
 * components must go together (dependency groups, groups.ts) can the two differ: channel c of every branch of a
 * residual add is one channel of the stream, and a depthwise conv's channel c is its input's channel c. Such a group
 * goes when the curve's set holds `policy` of its members (default 'all': the plan never removes what the curve kept,
 * bench/physical-vs-curve.ts compares the policies); the plan records, by cause, how many components it removed
 * beyond the curve's set or kept from it. `roundTo` > 1 then gives back each layer's most relevant removed groups until
 * every layer keeps a multiple of it (or all of its components): onnxruntime's blocked convolutions take channel
 * counts in blocks of 8 or 16 (Torch-Pruning's `round_to`); those come back as a difference of their own. It can be
 * one number per layer (roundingUnits).
 */
import { badInput } from '../errors';
import type { Graph } from '../graph/graph';
import type { ComponentLayerInfo } from './catalogue';
import { type ComponentGroup, dependencyGroups } from './groups';
import { rankComponents, removalCountAt, removedSet, type RankingOptions } from './ranking';

/** When a group goes: all of its members are in the curve's set, any one is, more than half are, or its depthwise member is. */
export type GroupPolicy = 'all' | 'any' | 'majority' | 'depthwise-output';

export type GroupCause = 'residual' | 'depthwise' | 'fixed' | 'rounding';

/** Where the physical removal differs from the curve's set, for one cause. */
export interface PlanDifference {
  cause: GroupCause;
  /** Groups whose members the curve's set split (or, for 'fixed', holds) while the plan had to take or keep them whole. */
  groups: number;
  /** Components of the curve's set the plan kept. */
  kept: number;
  /** Components outside the curve's set the plan removed with their group. */
  added: number;
}

export interface PhysicalPlan {
  removed: boolean[][];
  removedCount: number;
  /** Dependency groups that can be removed. */
  groups: number;
  /** Components the curve removes at this rate. */
  curveRemoved: number;
  /** Empty when the plan is the curve's set exactly (every group a singleton, as in plain CNNs and ViTs). */
  differences: PlanDifference[];
}

export const CAUSE_TEXT: Record<GroupCause, string> = {
  residual: 'channels joined by a residual add are one channel of the stream: they go or stay together',
  depthwise: "a depthwise conv's channel is its input's channel: the two go or stay together",
  fixed: 'channels that reach a residual stream no component owns (the model input, say) cannot be removed',
  rounding:
    "--round-to: a layer keeps a multiple of N components (or all), its most relevant removed ones given back; by default (auto) N is 16 for an ONNX model's layers of a multiple of 16 and at least 64, which keeps them on onnxruntime's fast blocked convolutions (--round-to 1: none given back)",
};

/** `--round-to`: a number for every layer, or 'auto' (roundingUnits). */
export type RoundTo = number | 'auto';

/**
 * onnxruntime's blocked (NCHWc) convolutions take channels in blocks of 16 with AVX-512 and 8 with AVX2; a layer
 * whose count leaves the block falls back to a slower kernel with reorders around it, so a pruned model can be
 * smaller and slower (NOTES.md). 16 serves both.
 */
export const ORT_CHANNEL_BLOCK = 16;

/**
 * A layer narrower than this many blocks is left free by 'auto': in blocks of 16 a 16- or 32-channel layer could
 * only keep all or nothing (or half), which pruned the small torch demo's layers not at all, and such a layer
 * costs little time anyway.
 */
const AUTO_MIN_BLOCKS = 4;

/**
 * The multiple each layer keeps. 'auto' keeps onnxruntime's blocked path where the original model was on it: for an
 * ONNX model (whose pruned file runs on onnxruntime), a layer of a multiple of ORT_CHANNEL_BLOCK components, at least
 * AUTO_MIN_BLOCKS of them, keeps a multiple of it; every other layer (and every layer of a tfjs model) is free.
 */
export function roundingUnits(layers: ComponentLayerInfo[], roundTo: RoundTo, format: 'onnx' | 'tfjs'): number[] {
  if (roundTo !== 'auto') return layers.map(() => roundTo);
  const blocked = (n: number) => n % ORT_CHANNEL_BLOCK === 0 && n >= AUTO_MIN_BLOCKS * ORT_CHANNEL_BLOCK;
  return layers.map((l) => (format === 'onnx' && blocked(l.size) ? ORT_CHANNEL_BLOCK : 1));
}

export function physicalPlan(
  graph: Graph,
  layers: ComponentLayerInfo[],
  scores: Float64Array[],
  rate: number,
  opts: RankingOptions & { policy?: GroupPolicy; roundTo?: number | number[] } = {},
): PhysicalPlan {
  if (!(rate >= 0 && rate < 1))
    throw badInput(`--rate ${rate} is not in [0, 1)`, 'give the fraction of components to remove, e.g. 0.5');
  const policy = opts.policy ?? 'all';
  const ranking = rankComponents(
    scores.map((s) => ({ scores: s })),
    opts,
  );
  const curve = removedSet(
    ranking,
    removalCountAt(rate, ranking.length),
    layers.map((l) => l.size),
  );
  const removed = layers.map((l) => new Array<boolean>(l.size).fill(false));
  const left = layers.map((l) => l.size);
  const differences = new Map<GroupCause, PlanDifference>();
  const differ = (cause: GroupCause, kept: number, added: number) => {
    if (kept === 0 && added === 0) return;
    const d = differences.get(cause) ?? { cause, groups: 0, kept: 0, added: 0 };
    d.groups++;
    d.kept += kept;
    d.added += added;
    differences.set(cause, d);
  };
  const all = dependencyGroups(graph, layers);
  const isDepthwise = (m: Member) => graph.nodes[layers[m.layer].node].op.type === 'depthwise';
  // Groups in the order the curve removes them (their first member in the ranking): a group that would empty a
  // layer is kept, and groups met earlier win.
  const position = new Map(ranking.map((c, pos) => [`${c.layer}:${c.index}`, pos]));
  const first = (members: { layer: number; index: number }[]) =>
    Math.min(...members.map((m) => position.get(`${m.layer}:${m.index}`)!));
  const ordered = all.map((g) => ({ ...g, at: first(g.members) })).sort((a, b) => a.at - b.at);
  const taken: typeof ordered = [];
  for (const g of ordered) {
    const inCurve = g.members.filter((m) => curve[m.layer][m.index]).length;
    if (!g.removable) {
      differ('fixed', inCurve, 0);
      continue;
    }
    const goes = groupGoes(g.members, policy, curve, inCurve, isDepthwise);
    const perLayer = new Map<number, number>();
    g.members.forEach((m) => perLayer.set(m.layer, (perLayer.get(m.layer) ?? 0) + 1));
    const fits = [...perLayer].every(([l, k]) => left[l] - k >= 1);
    const cause: GroupCause = g.members.some(isDepthwise) ? 'depthwise' : 'residual';
    if (goes && fits) {
      for (const m of g.members) removed[m.layer][m.index] = true;
      perLayer.forEach((k, l) => (left[l] -= k));
      differ(cause, 0, g.members.length - inCurve);
      taken.push(g);
    } else {
      differ(cause, inCurve, 0);
    }
  }
  const unit = layers.map((_, l) => (Array.isArray(opts.roundTo) ? opts.roundTo[l] : (opts.roundTo ?? 1)));
  if (unit.some((u) => u > 1)) {
    const back = giveBackToUnits(taken, { removed, left, curve, unit, layers, scores }, opts.leastRelevantFirst);
    if (back.kept) differences.set('rounding', { cause: 'rounding', groups: back.groups, kept: back.kept, added: 0 });
  }
  const count = (flags: boolean[][]) => flags.reduce((a, f) => a + f.filter(Boolean).length, 0);
  return {
    removed,
    removedCount: count(removed),
    groups: all.filter((g) => g.removable).length,
    curveRemoved: count(curve),
    differences: [...differences.values()],
  };
}

type Member = ComponentGroup['members'][number];

/** Whether a group goes under `policy`, from the curve's set (`inCurve` of its members are in it). */
function groupGoes(
  members: Member[],
  policy: GroupPolicy,
  curve: boolean[][],
  inCurve: number,
  isDepthwise: (m: Member) => boolean,
): boolean {
  const dw = members.find(isDepthwise);
  return policy === 'depthwise-output'
    ? dw
      ? curve[dw.layer][dw.index]
      : inCurve === members.length
    : policy === 'all'
      ? inCurve === members.length
      : policy === 'any'
        ? inCurve > 0
        : 2 * inCurve > members.length;
}

/**
 * --round-to: gives back removed groups (`taken`, updating `removed` and `left`) until every layer keeps a multiple
 * of its unit or all of its components; the groups and curve components given back.
 */
function giveBackToUnits(
  taken: (ComponentGroup & { at: number })[],
  plan: {
    removed: boolean[][];
    left: number[];
    curve: boolean[][];
    unit: number[];
    layers: ComponentLayerInfo[];
    scores: Float64Array[];
  },
  leastRelevantFirst: boolean | undefined,
): { groups: number; kept: number } {
  const { removed, left, curve, unit, layers, scores } = plan;
  // Given back in order of relevance, the group's summed score (its sign as the ranking's): the most relevant first.
  const sign = leastRelevantFirst === false ? -1 : 1;
  const score = (g: (typeof taken)[number]) => sign * g.members.reduce((a, m) => a + scores[m.layer][m.index], 0);
  taken.sort((a, b) => score(a) - score(b) || a.at - b.at);
  const off = (l: number) => left[l] % unit[l] !== 0 && left[l] < layers[l].size;
  const back = { groups: 0, kept: 0 };
  for (let l = layers.findIndex((_, i) => off(i)); l >= 0; l = layers.findIndex((_, i) => off(i))) {
    let at = taken.length - 1;
    while (!taken[at].members.some((m) => m.layer === l)) at--;
    const [g] = taken.splice(at, 1);
    for (const m of g.members) {
      removed[m.layer][m.index] = false;
      left[m.layer]++;
    }
    back.groups++;
    back.kept += g.members.filter((m) => curve[m.layer][m.index]).length;
  }
  return back;
}
