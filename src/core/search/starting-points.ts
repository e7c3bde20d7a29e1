/**
 * The first trials of every search (as Optuna's enqueue_trial): the LRP presets mapped to points of the space and a
 * few fixed points known to be good, so the best trial is never below the best preset. Then the sampler takes over.
 *
 * A preset maps to a point when every layer of a searched group gets the same rule from it and the space has that
 * rule; the first layer's rule is no dimension of the space, so a preset and its "-flat" variant are one point.
 * Fixed points: epsilon 1e-6 everywhere with the one-hot start, and the same with the logit start (on ReLU networks,
 * Taylor's first-order term: method.md §4). A point the space cannot express (a narrowed `--space`) is skipped, a
 * number outside narrowed bounds is projected onto them; both are reported.
 */
import { type CompositeSpec, PRESET_NAMES, type RuleSpec, presetComposite, ruleForLayer } from '../lrp/composites';
import { DEFAULT_SOFTMAX_RULE } from '../lrp/propagate';
import type { LayerGroups, SearchLayer } from './layer-groups';
import { type Params, type Sampler, type SearchSpace, type Trial, isActive, isValidValue } from './space';

export interface StartingPoint {
  /** What the point is: a preset's name or a fixed point's (`all-epsilon`, `all-epsilon-logit`). */
  name: string;
  params: Params;
}

export interface StartingPlan {
  points: StartingPoint[];
  /** One line per preset or fixed point that was merged, projected or skipped, for the log and run.json. */
  notes: string[];
}

const EPSILON = 1e-6;

/** A point's value for each group rule, from one rule per layer; a reason instead when a group's layers disagree. */
function groupRules(groups: LayerGroups, ruleOf: (layer: string) => RuleSpec): Params | string {
  const out: Params = {};
  for (const [group, names] of Object.entries(groups.groups)) {
    if (groups.inert.includes(group)) continue;
    const rules = names.map(ruleOf);
    const key = JSON.stringify(rules[0]);
    if (rules.some((r) => JSON.stringify(r) !== key)) return `its rules differ within group ${group}`;
    const r = rules[0];
    out[`${group}.rule`] = r.rule;
    if (r.rule === 'epsilon') out[`${group}.epsilon`] = r.epsilon;
    else if (r.rule === 'gamma') out[`${group}.gamma`] = r.gamma;
    else if (r.rule === 'alpha-beta') out[`${group}.alpha`] = r.alpha;
  }
  return out;
}

function presetPoint(preset: CompositeSpec, groups: LayerGroups, layers: SearchLayer[]): Params | string {
  const kinds = new Map(layers.map((l) => [l.name, l.kind]));
  const rules = groupRules(groups, (name) =>
    ruleForLayer(preset, { name, kind: kinds.get(name) ?? 'dense', isFirst: false }),
  );
  if (typeof rules === 'string') return rules;
  return {
    ...rules,
    ...(groups.softmax === 'searched' ? { 'softmax.rule': preset.attention?.softmax ?? DEFAULT_SOFTMAX_RULE } : {}),
    init: 'one-hot',
    abs_sort: 'true',
    least_relevant_first: 'true',
  };
}

function epsilonPoint(groups: LayerGroups, init: string): Params {
  const rules = groupRules(groups, () => ({ rule: 'epsilon', epsilon: EPSILON })) as Params;
  return {
    ...rules,
    ...(groups.softmax === 'searched' ? { 'softmax.rule': DEFAULT_SOFTMAX_RULE } : {}),
    init,
    abs_sort: 'true',
    least_relevant_first: 'true',
  };
}

/** The point restated in the space: projected numbers and the names of what changed, or why it cannot be. */
function fitToSpace(space: SearchSpace, point: Params): { params: Params; projected: string[] } | string {
  const params: Params = {};
  const projected: string[] = [];
  for (const p of space) {
    if (!isActive(p, params)) continue;
    const v = point[p.name];
    if (isValidValue(p, v)) params[p.name] = v!;
    else if (p.kind !== 'categorical' && typeof v === 'number') {
      params[p.name] = Math.min(p.high, Math.max(p.low, v));
      projected.push(`${p.name} ${v} → ${params[p.name]}`);
    } else
      return v === undefined
        ? `the space has ${p.name}, which it does not set`
        : `the space allows no ${p.name} = ${v}`;
  }
  return { params, projected };
}

const keyOf = (p: Params) =>
  JSON.stringify(
    Object.keys(p)
      .sort()
      .map((k) => [k, p[k]]),
  );

/** The starting points of a search over `space`, in order: the presets, then the fixed points; duplicates merged. */
export function startingPoints(space: SearchSpace, groups: LayerGroups, layers: SearchLayer[]): StartingPlan {
  const candidates: { name: string; point: Params | string }[] = [
    ...PRESET_NAMES.map((name) => ({ name, point: presetPoint(presetComposite(name)!, groups, layers) })),
    { name: 'all-epsilon', point: epsilonPoint(groups, 'one-hot') },
    { name: 'all-epsilon-logit', point: epsilonPoint(groups, 'logit') },
  ];
  const points: StartingPoint[] = [];
  const notes: string[] = [];
  for (const { name, point } of candidates) {
    const fitted = typeof point === 'string' ? point : fitToSpace(space, point);
    if (typeof fitted === 'string') {
      notes.push(`${name}: skipped (${fitted})`);
      continue;
    }
    const same = points.find((q) => keyOf(q.params) === keyOf(fitted.params));
    if (same) notes.push(`${name}: the same point as ${same.name} in this space`);
    else {
      if (fitted.projected.length) notes.push(`${name}: projected onto the space (${fitted.projected.join(', ')})`);
      points.push({ name, params: fitted.params });
    }
  }
  return { points, notes };
}

/**
 * Trials 0 … k−1 are the starting points, the rest the inner sampler's. A suggestion still depends only on the
 * history (its length is the number of the trial being suggested), so resume and --workers batches are unchanged.
 */
export class StartingSampler implements Sampler {
  constructor(
    readonly points: readonly StartingPoint[],
    private readonly inner: Sampler,
  ) {}

  suggest(history: Trial[]): Params {
    const point = this.points[history.length];
    return point ? { ...point.params } : this.inner.suggest(history);
  }

  /** The starting point trial `number` is, if it is one. */
  nameOf(number: number): string | undefined {
    return this.points[number]?.name;
  }
}
