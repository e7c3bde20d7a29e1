/**
 * Exhaustive grid search: the cartesian product of every categorical's choices, every float's `grid` values (required)
 * and every int's `grid` (or its whole range). Conditional parameters are expanded only under the parent values that
 * activate them, so no combination is repeated. Order is stable: declaration order, the first parameter varying
 * slowest, values in the order listed.
 */
import { badInput } from '../errors';
import { isActive, validateSpace } from './space';
import type { Param, ParamValue, Params, Sampler, SearchSpace, Trial } from './space';

const MAX_POINTS = 1_000_000;

function gridValues(p: Param): ParamValue[] {
  if (p.kind === 'categorical') return p.choices;
  if (p.grid !== undefined) return p.grid;
  if (p.kind === 'float')
    throw badInput(
      `float search-space parameter ${p.name} has no grid`,
      `list the values to try as "grid" for ${p.name}`,
    );
  const out: number[] = [];
  for (let v = p.low; v <= p.high; v++) out.push(v);
  return out;
}

/** Every grid point, in the stable order described above. */
export function gridPoints(space: SearchSpace): Params[] {
  validateSpace(space);
  const values = space.map(gridValues);
  const out: Params[] = [];
  const walk = (i: number, cur: Params) => {
    if (i === space.length) {
      if (out.length >= MAX_POINTS)
        throw badInput(`the grid has more than ${MAX_POINTS} points`, 'use fewer grid values');
      out.push({ ...cur });
      return;
    }
    const p = space[i];
    if (!isActive(p, cur)) return walk(i + 1, cur);
    for (const v of values[i]) {
      cur[p.name] = v;
      walk(i + 1, cur);
    }
    delete cur[p.name];
  };
  walk(0, {});
  return out;
}

const keyOf = (params: Params) =>
  JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );

export class GridSampler implements Sampler {
  readonly points: Params[];
  private readonly keys: string[];

  constructor(space: SearchSpace) {
    this.points = gridPoints(space);
    this.keys = this.points.map(keyOf);
  }

  get size(): number {
    return this.points.length;
  }

  /** The first grid point no trial in the history has used; once all are used, it cycles by trial number. */
  suggest(history: Trial[]): Params {
    const used = new Set(history.map((t) => keyOf(t.params)));
    const i = this.keys.findIndex((k) => !used.has(k));
    return { ...this.points[i >= 0 ? i : history.length % this.points.length] };
  }

  /** Whether every grid point appears in the history. */
  exhausted(history: Trial[]): boolean {
    const used = new Set(history.map((t) => keyOf(t.params)));
    return this.keys.every((k) => used.has(k));
  }
}
