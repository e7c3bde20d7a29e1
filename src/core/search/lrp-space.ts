/**
 * The attribution search space of method.md §4, built from a model: its conv layers split by depth into thirds
 * (`low`, `mid`, `high`) and its dense layers (`fc`); per group a rule with its parameter; the first layer's rule;
 * `abs_sort` and `least_relevant_first`. A point of the space becomes a composite in our JSON schema.
 */
import type { CompositeSpec, RuleSpec } from '../lrp/composites';
import type { Params, SearchSpace } from './space';

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
