/**
 * The trial loop of `pxp search`: trials are claimed from a study storage (storage/study-storage.ts: a run folder's
 * trials.jsonl or a PostgreSQL database shared by many processes), which numbers them and has the sampler suggest
 * them in batches (trial k sees the trials before its batch finished and the rest of its batch running: study.ts,
 * historyFor). The batches are fixed by the trial numbers, so a resumed search, or one run by several processes,
 * suggests exactly what one uninterrupted process would have. Where a trial runs (this thread, worker threads) is
 * the runner's business, where it is stored the storage's.
 */
import type { Curve } from '../prune/curve';
import type { TrialLine } from '../../shared/run-folder/types';
import type { Params, Sampler, Trial } from './space';
import { type StudyStorage, trialOf } from './storage/study-storage';

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
  /** Trials this process runs at once (worker threads). */
  workers: number;
  /** Start no batch after this time (ms since the epoch). */
  deadline?: number;
  /** News for the log: a trial taken over by another worker, a database that went away. */
  note?: (line: string) => void;
}

export interface StudyResult {
  /** Every finished trial of the study (those of a resumed search, or of other workers, included), with its value. */
  trials: Trial[];
  stoppedBy: 'budget' | 'timeout';
}

/**
 * Runs trials of the study in `storage` until every one has finished (or the deadline passed): up to `workers` at a
 * time, each claimed from the storage, which decides its number and, with the sampler, its parameters. Finished
 * trials are recorded and reported in the order this process claimed them.
 */
export async function runStudy(
  plan: StudyPlan,
  runner: TrialRunner,
  storage: StudyStorage,
  onTrial: (line: TrialLine, best: Trial) => void,
): Promise<StudyResult> {
  let best: Trial | undefined;
  const better = (t: Trial) => {
    if (t.value !== undefined && (best === undefined || t.value > best.value!)) best = t;
  };
  (await storage.trials()).forEach((t) => better(trialOf(t)));
  const suggest = (_number: number, history: Trial[]) => {
    history.forEach(better);
    return plan.sampler.suggest(history);
  };
  /** Trials running in this process, by number; each promise settles when its trial does. */
  const active = new Map<number, Promise<void>>();
  const outcomes = new Map<number, TrialOutcome>();
  /** Trials this process claimed and has not recorded, in claim order. */
  const held: { number: number; params: Params }[] = [];
  const lost = new Set<number>();
  let failure: { error: unknown } | undefined;

  const flush = async () => {
    while (held.length && (outcomes.has(held[0].number) || lost.has(held[0].number))) {
      const { number, params } = held[0];
      const outcome = outcomes.get(number);
      const enqueued = plan.startingPoint?.(number);
      const line: TrialLine | undefined = outcome && {
        number,
        params,
        auc: outcome.curve.auc,
        curve: outcome.curve.points.map((p) => ({ rate: p.rate, accuracy: p.accuracy })),
        seconds: outcome.seconds,
        cached: outcome.cached,
        ...(enqueued ? { enqueued } : {}),
      };
      if (line && !lost.has(number) && (await storage.record(line))) {
        better(trialOf(line));
        onTrial(line, best!);
      } else if (line)
        plan.note?.(
          `trial ${number + 1} was taken over by another worker (no heartbeat from here in time): its result here is dropped`,
        );
      held.shift();
      outcomes.delete(number);
    }
  };

  const start = (number: number, params: Params) => {
    held.push({ number, params });
    const settled = runner.run(params).then(
      (outcome) => void outcomes.set(number, outcome),
      (error) => void (failure ??= { error }),
    );
    active.set(
      number,
      settled.finally(() => active.delete(number)),
    );
  };

  let beating: Promise<void> | undefined;
  const heartbeat = () => {
    const numbers = held.map((h) => h.number).filter((n) => !lost.has(n) && !outcomes.has(n));
    if (beating || numbers.length === 0) return;
    beating = storage
      .heartbeat(numbers)
      .then((kept) => numbers.filter((n) => !kept.includes(n)).forEach((n) => lost.add(n)))
      .catch((error) => void (failure ??= { error }))
      .finally(() => (beating = undefined));
  };
  const timer = storage.heartbeatMs === undefined ? undefined : setInterval(heartbeat, storage.heartbeatMs);
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  /** Resolves when a trial of this process ends, or after `ms`. */
  const nextEnd = (ms?: number) => Promise.race([...active.values(), ...(ms === undefined ? [] : [sleep(ms)])]);

  let stoppedBy: StudyResult['stoppedBy'] = 'budget';
  try {
    for (;;) {
      if (failure) throw failure.error;
      await flush();
      if (active.size >= plan.workers || stoppedBy === 'timeout') {
        if (active.size === 0) break;
        await nextEnd();
        continue;
      }
      const claim = await storage.claim(suggest);
      if (claim.kind === 'trial') {
        // The deadline stops the study between batches, as resume would; a trial another worker gave up runs anyway.
        if (
          plan.deadline !== undefined &&
          Date.now() > plan.deadline &&
          claim.number % storage.batch === 0 &&
          !claim.reclaimed
        ) {
          await storage.release([claim.number]);
          stoppedBy = 'timeout';
        } else {
          if (claim.reclaimed)
            plan.note?.(`trial ${claim.number + 1} was given up by its worker (no heartbeat): running it here`);
          start(claim.number, claim.params);
        }
      } else if (claim.kind === 'finished' && active.size === 0) break;
      else if (active.size) await nextEnd(storage.pollMs);
      else if (storage.pollMs !== undefined) await sleep(storage.pollMs);
      else throw new Error(`${storage.description}: no trial to run and none running`);
    }
  } catch (e) {
    // What this process will not finish goes back to the study at once, for other workers.
    await storage.release(held.map((h) => h.number)).catch(() => undefined);
    throw e;
  } finally {
    if (timer) clearInterval(timer);
    await beating;
  }
  return { trials: (await storage.trials()).map(trialOf), stoppedBy };
}
