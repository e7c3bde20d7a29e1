/**
 * The global ranking of method.md §5, written so that results match an independent implementation to the component:
 * all N components of all component layers in one list, sorted ascending by (score, layer index, component index)
 * (with least_relevant_first = false the score is negated, so the most relevant come first); at rate i of 20 the
 * first floor(i·N/20) entries are removed, except each layer's protected component (its highest-scored one; on ties
 * the one ranked last in the list), which is skipped, not replaced. NaN scores are refused: they have no place in
 * the order.
 */
import { badInput } from '../errors';

export interface LayerScores {
  /** One score per component of the layer, in component order. */
  scores: ArrayLike<number>;
}

export interface RankedComponent {
  layer: number;
  index: number;
  score: number;
}

export interface RankingOptions {
  /** Remove the least relevant first (default); false removes the most relevant first. */
  leastRelevantFirst?: boolean;
}

export function rankComponents(layers: LayerScores[], opts: RankingOptions = {}): RankedComponent[] {
  const sign = opts.leastRelevantFirst === false ? -1 : 1;
  const all: RankedComponent[] = [];
  layers.forEach((l, layer) => {
    for (let index = 0; index < l.scores.length; index++) {
      if (Number.isNaN(l.scores[index]))
        throw badInput(
          `the score of component ${index} of layer ${layer} is NaN`,
          'the model or the criterion produced NaN; check the model weights and the reference data',
        );
      all.push({ layer, index, score: l.scores[index] });
    }
  });
  all.sort((a, b) => sign * a.score - sign * b.score || a.layer - b.layer || a.index - b.index);
  return all;
}

/** Position in the ranking of each layer's protected component: its highest score, the last-ranked on ties. */
export function protectedComponents(ranking: RankedComponent[]): Set<number> {
  const best = new Map<number, number>();
  ranking.forEach((c, pos) => {
    const b = best.get(c.layer);
    if (b === undefined || c.score >= ranking[b].score) best.set(c.layer, pos);
  });
  return new Set(best.values());
}

/** Number of components removed at rate index i of `steps` (integer arithmetic, as method.md §5 defines it). */
export function removalCount(i: number, total: number, steps = 20): number {
  return Math.floor((i * total) / steps);
}

/** n for a rate: the default grid uses floor(i·N/20) exactly; other rates floor(p·N) with a guard for rounding. */
export function removalCountAt(rate: number, total: number): number {
  const i = Math.round(rate * 20);
  if (Math.abs(rate * 20 - i) < 1e-9) return removalCount(i, total);
  return Math.floor(rate * total + 1e-9);
}

/** Components removed when the first `count` entries of the ranking go, protected ones skipped: [layer][index] flags. */
export function removedSet(ranking: RankedComponent[], count: number, layerSizes: number[]): boolean[][] {
  const removed = layerSizes.map((n) => new Array<boolean>(n).fill(false));
  const keep = protectedComponents(ranking);
  for (let pos = 0; pos < Math.min(count, ranking.length); pos++) {
    if (keep.has(pos)) continue;
    const c = ranking[pos];
    removed[c.layer][c.index] = true;
  }
  return removed;
}

/** The rates of a curve: i/steps for i = 0 … steps−1 (0, 0.05, …, 0.95 by default). */
export function curveRates(steps = 20): number[] {
  return Array.from({ length: steps }, (_, i) => i / steps);
}

/** Area under the accuracy-vs-rate curve by the trapezoid rule. */
export function trapezoidAuc(rates: number[], accuracies: number[]): number {
  let auc = 0;
  for (let i = 1; i < rates.length; i++) auc += ((accuracies[i] + accuracies[i - 1]) / 2) * (rates[i] - rates[i - 1]);
  return auc;
}
