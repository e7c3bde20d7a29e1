/**
 * How much each hyperparameter of a search mattered: the main-effect variance share, a first-order fANOVA
 * (functional ANOVA) estimate. For each parameter the trials are split by its value (a categorical: one group per
 * choice; a float or int: 4 quantile bins of the values tried, in log space for log-scaled parameters, equal values
 * always sharing a bin), and the parameter's main effect is the spread of the groups' mean AUC:
 *
 *   share(p) = (n_p / n) · Σ_b (n_b / n_p) (mean_b − mean_p)² / var_p
 *
 * over the n_p trials where p is active (a conditional parameter, e.g. `low.epsilon`, only exists under some values of
 * its parent), so the weight n_p / n discounts a parameter that rarely exists. Shares are then normalised to sum to 1;
 * every share is 0 when the AUC does not vary. Unlike fANOVA proper (a random forest's marginals) this uses the trials
 * directly: deterministic and cheap, but with few trials chance differences between groups read as importance too.
 */
import { isActive, isValidValue, type Param, type Params, type SearchSpace } from './space';

export interface ParameterImportance {
  name: string;
  /** Share of the explained AUC variance, in [0, 1]; the shares of a search sum to 1 (or are all 0). */
  importance: number;
}

/** What importance needs of a trial: its parameters and its value (AUC); trials without a finite value are ignored. */
export interface ScoredTrial {
  params: Params;
  value?: number;
}

/** Quantile bins per numeric parameter. */
export const IMPORTANCE_BINS = 4;

function mean(xs: number[]): number {
  return xs.reduce((a, x) => a + x, 0) / xs.length;
}

function variance(xs: number[]): number {
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length;
}

/** The group key of each value: the choice itself, or the quantile bin of a number. */
function groupKeys(p: Param, values: (string | number)[]): string[] {
  if (p.kind === 'categorical') return values.map(String);
  const xs = values.map((v) => (p.kind === 'float' && p.log ? Math.log(v as number) : (v as number)));
  const sorted = [...xs].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let k = 1; k < IMPORTANCE_BINS; k++) {
    const e = sorted[Math.floor((k * sorted.length) / IMPORTANCE_BINS)];
    if (e > sorted[0] && !edges.includes(e)) edges.push(e);
  }
  return xs.map((x) => String(edges.filter((e) => x >= e).length));
}

/** Share of the AUC variance explained by one parameter's main effect over the trials where it is active. */
function mainEffectShare(p: Param, trials: { params: Params; value: number }[], overall: number): number {
  const used = trials.filter((t) => isActive(p, t.params) && isValidValue(p, t.params[p.name]));
  if (used.length < 2) return 0;
  const ys = used.map((t) => t.value);
  const total = variance(ys);
  // Float noise (0.7 summed a hundred times is not 70 exactly) is no variance: the AUC is constant where p is active.
  if (!(total > 1e-12 * overall)) return 0;
  const keys = groupKeys(
    p,
    used.map((t) => t.params[p.name]),
  );
  const groups = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const g = groups.get(k);
    if (g) g.push(ys[i]);
    else groups.set(k, [ys[i]]);
  });
  const m = mean(ys);
  let between = 0;
  for (const g of groups.values()) between += (g.length / used.length) * (mean(g) - m) ** 2;
  return (used.length / trials.length) * Math.min(1, between / total);
}

/**
 * Each parameter's importance for the trials' AUC (see the file comment: main-effect variance share, a first-order
 * fANOVA estimate), most important first (ties in declaration order). A pure function of its input.
 */
export function parameterImportance(space: SearchSpace, trials: readonly ScoredTrial[]): ParameterImportance[] {
  const scored = trials.filter(
    (t): t is { params: Params; value: number } => typeof t.value === 'number' && Number.isFinite(t.value),
  );
  const ys = scored.map((t) => t.value);
  // A spread at the level of float noise is no spread: the AUC did not vary.
  const varies = ys.length >= 2 && Math.max(...ys) - Math.min(...ys) > 1e-12 * Math.max(1, ...ys.map(Math.abs));
  const overall = varies ? variance(ys) : 0;
  const raw = space.map((p) => (varies ? mainEffectShare(p, scored, overall) : 0));
  const sum = raw.reduce((a, s) => a + s, 0);
  return space
    .map((p, i) => ({ name: p.name, importance: sum > 0 ? raw[i] / sum : 0, i }))
    .sort((a, b) => b.importance - a.importance || a.i - b.i)
    .map(({ name, importance }) => ({ name, importance }));
}
