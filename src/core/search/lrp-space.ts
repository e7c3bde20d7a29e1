/**
 * The attribution search space of method.md §4 over the layer groups of layer-groups.ts: per searched group a rule
 * with its parameter, the softmax rule where it can change a score, the initial relevance (one-hot or the target's
 * logit), `abs_sort` and `least_relevant_first`. A point of the space becomes a composite in our JSON schema, which
 * also carries the point's initial relevance and ranking switches so `pxp prune` reproduces it.
 */
import type { CompositeSpec, RuleSpec, SoftmaxRule } from '../lrp/composites';
import { badInput } from '../errors';
import { type LayerGroups, type SpaceModel, searchGroups } from './layer-groups';
import { RETIRED_PARAMS } from './retired-params';
import { type Params, type SearchSpace, validateSpace } from './space';

export type { LayerGroups } from './layer-groups';

const RULES = ['epsilon', 'z-plus', 'alpha-beta', 'gamma'];
/** method.md §4: epsilon, z-plus with virtual bias, z-plus without, cp. */
const SOFTMAX_CHOICES: SoftmaxRule[] = ['epsilon', 'z-plus-vbias', 'z-plus', 'cp'];

export const INIT_CHOICES = ['one-hot', 'logit'];

export function lrpSearchSpace(g: LayerGroups): SearchSpace {
  const space: SearchSpace[number][] = [];
  for (const group of Object.keys(g.groups).filter((name) => !g.inert.includes(name))) {
    space.push({ kind: 'categorical', name: `${group}.rule`, choices: RULES });
    space.push({
      kind: 'float',
      name: `${group}.epsilon`,
      low: 1e-6,
      high: 1,
      log: true,
      grid: [1e-6, 1e-2, 1],
      when: { param: `${group}.rule`, equals: ['epsilon'] },
    });
    space.push({
      kind: 'float',
      name: `${group}.gamma`,
      low: 1e-3,
      high: 10,
      log: true,
      grid: [0.01, 0.25, 1],
      when: { param: `${group}.rule`, equals: ['gamma'] },
    });
    space.push({
      kind: 'float',
      name: `${group}.alpha`,
      low: 1,
      high: 3,
      grid: [1, 2, 3],
      when: { param: `${group}.rule`, equals: ['alpha-beta'] },
    });
  }
  if (g.softmax === 'searched') space.push({ kind: 'categorical', name: 'softmax.rule', choices: SOFTMAX_CHOICES });
  space.push({ kind: 'categorical', name: 'init', choices: INIT_CHOICES });
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
    case 'z-plus':
      return { rule: 'z-plus' };
    default:
      // An inert group (not searched): its rule changes no score.
      return { rule: 'epsilon', epsilon: 1e-6 };
  }
}

/** The composite a point stands for: a rule per layer by its group, merged batch norms, and the point's initial
 * relevance and ranking switches (so `pxp prune --criterion lrp:FILE` reproduces the trial with no further flags). */
export function paramsToComposite(p: Params, g: LayerGroups, name: string): CompositeSpec {
  const layers: Record<string, RuleSpec> = {};
  for (const [group, names] of Object.entries(g.groups)) for (const n of names) layers[n] = groupRule(p, group);
  const c: CompositeSpec = {
    name,
    default: { conv: { rule: 'epsilon', epsilon: 1e-6 }, dense: { rule: 'epsilon', epsilon: 1e-6 } },
    layers,
    canonizers: ['merge-batch-norm'],
  };
  if (p['softmax.rule'] !== undefined) c.attention = { softmax: p['softmax.rule'] as SoftmaxRule };
  c.init = p.init === 'logit' ? 'logit' : 'one-hot';
  c.absSort = p.abs_sort !== 'false';
  c.leastRelevantFirst = p.least_relevant_first !== 'false';
  return c;
}

/** A point's rules (per group, and the softmax rule): what makes two trials of a batch near-duplicates (tpe.ts). */
export function rulePattern(p: Params): string {
  return JSON.stringify(
    Object.keys(p)
      .filter((k) => k.endsWith('.rule'))
      .sort()
      .map((k) => [k, p[k]]),
  );
}

/** The part of a point that decides the relevance (abs_sort and least_relevant_first only change the ranking). */
export function relevanceKey(p: Params): string {
  return JSON.stringify(
    Object.entries(p)
      .filter(([k]) => k !== 'abs_sort' && k !== 'least_relevant_first')
      .sort(),
  );
}

/**
 * `--space FILE`: narrows or widens the space. `{"groups": {"low": ["conv1", …], …}, "params": {"low.rule":
 * {"choices": ["epsilon", "gamma"]}, "low.epsilon": {"low": 1e-4, "high": 1}, "abs_sort": {"choices": ["true"]}}}`.
 * Groups replace the depth groups (a layer in no group keeps epsilon 1e-6); params change the choices or bounds of
 * parameters the space has. Every problem names the JSON path.
 */
export function customizeSpace(
  json: unknown,
  source: string,
  model: SpaceModel,
  linearNames: string[],
): { groups: LayerGroups; space: SearchSpace } {
  const fail = (where: string, problem: string, hint: string): never => {
    throw badInput(`${source}: ${where}: ${problem}`, hint);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    fail('(top level)', 'not a JSON object', 'write {"groups": {…}, "params": {…}}');
  const doc = json as Record<string, unknown>;
  for (const k of Object.keys(doc))
    if (k !== 'groups' && k !== 'params') fail(k, 'unknown key', 'the keys are "groups" and "params"');
  const groups =
    doc.groups === undefined ? searchGroups(model) : searchGroups(model, parseGroups(doc.groups, linearNames, fail));
  const space =
    doc.params === undefined ? lrpSearchSpace(groups) : narrowParams(lrpSearchSpace(groups), doc.params, fail);
  // A parameter whose condition no remaining choice switches on is gone from the narrowed space.
  const choicesOf = new Map(space.flatMap((p) => (p.kind === 'categorical' ? [[p.name, p.choices] as const] : [])));
  const narrowed = space
    .map((p) =>
      p.when
        ? { ...p, when: { ...p.when, equals: p.when.equals.filter((v) => choicesOf.get(p.when!.param)?.includes(v)) } }
        : p,
    )
    .filter((p) => !p.when || p.when.equals.length > 0);
  validateSpace(narrowed);
  return { groups, space: narrowed };
}

type Fail = (where: string, problem: string, hint: string) => never;

function parseGroups(json: unknown, linearNames: string[], fail: Fail): Record<string, string[]> {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    fail('groups', 'not an object', 'map a group name to a list of layer names');
  const g: Record<string, string[]> = {};
  for (const [name, layers] of Object.entries(json as Record<string, unknown>)) {
    if (!/^[a-z][a-z0-9_]*$/.test(name))
      fail(`groups.${name}`, 'group names are lower-case identifiers', 'e.g. "low", "mid", "high", "fc"');
    if (!Array.isArray(layers) || layers.length === 0)
      fail(`groups.${name}`, 'not a non-empty list of layer names', 'list the conv/dense layers of the group');
    for (const [i, l] of (layers as unknown[]).entries()) {
      if (typeof l !== 'string' || !linearNames.includes(l))
        fail(
          `groups.${name}[${i}]`,
          `'${String(l)}' is not a conv or dense layer of the model`,
          `layers: ${linearNames.join(', ')}`,
        );
    }
    g[name] = layers as string[];
  }
  return g;
}

function narrowParams(base: SearchSpace, json: unknown, fail: Fail): SearchSpace {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    fail('params', 'not an object', 'map a parameter name to {"choices": […]} or {"low": …, "high": …}');
  const space = base.map((p) => ({ ...p }));
  for (const [name, change] of Object.entries(json as Record<string, Record<string, unknown>>)) {
    const at = space.findIndex((p) => p.name === name);
    if (at < 0) {
      const retired = RETIRED_PARAMS.includes(name)
        ? `${name} is no longer searched (it cannot change a component's score); `
        : '';
      fail(`params.${name}`, 'no such parameter', `${retired}parameters: ${space.map((p) => p.name).join(', ')}`);
    }
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
      if (
        typeof low !== 'number' ||
        typeof high !== 'number' ||
        !(low < high) ||
        (p.kind === 'float' && p.log && low <= 0)
      ) {
        fail(
          `params.${name}`,
          `bounds [${String(low)}, ${String(high)}] are not valid`,
          p.kind === 'float' && p.log ? 'give 0 < low < high (log scale)' : 'give low < high',
        );
      }
      space[at] = { ...p, low: low as number, high: high as number, grid: undefined };
    }
  }
  return space;
}
