/**
 * The attribution search space of method.md §4, built from a model: its conv layers split by depth into thirds
 * (`low`, `mid`, `high`) and its dense layers (`fc`); per group a rule with its parameter; the first layer's rule;
 * `abs_sort` and `least_relevant_first`. In a transformer the thirds are of the encoder blocks (each block's q, k,
 * v, out and MLP layers; the patch embedding joins `low`, the classifier is `fc`) and the softmax rule joins the
 * space. A point of the space becomes a composite in our JSON schema.
 */
import { type Graph, isLinear } from '../graph/graph';
import type { CompositeSpec, RuleSpec, SoftmaxRule } from '../lrp/composites';
import { badInput } from '../errors';
import { type Params, type SearchSpace, validateSpace } from './space';

export interface LayerGroups {
  /** Group name → linear layer names, in network order. */
  groups: Record<string, string[]>;
  first: string;
  /** A transformer's space also chooses the attention softmax rule. */
  transformer?: boolean;
}

export interface SearchLayer {
  name: string;
  kind: 'conv' | 'dense';
  /** Transformers: the encoder block (1-based) the layer belongs to, 0 before the first; none for the classifier. */
  block?: number;
}

/** The linear layers of a graph, with their encoder block when the graph is a transformer. */
export function searchLayers(graph: Graph): SearchLayer[] {
  const linear = graph.nodes.map((n, i) => ({ n, i })).filter(({ n }) => isLinear(n.op));
  const attention = graph.nodes.map((n, i) => ({ n, i })).filter(({ n }) => n.op.type === 'attention');
  return linear.map(({ n, i }, k) => {
    const kind = n.op.type === 'dense' ? ('dense' as const) : ('conv' as const);
    if (attention.length === 0 || k === linear.length - 1) return { name: n.name, kind };
    // q, k and v feed their attention op, which comes after them; everything else follows its block's attention.
    const owner = attention.findIndex(({ n: a }) => a.inputs.includes(i));
    return { name: n.name, kind, block: owner >= 0 ? owner + 1 : attention.filter((a) => a.i < i).length };
  });
}

const thirds = <T>(xs: T[]) => [0, 1, 2].map((i) => xs.slice(Math.round((i * xs.length) / 3), Math.round(((i + 1) * xs.length) / 3)));

/** Thirds of the conv layers (or encoder blocks) by depth (the earlier groups larger) and the dense layers. */
export function layerGroups(linear: SearchLayer[]): LayerGroups {
  if (linear.some((l) => l.block !== undefined)) return blockGroups(linear);
  const convs = linear.filter((l) => l.kind === 'conv').map((l) => l.name);
  const dense = linear.filter((l) => l.kind === 'dense').map((l) => l.name);
  const groups: Record<string, string[]> = {};
  thirds(convs).forEach((names, i) => {
    if (names.length) groups[['low', 'mid', 'high'][i]] = names;
  });
  if (dense.length) groups.fc = dense;
  return { groups, first: linear[0].name };
}

function blockGroups(linear: SearchLayer[]): LayerGroups {
  const blocks = Math.max(...linear.map((l) => l.block ?? 0));
  const groups: Record<string, string[]> = {};
  thirds(Array.from({ length: blocks }, (_, b) => b + 1)).forEach((bs, g) => {
    const names = linear.filter((l) => l.block !== undefined && (bs.includes(l.block) || (g === 0 && l.block === 0))).map((l) => l.name);
    if (names.length) groups[['low', 'mid', 'high'][g]] = names;
  });
  const fc = linear.filter((l) => l.block === undefined).map((l) => l.name);
  if (fc.length) groups.fc = fc;
  return { groups, first: linear[0].name, transformer: true };
}

const RULES = ['epsilon', 'z-plus', 'alpha-beta', 'gamma'];
/** method.md §4: epsilon, z-plus with virtual bias, z-plus without, cp. */
const SOFTMAX_CHOICES: SoftmaxRule[] = ['epsilon', 'z-plus-vbias', 'z-plus', 'cp'];

export function lrpSearchSpace(g: LayerGroups): SearchSpace {
  const space: SearchSpace[number][] = [];
  for (const group of Object.keys(g.groups)) {
    space.push({ kind: 'categorical', name: `${group}.rule`, choices: RULES });
    space.push({ kind: 'float', name: `${group}.epsilon`, low: 1e-6, high: 1, log: true, grid: [1e-6, 1e-2, 1], when: { param: `${group}.rule`, equals: ['epsilon'] } });
    space.push({ kind: 'float', name: `${group}.gamma`, low: 1e-3, high: 10, log: true, grid: [0.01, 0.25, 1], when: { param: `${group}.rule`, equals: ['gamma'] } });
    space.push({ kind: 'float', name: `${group}.alpha`, low: 1, high: 3, grid: [1, 2, 3], when: { param: `${group}.rule`, equals: ['alpha-beta'] } });
  }
  if (g.transformer) space.push({ kind: 'categorical', name: 'softmax.rule', choices: SOFTMAX_CHOICES });
  space.push({ kind: 'categorical', name: 'first.rule', choices: ['group', 'flat', 'z-box', 'w-square'] });
  space.push({ kind: 'categorical', name: 'abs_sort', choices: ['true', 'false'] });
  space.push({ kind: 'categorical', name: 'least_relevant_first', choices: ['true', 'false'] });
  return space;
}

function groupRule(p: Params, group: string): RuleSpec {
  switch (p[`${group}.rule`]) {
    case 'epsilon':
      return { rule: 'epsilon', epsilon: Number(p[`${group}.epsilon`]) };
    case 'gamma':
      return { rule: 'gamma', gamma: Number(p[`${group}.gamma`]) };
    case 'alpha-beta': {
      const alpha = Number(p[`${group}.alpha`]);
      return { rule: 'alpha-beta', alpha, beta: alpha - 1 };
    }
    default:
      return { rule: 'z-plus' };
  }
}

/** The composite a point stands for: a rule per layer by its group, the first layer's override, merged batch norms. */
export function paramsToComposite(p: Params, g: LayerGroups, name: string): CompositeSpec {
  const layers: Record<string, RuleSpec> = {};
  for (const [group, names] of Object.entries(g.groups)) for (const n of names) layers[n] = groupRule(p, group);
  const first = p['first.rule'];
  // z-box bounds are those of our inputs, [0, 1].
  if (first === 'flat' || first === 'w-square') layers[g.first] = { rule: first };
  else if (first === 'z-box') layers[g.first] = { rule: 'z-box', low: 0, high: 1 };
  const c: CompositeSpec = { name, default: { conv: { rule: 'epsilon', epsilon: 1e-6 }, dense: { rule: 'epsilon', epsilon: 1e-6 } }, layers, canonizers: ['merge-batch-norm'] };
  if (p['softmax.rule'] !== undefined) c.attention = { softmax: p['softmax.rule'] as SoftmaxRule };
  return c;
}

/** The part of a point that decides the relevance (abs_sort and least_relevant_first only change the ranking). */
export function relevanceKey(p: Params): string {
  return JSON.stringify(Object.entries(p).filter(([k]) => k !== 'abs_sort' && k !== 'least_relevant_first').sort());
}

/**
 * `--space FILE`: narrows or widens the space. `{"groups": {"low": ["conv1", …], …}, "params": {"low.rule":
 * {"choices": ["epsilon", "gamma"]}, "low.epsilon": {"low": 1e-4, "high": 1}, "abs_sort": {"choices": ["true"]}}}`.
 * Groups replace the depth thirds (a layer in no group keeps epsilon 1e-6); params change the choices or bounds of
 * parameters the space has. Every problem names the JSON path.
 */
export function customizeSpace(json: unknown, source: string, defaults: LayerGroups, linearNames: string[]): { groups: LayerGroups; space: SearchSpace } {
  const fail = (where: string, problem: string, hint: string): never => {
    throw badInput(`${source}: ${where}: ${problem}`, hint);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('(top level)', 'not a JSON object', 'write {"groups": {…}, "params": {…}}');
  const doc = json as Record<string, unknown>;
  for (const k of Object.keys(doc)) if (k !== 'groups' && k !== 'params') fail(k, 'unknown key', 'the keys are "groups" and "params"');
  let groups = defaults;
  if (doc.groups !== undefined) {
    if (typeof doc.groups !== 'object' || doc.groups === null || Array.isArray(doc.groups)) fail('groups', 'not an object', 'map a group name to a list of layer names');
    const g: Record<string, string[]> = {};
    for (const [name, layers] of Object.entries(doc.groups as Record<string, unknown>)) {
      if (!/^[a-z][a-z0-9_]*$/.test(name)) fail(`groups.${name}`, 'group names are lower-case identifiers', 'e.g. "low", "mid", "high", "fc"');
      if (!Array.isArray(layers) || layers.length === 0) fail(`groups.${name}`, 'not a non-empty list of layer names', 'list the conv/dense layers of the group');
      for (const [i, l] of (layers as unknown[]).entries()) {
        if (typeof l !== 'string' || !linearNames.includes(l)) fail(`groups.${name}[${i}]`, `'${String(l)}' is not a conv or dense layer of the model`, `layers: ${linearNames.join(', ')}`);
      }
      g[name] = layers as string[];
    }
    groups = { groups: g, first: defaults.first, transformer: defaults.transformer };
  }
  const space = lrpSearchSpace(groups).map((p) => ({ ...p }));
  if (doc.params !== undefined) {
    if (typeof doc.params !== 'object' || doc.params === null || Array.isArray(doc.params)) fail('params', 'not an object', 'map a parameter name to {"choices": […]} or {"low": …, "high": …}');
    for (const [name, change] of Object.entries(doc.params as Record<string, Record<string, unknown>>)) {
      const at = space.findIndex((p) => p.name === name);
      if (at < 0) fail(`params.${name}`, 'no such parameter', `parameters: ${space.map((p) => p.name).join(', ')}`);
      const p = space[at];
      if (p.kind === 'categorical') {
        const choices = change.choices;
        if (!Array.isArray(choices) || choices.length === 0 || choices.some((c) => !p.choices.includes(String(c)))) {
          fail(`params.${name}.choices`, 'not a non-empty subset of the choices', `choices: ${p.choices.join(', ')}`);
        }
        space[at] = { ...p, choices: (choices as unknown[]).map(String) };
      } else {
        const low = change.low ?? p.low;
        const high = change.high ?? p.high;
        if (typeof low !== 'number' || typeof high !== 'number' || !(low < high) || (p.kind === 'float' && p.log && low <= 0)) {
          fail(`params.${name}`, `bounds [${String(low)}, ${String(high)}] are not valid`, p.kind === 'float' && p.log ? 'give 0 < low < high (log scale)' : 'give low < high');
        }
        space[at] = { ...p, low: low as number, high: high as number, grid: undefined };
      }
    }
  }
  // A parameter whose condition no remaining choice switches on is gone from the narrowed space.
  const choicesOf = new Map(space.flatMap((p) => (p.kind === 'categorical' ? [[p.name, p.choices] as const] : [])));
  const narrowed = space
    .map((p) => (p.when ? { ...p, when: { ...p.when, equals: p.when.equals.filter((v) => choicesOf.get(p.when!.param)?.includes(v)) } } : p))
    .filter((p) => !p.when || p.when.equals.length > 0);
  validateSpace(narrowed);
  return { groups, space: narrowed };
}
