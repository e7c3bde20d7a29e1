/** A study's row and its finished trials, as the database layer and a worker's storage read them. */
import type pg from 'pg';
import type { TrialLine } from '../../../../shared/run-folder/types';
import { type RetryOptions, withRetry } from './connection';

/** A study as stored: what it was created with. */
export interface StudyRecord {
  id: number;
  name: string;
  /** The settings that decide its trials (compared when another process creates or joins it). */
  settings: Record<string, unknown>;
  /** What the run folder of an export needs besides the trials (space, groups, starting points, data sources). */
  description: Record<string, unknown>;
  trialsWanted: number;
  batch: number;
  /** Seconds without a heartbeat after which a running trial goes to another worker. */
  heartbeatTimeout: number;
  createdAt: Date;
}

type Row = Record<string, unknown>;

export const studyOf = (r: Row): StudyRecord => ({
  id: Number(r.id),
  name: String(r.name),
  settings: r.settings as Record<string, unknown>,
  description: r.description as Record<string, unknown>,
  trialsWanted: Number(r.trials_wanted),
  batch: Number(r.batch),
  heartbeatTimeout: Number(r.heartbeat_timeout),
  createdAt: r.created_at as Date,
});

export async function readTrials(pool: pg.Pool, studyId: number, retry: RetryOptions): Promise<TrialLine[]> {
  const r = await withRetry(
    () => pool.query(`SELECT line FROM pxp_trials WHERE study_id = $1 AND state = 'done' ORDER BY number`, [studyId]),
    retry,
  );
  return r.rows.map((row) => row.line as TrialLine);
}
