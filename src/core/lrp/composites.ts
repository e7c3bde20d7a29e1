/**
 * Composites: which LRP rule applies to which layer. A composite is a preset name or a JSON file in our schema
 * (architecture.md, "Composites"; the rules themselves are in method.md section 2):
 *   {"default": {"conv": RULE, "dense": RULE}, "first": RULE, "layers": {"<name>": RULE},
 *    "canonizers": ["merge-batch-norm"], "attention": {"softmax": "epsilon"|"z-plus"|"z-plus-vbias"|"cp"},
 *    "init": "one-hot"|"logit", "abs_sort": true, "least_relevant_first": true}
 * (the last three are what a search's best-composite.json carries for pxp prune; attribution reads `init` only)
 * Precedence: a layer-name rule beats `first` (the first conv/dense layer in topological order), which beats the
 * default for the layer's kind. Files are validated strictly, so a typo ("gama", "epsilom") is an error that names
 * the file and the JSON path instead of a silently different attribution.
 */
import fs from 'node:fs';
import { badInput } from '../errors';
import {
  RULE_NAMES,
  type RuleName,
  type RuleSpec,
  defaultRuleSpec,
  resolveRule,
  ruleParams,
  shortNumber,
} from './rule-table';

// The rules, their parameters and descriptions are one table (rule-table.ts); composites refer to it.
export { type RuleSpec, describeRule } from './rule-table';

export type SoftmaxRule = 'epsilon' | 'z-plus' | 'z-plus-vbias' | 'cp';

export interface CompositeSpec {
  name: string; // preset name or the file path
  default: { conv: RuleSpec; dense: RuleSpec };
  first?: RuleSpec;
  layers: Record<string, RuleSpec>;
  canonizers: CanonizerName[];
  attention?: { softmax: SoftmaxRule };
  /** What a searched composite (best-composite.json) carries besides rules, so pxp prune reproduces its trial:
   * the initial relevance (`init`, method.md §1) and the ranking switches (`abs_sort`, `least_relevant_first`, §3–4). */
  init?: 'one-hot' | 'logit';
  absSort?: boolean;
  leastRelevantFirst?: boolean;
}

const SOFTMAX_RULES: readonly SoftmaxRule[] = ['epsilon', 'z-plus', 'z-plus-vbias', 'cp'];
/** The canonizers a composite may name (their graph rewrites: canonizers.ts). */
export const CANONIZER_NAMES = ['merge-batch-norm'] as const;
export type CanonizerName = (typeof CANONIZER_NAMES)[number];
const TOP_LEVEL_KEYS = [
  'default',
  'first',
  'layers',
  'canonizers',
  'attention',
  'init',
  'abs_sort',
  'least_relevant_first',
];
export const INITS: readonly string[] = ['one-hot', 'logit'];

const RULES_HINT = `valid rules: ${RULE_NAMES.join(', ')}; e.g. {"rule": "epsilon", "epsilon": 1e-6}`;

// ---------------------------------------------------------------------------------------------------------------
// Presets (method.md section 2): dense layers always use epsilon(1e-6), batch norms are merged.

const epsilonDefault = () => defaultRuleSpec('epsilon');

const PRESETS: Record<string, () => CompositeSpec> = {
  'epsilon-plus': () => preset('epsilon-plus', { rule: 'z-plus' }),
  'epsilon-plus-flat': () => preset('epsilon-plus-flat', { rule: 'z-plus' }, { rule: 'flat' }),
  'epsilon-alpha2-beta1': () => preset('epsilon-alpha2-beta1', { rule: 'alpha-beta', alpha: 2, beta: 1 }),
  'epsilon-alpha2-beta1-flat': () =>
    preset('epsilon-alpha2-beta1-flat', { rule: 'alpha-beta', alpha: 2, beta: 1 }, { rule: 'flat' }),
  'epsilon-gamma-box': () =>
    preset('epsilon-gamma-box', { rule: 'gamma', gamma: 0.25 }, { rule: 'z-box', low: 0, high: 1 }),
};

function preset(name: string, conv: RuleSpec, first?: RuleSpec): CompositeSpec {
  const c: CompositeSpec = {
    name,
    default: { conv, dense: epsilonDefault() },
    layers: {},
    canonizers: ['merge-batch-norm'],
  };
  if (first) c.first = first;
  return c;
}

export const PRESET_NAMES: readonly string[] = Object.freeze(Object.keys(PRESETS));

/** A fresh copy of the preset (callers may modify it), or undefined for an unknown name. */
export function presetComposite(name: string): CompositeSpec | undefined {
  return Object.prototype.hasOwnProperty.call(PRESETS, name) ? PRESETS[name]() : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing and validation

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

/** Builds the error every validation problem becomes: "<source>: <json path>: <problem>". */
function fail(source: string, path: string, problem: string, hint: string): never {
  throw badInput(`${source}: ${path}: ${problem}`, hint);
}

function checkKeys(obj: Json, allowed: readonly string[], source: string, path: string, what: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      const closest = closestNames(key, allowed, 1)[0];
      const guess = closest && editDistance(key, closest) <= 2 ? `did you mean '${closest}'? ` : '';
      fail(source, join(path, key), `unknown key '${key}' in ${what}`, `${guess}valid keys: ${allowed.join(', ')}`);
    }
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function finiteNumber(v: unknown, source: string, path: string, hint: string): number {
  if (typeof v !== 'number') fail(source, path, `expected a number, got ${typeName(v)}`, hint);
  if (!Number.isFinite(v)) fail(source, path, `must be a finite number, got ${v}`, hint);
  return v;
}

function parseRule(v: unknown, source: string, path: string): RuleSpec {
  if (!isObject(v)) fail(source, path, `expected a rule object, got ${typeName(v)}`, RULES_HINT);
  if (!('rule' in v)) fail(source, join(path, 'rule'), 'missing', RULES_HINT);
  const name = v.rule;
  if (typeof name !== 'string')
    fail(source, join(path, 'rule'), `expected a string, got ${typeName(name)}`, RULES_HINT);
  if (name === 'pass') {
    fail(
      source,
      join(path, 'rule'),
      "'pass' is not a rule for conv or dense layers (activations pass relevance unchanged without one)",
      `give this layer an LRP rule; ${RULES_HINT}`,
    );
  }
  if (!(RULE_NAMES as string[]).includes(name)) {
    const closest = closestNames(name, RULE_NAMES, 1)[0];
    const guess = editDistance(name, closest) <= 3 ? `did you mean '${closest}'? ` : '';
    fail(source, join(path, 'rule'), `unknown rule '${name}'`, guess + RULES_HINT);
  }
  const rule = name as RuleName;
  const params = ruleParams(rule);
  checkKeys(v, ['rule', ...params], source, path, `rule '${rule}'`);
  const paramHint = params.length
    ? `rule '${rule}' takes ${params.join(' and ')}; e.g. ${ruleExample(defaultRuleSpec(rule))}`
    : `rule '${rule}' takes no parameters`;
  const given: Record<string, number> = {};
  for (const key of params) if (key in v) given[key] = finiteNumber(v[key], source, join(path, key), paramHint);
  const resolved = resolveRule(rule, given);
  if ('problem' in resolved)
    fail(source, join(path, resolved.problem.param), resolved.problem.problem, resolved.problem.hint ?? paramHint);
  return resolved.spec;
}

/** "layers": {"<layer name>": RULE}, each name one the model has (when `layerNames` is given). */
function parseLayerRules(
  layers: unknown,
  source: string,
  layerNames: readonly string[] | undefined,
): Record<string, RuleSpec> {
  if (!isObject(layers))
    fail(source, 'layers', `expected an object, got ${typeName(layers)}`, '"layers": {"<layer name>": RULE}');
  const out: Record<string, RuleSpec> = {};
  for (const [name, rule] of Object.entries(layers)) {
    const path = `layers.${name}`;
    if (layerNames && !layerNames.includes(name)) {
      const some = closestNames(name, layerNames, 6);
      fail(
        source,
        path,
        `the model has no layer named '${name}'`,
        some.length ? `layers in this model include: ${some.join(', ')}` : 'this model has no layers to name',
      );
    }
    out[name] = parseRule(rule, source, path);
  }
  return out;
}

/** "canonizers": a list of canonizer names (repeats dropped; [] turns them off). */
function parseCanonizers(list: unknown, source: string): CanonizerName[] {
  const hint = `valid canonizers: ${CANONIZER_NAMES.join(', ')}; [] turns them off`;
  if (!Array.isArray(list)) fail(source, 'canonizers', `expected an array, got ${typeName(list)}`, hint);
  const out: CanonizerName[] = [];
  list.forEach((c: unknown, i: number) => {
    if (typeof c !== 'string') fail(source, `canonizers[${i}]`, `expected a string, got ${typeName(c)}`, hint);
    if (!(CANONIZER_NAMES as readonly string[]).includes(c))
      fail(source, `canonizers[${i}]`, `unknown canonizer '${c}'`, hint);
    if (!out.includes(c as CanonizerName)) out.push(c as CanonizerName);
  });
  return out;
}

/** "attention": {"softmax": RULE}. */
function parseAttention(a: unknown, source: string): { softmax: SoftmaxRule } {
  const hint = `"attention": {"softmax": RULE} with RULE one of ${SOFTMAX_RULES.join(', ')}`;
  if (!isObject(a)) fail(source, 'attention', `expected an object, got ${typeName(a)}`, hint);
  checkKeys(a, ['softmax'], source, 'attention', 'attention');
  if (!('softmax' in a)) fail(source, 'attention.softmax', 'missing', hint);
  const s = a.softmax;
  if (typeof s !== 'string') fail(source, 'attention.softmax', `expected a string, got ${typeName(s)}`, hint);
  if (!(SOFTMAX_RULES as readonly string[]).includes(s))
    fail(source, 'attention.softmax', `unknown softmax rule '${s}'`, hint);
  return { softmax: s as SoftmaxRule };
}

/**
 * Validates a composite in our JSON schema. `source` (the file path) starts every error message; when `layerNames`
 * is given, rules for layers the model does not have are errors (a misspelt name would otherwise do nothing).
 */
export function parseComposite(json: unknown, source: string, layerNames?: readonly string[]): CompositeSpec {
  const schemaHint =
    'a composite is {"default": {"conv": RULE, "dense": RULE}, "first": RULE, "layers": {"<layer>": RULE}, ' +
    '"canonizers": ["merge-batch-norm"], "attention": {"softmax": "epsilon"}}';
  if (!isObject(json)) fail(source, '(top level)', `expected a JSON object, got ${typeName(json)}`, schemaHint);
  checkKeys(json, TOP_LEVEL_KEYS, source, '', 'the composite');

  let conv = epsilonDefault();
  let dense = epsilonDefault();
  if ('default' in json) {
    const d = json.default;
    if (!isObject(d))
      fail(source, 'default', `expected an object, got ${typeName(d)}`, '"default": {"conv": RULE, "dense": RULE}');
    checkKeys(d, ['conv', 'dense'], source, 'default', 'default');
    if ('conv' in d) conv = parseRule(d.conv, source, 'default.conv');
    if ('dense' in d) dense = parseRule(d.dense, source, 'default.dense');
  }

  const spec: CompositeSpec = { name: source, default: { conv, dense }, layers: {}, canonizers: ['merge-batch-norm'] };
  if ('first' in json) spec.first = parseRule(json.first, source, 'first');

  if ('layers' in json) spec.layers = parseLayerRules(json.layers, source, layerNames);
  if ('canonizers' in json) spec.canonizers = parseCanonizers(json.canonizers, source);
  if ('attention' in json) spec.attention = parseAttention(json.attention, source);

  if ('init' in json) {
    const hint = `"init" is one of ${INITS.map((i) => JSON.stringify(i)).join(', ')} (the initial relevance: one-hot target or its logit)`;
    if (typeof json.init !== 'string') fail(source, 'init', `expected a string, got ${typeName(json.init)}`, hint);
    if (!INITS.includes(json.init)) fail(source, 'init', `unknown initial relevance '${json.init}'`, hint);
    spec.init = json.init as CompositeSpec['init'];
  }
  const flag = (key: 'abs_sort' | 'least_relevant_first'): boolean | undefined => {
    if (!(key in json)) return undefined;
    if (typeof json[key] !== 'boolean')
      fail(source, key, `expected true or false, got ${typeName(json[key])}`, `"${key}": true or false`);
    return json[key] as boolean;
  };
  const absSort = flag('abs_sort');
  if (absSort !== undefined) spec.absSort = absSort;
  const leastFirst = flag('least_relevant_first');
  if (leastFirst !== undefined) spec.leastRelevantFirst = leastFirst;
  return spec;
}

/** A preset name, else the path of a JSON file in our schema. */
export function loadComposite(arg: string, layerNames?: readonly string[]): CompositeSpec {
  const p = presetComposite(arg);
  if (p) return p;
  const closest = closestNames(arg, PRESET_NAMES, 1)[0];
  const guess = editDistance(arg, closest) <= 3 ? `did you mean '${closest}'? ` : '';
  const hint = `${guess}use a preset (${PRESET_NAMES.join(', ')}) or a JSON file path`;
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(arg);
  } catch {
    stat = undefined;
  }
  if (!stat) throw badInput(`composite '${arg}' is neither a preset nor an existing file`, hint);
  if (!stat.isFile()) throw badInput(`${arg}: not a file (a composite is a preset name or a JSON file)`, hint);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(arg, 'utf8'));
  } catch (e) {
    throw badInput(`${arg}: invalid JSON: ${(e as Error).message}`, `fix the file's syntax; ${hint}`);
  }
  return parseComposite(json, arg, layerNames);
}

/** The rule for one conv/dense layer: its own name's rule, else `first` for the first layer, else the default. */
export function ruleForLayer(
  c: CompositeSpec,
  layer: { name: string; kind: 'conv' | 'dense'; isFirst: boolean },
): RuleSpec {
  if (Object.prototype.hasOwnProperty.call(c.layers, layer.name)) return c.layers[layer.name];
  if (layer.isFirst && c.first) return c.first;
  return c.default[layer.kind];
}

/** A rule as JSON for hints, with numbers written the short way (1e-6, not 0.000001). */
function ruleExample(r: RuleSpec): string {
  return `{${Object.entries(r)
    .map(([k, v]) => `"${k}": ${typeof v === 'number' ? shortNumber(v) : JSON.stringify(v)}`)
    .join(', ')}}`;
}

/** A rule with every parameter explicit, in our schema. */
function compositeRuleJson(r: RuleSpec): Record<string, unknown> {
  return { ...r };
}

/** Back to our schema (the name is not part of it); parseComposite gives the same spec back. */
export function compositeToJson(c: CompositeSpec): object {
  const out: Record<string, unknown> = {
    default: { conv: compositeRuleJson(c.default.conv), dense: compositeRuleJson(c.default.dense) },
  };
  if (c.first) out.first = compositeRuleJson(c.first);
  if (Object.keys(c.layers).length) {
    out.layers = Object.fromEntries(Object.entries(c.layers).map(([k, r]) => [k, compositeRuleJson(r)]));
  }
  out.canonizers = [...c.canonizers]; // always written: a missing list would mean the default, not []
  if (c.attention) out.attention = { softmax: c.attention.softmax };
  if (c.init !== undefined) out.init = c.init;
  if (c.absSort !== undefined) out.abs_sort = c.absSort;
  if (c.leastRelevantFirst !== undefined) out.least_relevant_first = c.leastRelevantFirst;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Suggestions for misspelt names

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** Up to n candidates, the closest to `name` first (ties keep the candidates' order). */
function closestNames(name: string, candidates: readonly string[], n: number): string[] {
  return candidates
    .map((c, i) => ({ c, i, d: editDistance(name.toLowerCase(), c.toLowerCase()) }))
    .sort((x, y) => x.d - y.d || x.i - y.i)
    .slice(0, n)
    .map((x) => x.c);
}
