/**
 * One worker's view of a study in PostgreSQL (study-storage.ts). A claim is one statement (one round trip, atomic by
 * itself): the lowest trial that is waiting, or running without a heartbeat for the study's timeout, is locked with
 * FOR UPDATE SKIP LOCKED (so no two workers get it) and marked running with this worker's id, unless a trial before
 * its batch is unfinished; the same statement returns what the sampler may see (the finished trials' parameters and
 * AUCs as PXP wrote them). The parameters are suggested here, from that history: a deterministic function of it, so
 * a trial run again (reclaimed, released) gets the same ones. Recording is one UPDATE that only succeeds while the
 * trial is still this worker's: a worker that lost its trial to another cannot record it twice. Times are the
 * server's clock, so workers' clocks need not agree.
 */
import type pg from 'pg';
import type { TrialLine } from '../../../../shared/run-folder/types';
import type { Params, Trial } from '../../space';
import { historyFor } from '../../study';
import type { Claim, StudyStorage, Suggest } from '../study-storage';
import { type RetryOptions, withRetry } from './connection';
import { type StudyRecord, readTrials } from './study-record';

/** Milliseconds spent in each database call of one trial: what the study costs beyond the trial itself. */
export interface TrialOverhead {
  number: number;
  claimMs: number;
  recordMs: number;
  heartbeatMs: number;
  heartbeats: number;
}

/** $1 study, $2 heartbeat timeout (s), $3 batch, $4 worker. One row: the claimed trial and its history, or `open` when none. */
const CLAIM_SQL = `
  WITH picked AS (
    SELECT number, state FROM pxp_trials
    WHERE study_id = $1 AND (state = 'waiting' OR (state = 'running' AND heartbeat < clock_timestamp() - make_interval(secs => $2)))
    ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED
  ), ready AS (
    SELECT p.number, p.state FROM picked p
    WHERE NOT EXISTS (SELECT 1 FROM pxp_trials b WHERE b.study_id = $1 AND b.number < p.number - p.number % $3 AND b.state <> 'done')
  ), claimed AS (
    UPDATE pxp_trials t SET state = 'running', worker = $4, heartbeat = clock_timestamp(), started_at = clock_timestamp(), claims = t.claims + 1
    FROM ready r WHERE t.study_id = $1 AND t.number = r.number
    RETURNING t.number, r.state AS was
  )
  SELECT c.number, c.was,
    CASE WHEN c.number IS NULL THEN (SELECT count(*) FROM pxp_trials o WHERE o.study_id = $1 AND o.state <> 'done')::int END AS open,
    CASE WHEN c.number IS NOT NULL THEN (
      SELECT json_agg(json_build_array(h.number, h.state = 'done', h.line -> 'params', h.line -> 'auc') ORDER BY h.number)
      FROM pxp_trials h WHERE h.study_id = $1 AND h.number < c.number) END AS history
  FROM (SELECT 1) AS one LEFT JOIN claimed c ON true`;

export class PostgresStudyStorage implements StudyStorage {
  readonly description: string;
  readonly trialsWanted: number;
  readonly batch: number;
  readonly pollMs = 250;
  readonly heartbeatMs: number;
  /** Database time per trial this worker ran (suggestion time excluded from the claim). */
  readonly overhead = new Map<number, TrialOverhead>();
  /** Claims that found nothing to start (the worker waited for a batch to finish), and their time. */
  readonly waits = { count: 0, ms: 0 };

  constructor(
    private readonly pool: pg.Pool,
    private readonly study: StudyRecord,
    readonly worker: string,
    where: string,
    private readonly retry: (what: string) => RetryOptions,
  ) {
    this.description = `study ${study.name} at ${where}`;
    this.trialsWanted = study.trialsWanted;
    this.batch = study.batch;
    this.heartbeatMs = Math.max(200, (study.heartbeatTimeout * 1000) / 4);
  }

  private costs(number: number): TrialOverhead {
    let c = this.overhead.get(number);
    if (!c) this.overhead.set(number, (c = { number, claimMs: 0, recordMs: 0, heartbeatMs: 0, heartbeats: 0 }));
    return c;
  }

  async claim(suggest: Suggest): Promise<Claim> {
    const t0 = performance.now();
    let suggesting = 0;
    const timedSuggest = (n: number, history: Trial[]) => {
      const s0 = performance.now();
      try {
        return suggest(n, history);
      } finally {
        suggesting += performance.now() - s0;
      }
    };
    const claim = await withRetry(() => this.claimOnce(timedSuggest), this.retry('claiming a trial'));
    const ms = performance.now() - t0 - suggesting;
    if (claim.kind === 'trial') this.costs(claim.number).claimMs += ms;
    else {
      this.waits.count++;
      this.waits.ms += ms;
    }
    return claim;
  }

  private async claimOnce(suggest: Suggest): Promise<Claim> {
    const row = (
      await this.pool.query(CLAIM_SQL, [this.study.id, this.study.heartbeatTimeout, this.batch, this.worker])
    ).rows[0];
    if (row.number === null) return row.open === 0 ? { kind: 'finished' } : { kind: 'wait' };
    const number: number = row.number;
    const batchStart = number - (number % this.batch);
    const known: Trial[] = [];
    for (const [n, done, params, auc] of (row.history ?? []) as [number, boolean, Params | null, number | null][]) {
      // Trials before the batch have finished (the claim checked); a batch mate's parameters are the same suggestion here as where it runs.
      if (n < batchStart && done) known.push({ number: n, params: params!, value: auc! });
      else known.push({ number: n, params: suggest(n, historyFor(known, n, this.batch)) });
    }
    const params = suggest(number, historyFor(known, number, this.batch));
    return { kind: 'trial', number, params, ...(row.was === 'running' ? { reclaimed: true } : {}) };
  }

  async record(line: TrialLine): Promise<boolean> {
    const t0 = performance.now();
    const ok = await withRetry(
      async () => {
        const r = await this.pool.query(
          `UPDATE pxp_trials SET state = 'done', auc = $3, line = $4, params = $6, finished_at = clock_timestamp(), heartbeat = clock_timestamp()
         WHERE study_id = $1 AND number = $2 AND worker = $5 AND state = 'running'`,
          [this.study.id, line.number, line.auc, JSON.stringify(line), this.worker, JSON.stringify(line.params)],
        );
        if (r.rowCount === 1) return true;
        // After a retry the first try may have committed before the connection dropped.
        const again = await this.pool.query(
          `SELECT state, worker FROM pxp_trials WHERE study_id = $1 AND number = $2`,
          [this.study.id, line.number],
        );
        return again.rows[0]?.state === 'done' && again.rows[0]?.worker === this.worker;
      },
      this.retry(`recording trial ${line.number + 1}`),
    );
    this.costs(line.number).recordMs += performance.now() - t0;
    return ok;
  }

  async heartbeat(numbers: number[]): Promise<number[]> {
    const t0 = performance.now();
    const r = await withRetry(
      () =>
        this.pool.query(
          `UPDATE pxp_trials SET heartbeat = clock_timestamp() WHERE study_id = $1 AND number = ANY($2::int[]) AND worker = $3 AND state = 'running' RETURNING number`,
          [this.study.id, numbers, this.worker],
        ),
      this.retry('sending a heartbeat'),
    );
    // One statement confirms every trial this worker runs: its time is shared out between them.
    const share = (performance.now() - t0) / numbers.length;
    for (const n of numbers) {
      const c = this.costs(n);
      c.heartbeatMs += share;
      c.heartbeats++;
    }
    return r.rows.map((row) => row.number as number);
  }

  async release(numbers: number[]): Promise<void> {
    if (numbers.length === 0) return;
    await this.pool.query(
      `UPDATE pxp_trials SET state = 'waiting', worker = NULL, heartbeat = NULL WHERE study_id = $1 AND number = ANY($2::int[]) AND worker = $3 AND state = 'running'`,
      [this.study.id, numbers, this.worker],
    );
  }

  async trials(): Promise<TrialLine[]> {
    return readTrials(this.pool, this.study.id, this.retry(`reading the trials of ${this.study.name}`));
  }

  async close(): Promise<void> {}
}
