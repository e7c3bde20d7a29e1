/**
 * A pool of search-trial worker threads (search-trials.ts): `evaluate` queues a point and resolves with its curve
 * when a thread has scored it. Cancelling the signal terminates every thread and rejects what is pending.
 */
import { Worker } from 'node:worker_threads';
import { PxpError } from '../core/errors';
import type { Curve } from '../core/prune/curve';
import type { Relevance } from '../core/search/attribution-search';
import { relevanceKey } from '../core/search/lrp-space';
import type { TrialRunner } from '../core/search/run-study';
import type { Params } from '../core/search/space';
import { workerScript } from './parallel';
import type { FromTrialWorker, SearchTrialsInit, ToTrialWorker } from '../protocol/workers';

interface Job {
  id: number;
  params: Params;
  relevance?: Relevance;
  resolve: (r: TrialAnswer) => void;
  reject: (e: Error) => void;
}

export interface TrialAnswer {
  curve: Curve;
  /** Set when the thread had to compute it (the parent did not send it). */
  relevance?: Relevance;
  seconds: number;
}

interface Slot {
  worker: Worker;
  job?: Job;
}

export class TrialPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private failure?: Error;

  private detach = () => {};

  /** Starts `count` threads and waits until each has loaded the model and the data. */
  static async start(init: Omit<SearchTrialsInit, 'kind'>, count: number, signal?: AbortSignal): Promise<TrialPool> {
    const script = workerScript();
    if (!script) throw new PxpError('internal', 'dist/worker.js is missing', 'run npm run build');
    const pool = new TrialPool();
    const abort = () =>
      pool.fail(new PxpError('cancelled', 'cancelled', 'the search stopped; run it again with --resume to continue'));
    signal?.addEventListener('abort', abort, { once: true });
    pool.detach = () => signal?.removeEventListener('abort', abort);
    await Promise.all(
      Array.from({ length: count }, () => {
        const worker = new Worker(script, {
          workerData: { ...init, kind: 'search-trials' } satisfies SearchTrialsInit,
        });
        const slot: Slot = { worker };
        pool.slots.push(slot);
        return new Promise<void>((resolve, reject) => {
          worker.on('message', (m: FromTrialWorker) => {
            if (m.type === 'ready') resolve();
            else pool.answer(slot, m, reject);
          });
          worker.on('error', (e) => {
            const err = new PxpError('internal', `a search worker thread failed: ${e.message}`);
            reject(err);
            pool.fail(err);
          });
        });
      }),
    ).catch(async (e) => {
      await pool.close();
      throw e;
    });
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  evaluate(params: Params, relevance?: Relevance): Promise<TrialAnswer> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.queue.push({ id: this.nextId++, params, relevance, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job || this.queue.length === 0) continue;
      slot.job = this.queue.shift()!;
      slot.worker.postMessage({
        type: 'trial',
        id: slot.job.id,
        params: slot.job.params,
        relevance: slot.job.relevance,
      } satisfies ToTrialWorker);
    }
  }

  private answer(slot: Slot, m: FromTrialWorker, rejectStart: (e: Error) => void): void {
    if (m.type === 'failed') {
      const err = new PxpError(m.code, m.message, m.hint);
      if (m.id === undefined) {
        rejectStart(err);
        this.fail(err);
        return;
      }
      const job = slot.job;
      slot.job = undefined;
      job?.reject(err);
    } else if (m.type === 'trial-result') {
      const job = slot.job;
      slot.job = undefined;
      job?.resolve({ curve: m.curve, relevance: m.relevance, seconds: m.seconds });
    }
    this.dispatch();
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const slot of this.slots) {
      slot.job?.reject(err);
      slot.job = undefined;
      void slot.worker.terminate();
    }
    for (const job of this.queue.splice(0)) job.reject(err);
  }

  async close(): Promise<void> {
    this.detach();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}

/** What the pooled runner needs of the parent's objective: its relevance cache. */
interface RelevanceCache {
  has(params: Params): boolean;
  remember(params: Params, relevance: Relevance): void;
  relevance(params: Params): Promise<Relevance>;
}

/**
 * Trials on the pool's threads. The parent keeps the relevance cache: a thread gets the relevance of a rule
 * assignment already known, and a second trial of a batch with the same assignment waits for the first's.
 */
export function pooledTrials(pool: TrialPool, cache: RelevanceCache): TrialRunner {
  // Relevance a worker is computing, by rule assignment.
  const computing = new Map<string, Promise<void>>();
  return {
    async run(params) {
      // Claim the rule assignment before the first await, so the batch's later trials see the claim.
      const key = relevanceKey(params);
      const claimed = computing.get(key);
      if (!claimed && !cache.has(params)) {
        const pending = pool.evaluate(params);
        computing.set(
          key,
          pending.then(
            (a) => cache.remember(params, a.relevance!),
            () => undefined,
          ),
        );
        return { ...(await pending), cached: false };
      }
      await claimed;
      const answer = await pool.evaluate(params, await cache.relevance(params));
      return { ...answer, cached: true };
    },
  };
}
