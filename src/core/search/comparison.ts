/**
 * The paper's comparison after a search: the best composite beside the presets and the baseline criteria, each
 * scored once on the reference samples and pruned on the search's evaluation data and, when there is some, on
 * held-out data no trial was chosen on. Only the held-out curves compare fairly: the best trial's own AUC is the
 * maximum over every trial on the evaluation data, so it is biased upwards (marked `selectionBiased`).
 */
import { componentScores } from '../criteria/criteria';
import type { Graph } from '../graph/graph';
import type { Dataset } from '../io/datasets';
import type { ExecutorPreference } from '../lrp/attribute';
import type { ComponentLayerInfo } from '../prune/catalogue';
import { type Curve, pruningCurve } from '../prune/curve';
import type { MaskedEvaluator } from '../prune/masked-eval';
import { type Normalization, normalizeScores } from '../prune/normalize';
import type { RunControl } from '../progress';
import {
  BEST_CRITERION,
  type ComparisonCurve,
  type ComparisonFile,
  type RateAccuracy,
} from '../../shared/run-folder/types';
import type { Params } from './space';

export interface ComparisonContext extends RunControl {
  graph: Graph;
  shapes: number[][];
  layers: ComponentLayerInfo[];
  reference: Dataset;
  seed: number;
  executor?: ExecutorPreference;
  normalize: Normalization;
  rates?: number[];
  evaluation: MaskedEvaluator;
  holdout?: MaskedEvaluator;
}

/** What the comparison needs of the search's objective: the best point's curve on an evaluator. */
export interface BestObjective {
  evaluate(params: Params, evaluator: MaskedEvaluator): Promise<Curve>;
}

const points = (c: Curve): RateAccuracy[] => c.points.map((p) => ({ rate: p.rate, accuracy: p.accuracy }));

async function entry(
  criterion: string,
  curveOn: (e: MaskedEvaluator) => Promise<Curve>,
  ctx: ComparisonContext,
): Promise<ComparisonCurve> {
  const own = await curveOn(ctx.evaluation);
  const held = ctx.holdout ? await curveOn(ctx.holdout) : undefined;
  return {
    criterion,
    auc: own.auc,
    points: points(own),
    ...(held ? { holdout: { auc: held.auc, points: points(held) } } : {}),
  };
}

/** comparison.json's curves: the best point first, then each criterion in the order given. */
export async function scoreComparison(
  best: Params,
  objective: BestObjective,
  criteria: string[],
  ctx: ComparisonContext,
  log: (line: string) => void,
): Promise<ComparisonFile['curves']> {
  const curves: ComparisonCurve[] = [
    { ...(await entry(BEST_CRITERION, (e) => objective.evaluate(best, e), ctx)), selectionBiased: true },
  ];
  for (const criterion of criteria) {
    const sc = await componentScores(criterion, {
      graph: ctx.graph,
      layers: ctx.layers,
      reference: ctx.reference,
      seed: ctx.seed,
      executor: ctx.executor,
      signal: ctx.signal,
    });
    const scores = normalizeScores(sc.scores, ctx.normalize);
    const c = await entry(
      criterion,
      (e) => pruningCurve(criterion, scores, ctx, e, { rates: ctx.rates, signal: ctx.signal }),
      ctx,
    );
    curves.push(c);
    log(`baseline ${criterion}: AUC ${c.auc.toFixed(4)}${c.holdout ? `, held out ${c.holdout.auc.toFixed(4)}` : ''}`);
  }
  return curves;
}
