/**
 * The trial loop of `pxp search`: trials are suggested in batches of `workers` (trial k sees the trials before its
 * batch finished and the rest of its batch running: study.ts, historyFor), run side by side, and reported in trial
 * order as each finishes. The batches are fixed by the trial numbers, so a resumed search suggests exactly what the
 * uninterrupted one would have. Where a trial runs (this thread, worker threads) is the runner's business.
 */
import type { Curve } from '../prune/curve';
import type { TrialLine } from '../../shared/run-folder/types';
import type { Params, Sampler, Trial } from './space';
import { bestTrial, historyFor } from './study';

export interface TrialOutcome {
  curve: Curve;
  /** Whether the relevance came from an earlier trial (the point differed only in the ranking switches). */
  cached: boolean;
  seconds: number;
}

/** Runs one point of the space; several calls may be in flight at once (one per worker). */
export interface TrialRunner {
  run(params: Params): Promise<TrialOutcome>;
}

/** One objective in this thread: what an AttributionObjective offers. */
export interface LocalObjective {
  cacheHits: number;
  evaluate(params: Params): Promise<Curve>;
}

/** Trials run one after the other in this thread. */
export function localTrials(objective: LocalObjective): TrialRunner {
  return {
    async run(params) {
      const t0 = Date.now();
      const hitsBefore = objective.cacheHits;
      const curve = await objective.evaluate(params);
      return { curve, cached: objective.cacheHits > hitsBefore, seconds: (Date.now() - t0) / 1000 };
    },
  };
}

export interface StudyPlan {
  sampler: Sampler;
  /** The starting point a trial number is (starting-points.ts), marked in its line. */
  startingPoint?: (number: number) => string | undefined;
  trialsWanted: number;
  workers: number;
  /** Stop starting new batches after this time (ms since the epoch). */
  deadline?: number;
}

export interface StudyResult {
  /** Every trial, those read back on resume first; each with its value. */
  trials: Trial[];
  stoppedBy: 'budget' | 'timeout';
}

/** Runs trials until `trialsWanted` exist (counting `history`, the finished trials of a resumed search). */
export async function runStudy(plan: StudyPlan, runner: TrialRunner, history: readonly Trial[], onTrial: (line: TrialLine, best: Trial) => void): Promise<StudyResult> {
  const trials = [...history];
  while (trials.length < plan.trialsWanted) {
    if (plan.deadline !== undefined && Date.now() > plan.deadline) return { trials, stoppedBy: 'timeout' };
    const first = trials.length;
    const end = Math.min(plan.trialsWanted, first - (first % plan.workers) + plan.workers);
    const batch: Trial[] = [];
    for (let number = first; number < end; number++) batch.push({ number, params: plan.sampler.suggest(historyFor([...trials, ...batch], number, plan.workers)) });
    trials.push(...batch);
    const running = batch.map((t) => runner.run(t.params));
    // A failure is reported through the first await below; the batch's other trials must not crash the process.
    running.forEach((r) => r.catch(() => undefined));
    // Lines go out in trial order, each as soon as it and those before it have finished.
    for (const [i, trial] of batch.entries()) {
      const { curve, cached, seconds } = await running[i];
      trial.value = curve.auc;
      const enqueued = plan.startingPoint?.(trial.number);
      const line: TrialLine = { number: trial.number, params: trial.params, auc: curve.auc, curve: curve.points.map((p) => ({ rate: p.rate, accuracy: p.accuracy })), seconds, cached, ...(enqueued ? { enqueued } : {}) };
      onTrial(line, bestTrial(trials)!);
    }
  }
  return { trials, stoppedBy: 'budget' };
}
