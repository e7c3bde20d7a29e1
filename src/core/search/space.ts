/**
 * The search space of the attribution search (method.md §4): named hyperparameters that are categorical, float
 * (optionally log-scaled) or integer, some of which exist only when a categorical parameter declared before them takes
 * one of a few values (e.g. `low.epsilon` only when `low.rule = epsilon`). Samplers walk the space in declaration order,
 * so a condition always refers to a parameter whose value is already known.
 */
import { badInput } from '../errors';

export type ParamValue = string | number;
export type Params = Record<string, ParamValue>;

/** The parameter exists only when the categorical `param` has one of the values in `equals`. */
export interface Condition {
  param: string;
  equals: string[];
}

export type Param = (
  | { kind: 'categorical'; name: string; choices: string[] }
  /** `grid`: the values a grid search tries (required there for floats). */
  | { kind: 'float'; name: string; low: number; high: number; log?: boolean; grid?: number[] }
  /** Both bounds inclusive. `grid`: the values a grid search tries (every integer in the range if absent). */
  | { kind: 'int'; name: string; low: number; high: number; grid?: number[] }
) & { when?: Condition };

export type SearchSpace = readonly Param[];

/** One evaluation: its number, the parameters it ran with (active ones only) and, once finished, its value. */
export interface Trial {
  number: number;
  params: Params;
  /** Higher is better (we maximize AUC). Absent while running or when the trial failed. */
  value?: number;
}

/**
 * A sampler proposes the next parameters from the trials so far. Pass every trial, running ones included (their
 * `value` absent): suggestions are a deterministic function of the sampler's seed and this history.
 */
export interface Sampler {
  suggest(history: Trial[]): Params;
}

/** Throws badInput naming the parameter when the space is malformed. */
export function validateSpace(space: SearchSpace): void {
  if (space.length === 0) throw badInput('the search space has no parameters', 'declare at least one parameter');
  const seen = new Map<string, Param>();
  for (const p of space) {
    if (!p || typeof p !== 'object') throw badInput(`a search-space parameter is ${JSON.stringify(p)}, not an object`);
    if (typeof p.name !== 'string' || p.name === '') throw badInput('a search-space parameter has no name');
    if (seen.has(p.name))
      throw badInput(`search-space parameter ${p.name} is declared twice`, 'give every parameter a unique name');
    if (p.kind === 'categorical') {
      if (!Array.isArray(p.choices) || p.choices.length === 0)
        throw badInput(`search-space parameter ${p.name} has no choices`, 'list at least one choice');
      if (new Set(p.choices).size !== p.choices.length)
        throw badInput(`search-space parameter ${p.name} lists a choice twice`);
    } else if (p.kind === 'float' || p.kind === 'int') {
      if (!Number.isFinite(p.low) || !Number.isFinite(p.high))
        throw badInput(`search-space parameter ${p.name} needs finite bounds (got [${p.low}, ${p.high}])`);
      if (p.low >= p.high)
        throw badInput(
          `search-space parameter ${p.name} has low ${p.low} ≥ high ${p.high}`,
          'the lower bound must be below the upper bound',
        );
      if (p.kind === 'int' && (!Number.isInteger(p.low) || !Number.isInteger(p.high)))
        throw badInput(`integer search-space parameter ${p.name} has non-integer bounds [${p.low}, ${p.high}]`);
      if (p.kind === 'float' && p.log && p.low <= 0)
        throw badInput(
          `log-scaled search-space parameter ${p.name} has low ${p.low} ≤ 0`,
          'a log-scaled range must be positive',
        );
      if (p.grid !== undefined) {
        if (!Array.isArray(p.grid) || p.grid.length === 0)
          throw badInput(`search-space parameter ${p.name} has an empty grid`);
        for (const v of p.grid) {
          if (!Number.isFinite(v) || v < p.low || v > p.high || (p.kind === 'int' && !Number.isInteger(v)))
            throw badInput(`grid value ${v} of search-space parameter ${p.name} is outside [${p.low}, ${p.high}]`);
        }
      }
    } else {
      throw badInput(
        `search-space parameter ${(p as Param).name} has unknown kind ${String((p as { kind: unknown }).kind)}`,
      );
    }
    if (p.when !== undefined) {
      if (!p.when || typeof p.when !== 'object' || typeof p.when.param !== 'string')
        throw badInput(`the condition of search-space parameter ${p.name} is not {"param", "equals"}`);
      const parent = seen.get(p.when.param);
      if (parent === undefined) {
        const later = space.some((q) => q.name === p.when!.param);
        throw badInput(
          `search-space parameter ${p.name} depends on ${later ? 'parameter ' + p.when.param + ' declared after it' : 'unknown parameter ' + p.when.param}`,
          'a condition must name a categorical parameter declared before it',
        );
      }
      if (parent.kind !== 'categorical')
        throw badInput(`search-space parameter ${p.name} depends on ${parent.name}, which is not categorical`);
      if (!Array.isArray(p.when.equals) || p.when.equals.length === 0)
        throw badInput(`the condition of search-space parameter ${p.name} lists no values`);
      for (const v of p.when.equals) {
        if (!parent.choices.includes(v))
          throw badInput(
            `the condition of search-space parameter ${p.name} names ${v}, which is not a choice of ${parent.name}`,
          );
      }
    }
    seen.set(p.name, p);
  }
}

/** Whether `param` exists given the values already chosen (a parameter whose parent is absent is absent too). */
export function isActive(param: Param, params: Params): boolean {
  if (param.when === undefined) return true;
  const v = params[param.when.param];
  return typeof v === 'string' && param.when.equals.includes(v);
}

/** The parameters that exist for this assignment, in declaration order. */
export function activeParams(space: SearchSpace, params: Params): Param[] {
  return space.filter((p) => isActive(p, params));
}

/** Whether `v` is a legal value of `p` (used to ignore malformed history entries). */
export function isValidValue(p: Param, v: ParamValue | undefined): boolean {
  if (p.kind === 'categorical') return typeof v === 'string' && p.choices.includes(v);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < p.low || v > p.high) return false;
  return p.kind === 'float' || Number.isInteger(v);
}

/** A per-suggestion generator seed derived from the sampler's seed and the trial number being suggested. */
export function mixSeed(seed: number, n: number): number {
  let h = (seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
