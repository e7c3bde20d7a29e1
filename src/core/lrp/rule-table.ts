/**
 * The one table of LRP rules for conv and dense layers: each rule's name in composites, its parameters (zennit's
 * defaults, their bounds, how they complete and constrain one another) and the declaration it builds (rules.ts).
 * Composites parse, describe and write rules from it; attribution builds them from it.
 */
import {
  type LinearRule,
  alphaBetaRule,
  epsilonRule,
  flatRule,
  gammaRule,
  wSquareRule,
  zBoxRule,
  zPlusRule,
} from './rules';
import { DEFAULT_STABILIZER } from './stabilizer';

interface ParamDecl {
  /** The reference library's default (zennit), used when a composite leaves the parameter out. */
  default: number;
  /** The smallest value the rule accepts. */
  min?: number;
}

/** What is wrong with a rule's parameters: the parameter to point at, the problem and, if more specific, a hint. */
export interface ParamProblem {
  param: string;
  problem: string;
  hint?: string;
}

interface RuleEntry<P extends string> {
  /** The parameters, in the order descriptions and files write them. */
  params: Record<P, ParamDecl>;
  /** Completes the values (defaults filled in) from which parameters the composite gave. */
  complete?(values: Record<P, number>, given: ReadonlySet<string>): Record<P, number>;
  /** A constraint between the parameters, checked after completion and the bounds. */
  check?(values: Record<P, number>, given: ReadonlySet<string>): ParamProblem | undefined;
  build(values: Record<P, number>): LinearRule;
}

const entry = <P extends string = never>(e: RuleEntry<P>): RuleEntry<P> => e;

/** Short numbers for messages and labels: 1e-6 rather than 0.000001. */
export function shortNumber(n: number): string {
  if (n !== 0 && Number.isFinite(n) && (Math.abs(n) < 1e-3 || Math.abs(n) >= 1e21)) return n.toExponential();
  return String(n);
}

const ALPHA_BETA_TOLERANCE = 1e-9;
const ALPHA_BETA_HINT =
  'alpha-beta needs alpha - beta = 1 and beta >= 0, e.g. {"rule": "alpha-beta", "alpha": 2, "beta": 1}';

export const RULES = {
  // The epsilon rule's ε is the stabilizer's, made a parameter.
  epsilon: entry({
    params: { epsilon: { default: DEFAULT_STABILIZER, min: 0 } },
    build: (p) => epsilonRule(p.epsilon),
  }),
  'z-plus': entry({ params: {}, build: zPlusRule }),
  'alpha-beta': entry({
    params: { alpha: { default: 2 }, beta: { default: 1 } },
    // alpha − beta = 1 keeps the rule conservative, so one given parameter determines the other.
    complete: (p, given) => {
      if (given.has('alpha') === given.has('beta')) return p;
      return given.has('alpha') ? { alpha: p.alpha, beta: p.alpha - 1 } : { alpha: p.beta + 1, beta: p.beta };
    },
    check: ({ alpha, beta }, given) => {
      const got = `got alpha ${shortNumber(alpha)}, beta ${shortNumber(beta)}`;
      if (Math.abs(alpha - beta - 1) > ALPHA_BETA_TOLERANCE)
        return { param: 'alpha', problem: `alpha - beta must equal 1, ${got}`, hint: ALPHA_BETA_HINT };
      if (beta < 0)
        return {
          param: given.has('beta') ? 'beta' : 'alpha',
          problem: `beta must be >= 0 (alpha >= 1), ${got}`,
          hint: ALPHA_BETA_HINT,
        };
      return undefined;
    },
    build: (p) => alphaBetaRule(p.alpha, p.beta),
  }),
  gamma: entry({ params: { gamma: { default: 0.25, min: 0 } }, build: (p) => gammaRule(p.gamma) }),
  flat: entry({ params: {}, build: flatRule }),
  'w-square': entry({ params: {}, build: wSquareRule }),
  'z-box': entry({
    params: { low: { default: 0 }, high: { default: 1 } },
    check: ({ low, high }) =>
      low > high
        ? {
            param: 'low',
            problem: `low must be <= high, got low ${shortNumber(low)}, high ${shortNumber(high)}`,
            hint: 'low and high bound the input values, e.g. {"rule": "z-box", "low": 0, "high": 1} for images in [0, 1]',
          }
        : undefined,
    build: (p) => zBoxRule(p.low, p.high),
  }),
};

type Table = typeof RULES;
export type RuleName = keyof Table;
type ParamsOf<E> = E extends RuleEntry<infer P> ? P : never;
/** A rule as composites hold it: its name and every parameter's value. */
export type RuleSpec = { [K in RuleName]: { rule: K } & { [P in ParamsOf<Table[K]>]: number } }[RuleName];

export const RULE_NAMES = Object.keys(RULES) as RuleName[];

// Every entry seen with its parameter names as plain strings (the table's types keep them exact elsewhere).
const entryOf = (rule: RuleName): RuleEntry<string> => RULES[rule];
const valuesOf = (spec: RuleSpec) => spec as unknown as Record<string, number>;

export function ruleParams(rule: RuleName): string[] {
  return Object.keys(entryOf(rule).params);
}

/** The rule with every parameter at its default. */
export function defaultRuleSpec(rule: RuleName): RuleSpec {
  const e = entryOf(rule);
  return { rule, ...Object.fromEntries(ruleParams(rule).map((k) => [k, e.params[k].default])) } as RuleSpec;
}

/** The spec from the parameters a composite gave (finite numbers), or the first problem with them. */
export function resolveRule(
  rule: RuleName,
  given: Record<string, number>,
): { spec: RuleSpec } | { problem: ParamProblem } {
  const e = entryOf(rule);
  const names = ruleParams(rule);
  const present = new Set(names.filter((k) => k in given));
  let values = Object.fromEntries(names.map((k) => [k, present.has(k) ? given[k] : e.params[k].default]));
  if (e.complete) values = e.complete(values, present);
  for (const k of names) {
    const min = e.params[k].min;
    if (min !== undefined && values[k] < min)
      return { problem: { param: k, problem: `must be >= ${shortNumber(min)}, got ${shortNumber(values[k])}` } };
  }
  const problem = e.check?.(values, present);
  if (problem) return { problem };
  return { spec: { rule, ...Object.fromEntries(names.map((k) => [k, values[k]])) } as RuleSpec };
}

/** epsilon(1e-6), alpha-beta(2, 1), z-plus: the name and the parameters in table order. */
export function describeRule(spec: RuleSpec): string {
  const names = ruleParams(spec.rule);
  return names.length ? `${spec.rule}(${names.map((k) => shortNumber(valuesOf(spec)[k])).join(', ')})` : spec.rule;
}

export function ruleFromSpec(spec: RuleSpec): LinearRule {
  return entryOf(spec.rule).build(valuesOf(spec));
}
