/**
 * The attribution search space of method.md §4, built from a model: its conv layers split by depth into thirds
 * (`low`, `mid`, `high`) and its dense layers (`fc`); per group a rule with its parameter; the first layer's rule;
 * `abs_sort` and `least_relevant_first`. A point of the space becomes a composite in our JSON schema.
 */
import type { CompositeSpec, RuleSpec } from '../lrp/composites';
import { badInput } from '../errors';
import { type Params, type SearchSpace, validateSpace } from './space';

export interface LayerGroups {
  /** Group name → linear layer names, in network order. */
  groups: Record<string, string[]>;
  first: string;
}

/** Thirds of the conv layers by depth (sizes differ by at most one, the earlier groups larger) and the dense layers. */
export function layerGroups(linear: { name: string; kind: 'conv' | 'dense' }[]): LayerGroups {
  const convs = linear.filter((l) => l.kind === 'conv').map((l) => l.name);
  const dense = linear.filter((l) => l.kind === 'dense').map((l) => l.name);
  const third = (i: number) => convs.slice(Math.round((i * convs.length) / 3), Math.round(((i + 1) * convs.length) / 3));
  const groups: Record<string, string[]> = {};
  (['low', 'mid', 'high'] as const).forEach((g, i) => {
    if (third(i).length) groups[g] = third(i);
  });
  if (dense.length) groups.fc = dense;
  return { groups, first: linear[0].name };
}

const RULES = ['epsilon', 'z-plus', 'alpha-beta', 'gamma'];

export function lrpSearchSpace(g: LayerGroups): SearchSpace {
  const space: SearchSpace[number][] = [];
  for (const group of Object.keys(g.groups)) {
    space.push({ kind: 'categorical', name: `${group}.rule`, choices: RULES });
    space.push({ kind: 'float', name: `${group}.epsilon`, low: 1e-6, high: 1, log: true, grid: [1e-6, 1e-2, 1], when: { param: `${group}.rule`, equals: ['epsilon'] } });
    space.push({ kind: 'float', name: `${group}.gamma`, low: 1e-3, high: 10, log: true, grid: [0.01, 0.25, 1], when: { param: `${group}.rule`, equals: ['gamma'] } });
    space.push({ kind: 'float', name: `${group}.alpha`, low: 1, high: 3, grid: [1, 2, 3], when: { param: `${group}.rule`, equals: ['alpha-beta'] } });
  }
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
  return { name, default: { conv: { rule: 'epsilon', epsilon: 1e-6 }, dense: { rule: 'epsilon', epsilon: 1e-6 } }, layers, canonizers: ['merge-batch-norm'] };
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
    groups = { groups: g, first: defaults.first };
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
