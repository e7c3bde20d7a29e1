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
  return new StudyRun(plan, runner, storage, onTrial).run();
}

/** This process's part of a study: the trials it claimed, runs and records, and the heartbeat that keeps them its own. */
class StudyRun {
  private best: Trial | undefined;
  /** Trials running in this process, by number; each promise settles when its trial does. */
  private readonly active = new Map<number, Promise<void>>();
  private readonly outcomes = new Map<number, TrialOutcome>();
  /** Trials this process claimed and has not recorded, in claim order. */
  private readonly held: { number: number; params: Params }[] = [];
  /** Trials another worker took over (no heartbeat from here in time). */
  private readonly lost = new Set<number>();
  private failure: { error: unknown } | undefined;
  private beating: Promise<void> | undefined;

  constructor(
    private readonly plan: StudyPlan,
    private readonly runner: TrialRunner,
    private readonly storage: StudyStorage,
    private readonly onTrial: (line: TrialLine, best: Trial) => void,
  ) {}

  async run(): Promise<StudyResult> {
    const { plan, storage, active } = this;
    (await storage.trials()).forEach((t) => this.better(trialOf(t)));
    const timer =
      storage.heartbeatMs === undefined ? undefined : setInterval(() => this.heartbeat(), storage.heartbeatMs);
    let stoppedBy: StudyResult['stoppedBy'] = 'budget';
    try {
      for (;;) {
        if (this.failure) throw this.failure.error;
        await this.flush();
        if (active.size >= plan.workers || stoppedBy === 'timeout') {
          if (active.size === 0) break;
          await this.nextEnd();
          continue;
        }
        const claim = await storage.claim((number, history) => this.suggest(number, history));
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
            this.start(claim.number, claim.params);
          }
        } else if (claim.kind === 'finished' && active.size === 0) break;
        else if (active.size) await this.nextEnd(storage.pollMs);
        else if (storage.pollMs !== undefined) await sleep(storage.pollMs);
        else throw new Error(`${storage.description}: no trial to run and none running`);
      }
    } catch (e) {
      // What this process will not finish goes back to the study at once, for other workers.
      await storage.release(this.held.map((h) => h.number)).catch(() => undefined);
      throw e;
    } finally {
      if (timer) clearInterval(timer);
      await this.beating;
    }
    return { trials: (await storage.trials()).map(trialOf), stoppedBy };
  }

  private better(t: Trial): void {
    if (t.value !== undefined && (this.best === undefined || t.value > this.best.value!)) this.best = t;
  }

  private suggest(_number: number, history: Trial[]) {
    history.forEach((t) => this.better(t));
    return this.plan.sampler.suggest(history);
  }

  /** Records the finished trials at the head of the claim order (a trial still running holds back those after it). */
  private async flush(): Promise<void> {
    const { held, outcomes, lost, plan } = this;
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
      if (line && !lost.has(number) && (await this.storage.record(line))) {
        this.better(trialOf(line));
        this.onTrial(line, this.best!);
      } else if (line)
        plan.note?.(
          `trial ${number + 1} was taken over by another worker (no heartbeat from here in time): its result here is dropped`,
        );
      held.shift();
      outcomes.delete(number);
    }
  }

  private start(number: number, params: Params): void {
    this.held.push({ number, params });
    const settled = this.runner.run(params).then(
      (outcome) => void this.outcomes.set(number, outcome),
      (error) => void (this.failure ??= { error }),
    );
    this.active.set(
      number,
      settled.finally(() => this.active.delete(number)),
    );
  }

  /** Tells the storage this process still runs its trials; those it no longer owns are lost. */
  private heartbeat(): void {
    const numbers = this.held.map((h) => h.number).filter((n) => !this.lost.has(n) && !this.outcomes.has(n));
    if (this.beating || numbers.length === 0) return;
    this.beating = this.storage
      .heartbeat(numbers)
      .then((kept) => numbers.filter((n) => !kept.includes(n)).forEach((n) => this.lost.add(n)))
      .catch((error) => void (this.failure ??= { error }))
      .finally(() => (this.beating = undefined));
  }

  /** Resolves when a trial of this process ends, or after `ms`. */
  private nextEnd(ms?: number): Promise<unknown> {
    return Promise.race([...this.active.values(), ...(ms === undefined ? [] : [sleep(ms)])]);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
