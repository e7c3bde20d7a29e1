/**
 * The accuracy-vs-pruning-rate curve of one criterion (method.md §1, §5): rank once, mask the first n(i) ranked
 * components at each rate, evaluate, and integrate by the trapezoid rule. Scores are computed once on the unpruned
 * model; the curve masks, it does not re-attribute.
 */
import { RunControl, throwIfCancelled } from '../progress';
import type { Graph } from '../graph/graph';
import type { ComponentLayerInfo } from './catalogue';
import { remainingCost } from './remaining-cost';
import { type MaskedEvaluator, meanOf } from './masked-eval';
import { curveRates, rankComponents, removalCountAt, removedSet, trapezoidAuc, type RankingOptions } from './ranking';

export interface CurvePoint {
  rate: number;
  /** Components removed (protected ones are skipped, so it can be fewer than rate·N). */
  removed: number;
  accuracy: number;
  params: number;
  flops: number;
}

export interface Curve {
  criterion: string;
  points: CurvePoint[];
  auc: number;
  /** With `perSample`: per point, which samples the masked model got right (for paired comparisons of curves). */
  correct?: Uint8Array[];
}

export async function pruningCurve(
  criterion: string,
  scores: Float64Array[],
  model: { graph: Graph; shapes: number[][]; layers: ComponentLayerInfo[] },
  evaluator: MaskedEvaluator,
  opts: RankingOptions & RunControl & { rates?: number[]; perSample?: boolean } = {},
): Promise<Curve> {
  const { layers } = model;
  const rates = opts.rates ?? curveRates();
  const ranking = rankComponents(
    scores.map((s) => ({ scores: s })),
    opts,
  );
  const total = ranking.length;
  const points: CurvePoint[] = [];
  const correct: Uint8Array[] = [];
  for (const [k, rate] of rates.entries()) {
    throwIfCancelled(opts.signal);
    const removed = removedSet(
      ranking,
      removalCountAt(rate, total),
      layers.map((l) => l.size),
    );
    const count = removed.reduce((a, flags) => a + flags.filter(Boolean).length, 0);
    const { params, macs } = remainingCost(model.graph, model.shapes, layers, removed);
    let accuracy: number;
    if (opts.perSample) {
      const right = await evaluator.correct(removed, { signal: opts.signal });
      correct.push(right);
      accuracy = meanOf(right);
    } else {
      accuracy = await evaluator.accuracy(removed, { signal: opts.signal });
    }
    points.push({ rate, removed: count, accuracy, params, flops: 2 * macs });
    // The front ends show the criterion in their own label (the job's title): the message does not repeat it.
    opts.onProgress?.({
      done: k + 1,
      total: rates.length,
      message: `pruning curve: rate ${rate.toFixed(2)}, accuracy ${(100 * accuracy).toFixed(1)} %`,
    });
  }
  return {
    criterion,
    points,
    auc: trapezoidAuc(
      points.map((p) => p.rate),
      points.map((p) => p.accuracy),
    ),
    ...(opts.perSample ? { correct } : {}),
  };
}

/**
 * The largest rate of a curve before its accuracy first falls more than `maxDrop` (a fraction: 0.01 = one point)
 * below the unpruned model's (the rate-0 point): walking up the rates, the last one still within the budget, so a
 * lucky rate after a dip is never chosen. Undefined when the curve has no rate 0.
 */
export function largestRateWithin(
  points: CurvePoint[],
  maxDrop: number,
): { rate: number; baseline: number; accuracy: number } | undefined {
  const sorted = [...points].sort((a, b) => a.rate - b.rate);
  const base = sorted.find((p) => p.rate === 0);
  if (!base) return undefined;
  let chosen = base;
  for (const p of sorted) {
    // A small tolerance: accuracies are fractions of the evaluation set, floored budgets must not lose a tie.
    if (p.accuracy < base.accuracy - maxDrop - 1e-9) break;
    chosen = p;
  }
  return { rate: chosen.rate, baseline: base.accuracy, accuracy: chosen.accuracy };
}
