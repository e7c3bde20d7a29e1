/**
 * One worker's view of a study in PostgreSQL (study-storage.ts). A claim is one transaction: the lowest trial that is
 * waiting, or running without a heartbeat for the study's timeout, is locked with FOR UPDATE SKIP LOCKED (so no two
 * workers get it), given its parameters (suggested here when no worker stored them yet, from the trials before its
 * batch, which must all have finished) and marked running with this worker's id. Recording is one UPDATE that only
 * succeeds while the trial is still this worker's: a worker that lost its trial to another cannot record it twice.
 * Times are the server's clock, so workers' clocks need not agree.
 */
import type pg from 'pg';
import type { TrialLine } from '../../../run-folder/types';
import type { Params, Trial } from '../../space';
import { historyFor } from '../../study';
import type { Claim, StudyStorage, Suggest } from '../study-storage';
import { type RetryOptions, transaction, withRetry } from './connection';
import { type StudyRecord, readTrials } from './study-record';

/** Milliseconds spent in each database call of one trial: what the study costs beyond the trial itself. */
export interface TrialOverhead {
  number: number;
  claimMs: number;
  recordMs: number;
  heartbeatMs: number;
  heartbeats: number;
}

const CLAIM_SQL = `
  SELECT number, state, params FROM pxp_trials
  WHERE study_id = $1 AND (state = 'waiting' OR (state = 'running' AND heartbeat < clock_timestamp() - make_interval(secs => $2)))
  ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED`;

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
    const claim = await transaction(this.pool, (c) => this.claimIn(c, timedSuggest), this.retry('claiming a trial'));
    const ms = performance.now() - t0 - suggesting;
    if (claim.kind === 'trial') this.costs(claim.number).claimMs += ms;
    else {
      this.waits.count++;
      this.waits.ms += ms;
    }
    return claim;
  }

  private async claimIn(c: pg.PoolClient, suggest: Suggest): Promise<Claim> {
    const id = this.study.id;
    const picked = await c.query(CLAIM_SQL, [id, this.study.heartbeatTimeout]);
    if (picked.rows.length === 0) {
      const open = await c.query(`SELECT count(*)::int AS open FROM pxp_trials WHERE study_id = $1 AND state <> 'done'`, [id]);
      return open.rows[0].open === 0 ? { kind: 'finished' } : { kind: 'wait' };
    }
    const number: number = picked.rows[0].number;
    let params: Params | null = picked.rows[0].params;
    if (params === null) {
      const batchStart = number - (number % this.batch);
      const before = await c.query(`SELECT number, state, params, auc FROM pxp_trials WHERE study_id = $1 AND number < $2 ORDER BY number`, [id, number]);
      if (before.rows.some((r) => r.number < batchStart && r.state !== 'done')) return { kind: 'wait' };
      const known: Trial[] = [];
      for (const r of before.rows) {
        // A batch mate another worker is claiming right now has no parameters yet: they are the same suggestion.
        if (r.number < batchStart) known.push({ number: r.number, params: r.params, value: r.auc });
        else known.push({ number: r.number, params: r.params ?? suggest(r.number, historyFor(known, r.number, this.batch)) });
      }
      params = suggest(number, historyFor(known, number, this.batch));
    }
    await c.query(
      `UPDATE pxp_trials SET state = 'running', params = $3, worker = $4, heartbeat = clock_timestamp(), started_at = clock_timestamp(), claims = claims + 1
       WHERE study_id = $1 AND number = $2`,
      [id, number, JSON.stringify(params), this.worker],
    );
    return { kind: 'trial', number, params, ...(picked.rows[0].state === 'running' ? { reclaimed: true } : {}) };
  }

  async record(line: TrialLine): Promise<boolean> {
    const t0 = performance.now();
    const ok = await withRetry(async () => {
      const r = await this.pool.query(
        `UPDATE pxp_trials SET state = 'done', auc = $3, line = $4, finished_at = clock_timestamp(), heartbeat = clock_timestamp()
         WHERE study_id = $1 AND number = $2 AND worker = $5 AND state = 'running'`,
        [this.study.id, line.number, line.auc, JSON.stringify(line), this.worker],
      );
      if (r.rowCount === 1) return true;
      // After a retry the first try may have committed before the connection dropped.
      const again = await this.pool.query(`SELECT state, worker FROM pxp_trials WHERE study_id = $1 AND number = $2`, [this.study.id, line.number]);
      return again.rows[0]?.state === 'done' && again.rows[0]?.worker === this.worker;
    }, this.retry(`recording trial ${line.number + 1}`));
    this.costs(line.number).recordMs += performance.now() - t0;
    return ok;
  }

  async heartbeat(numbers: number[]): Promise<number[]> {
    const t0 = performance.now();
    const r = await withRetry(
      () =>
        this.pool.query(`UPDATE pxp_trials SET heartbeat = clock_timestamp() WHERE study_id = $1 AND number = ANY($2::int[]) AND worker = $3 AND state = 'running' RETURNING number`, [
          this.study.id,
          numbers,
          this.worker,
        ]),
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
    await this.pool.query(`UPDATE pxp_trials SET state = 'waiting', worker = NULL, heartbeat = NULL WHERE study_id = $1 AND number = ANY($2::int[]) AND worker = $3 AND state = 'running'`, [
      this.study.id,
      numbers,
      this.worker,
    ]);
  }

  async trials(): Promise<TrialLine[]> {
    return readTrials(this.pool, this.study.id, this.retry(`reading the trials of ${this.study.name}`));
  }

  async close(): Promise<void> {}
}
