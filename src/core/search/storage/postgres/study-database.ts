/**
 * A PostgreSQL database holding search studies: connect (one clear error when that fails), create a study with its
 * settings and all its trial rows in one transaction, find one, list them with their progress, read a study's
 * finished trials, and open a worker's storage on one (postgres-storage.ts). Parameterized queries only.
 */
import type pg from 'pg';
import { badInput } from '../../../errors';
import type { TrialLine } from '../../../../shared/run-folder/types';
import { type RetryOptions, openPool, transaction, withRetry } from './connection';
import { PostgresStudyStorage } from './postgres-storage';
import { SCHEMA_LOCK, SCHEMA_SQL } from './schema';
import type { StorageUrl } from './storage-url';
import { type StudyRecord, readTrials, studyOf } from './study-record';

export type { StudyRecord };

export interface StudyProgress {
  name: string;
  trialsWanted: number;
  batch: number;
  done: number;
  /** Trials running with a fresh heartbeat, and the workers that run them. */
  running: number;
  workers: number;
  best?: number;
  createdAt: string;
  lastTrialAt?: string;
  settings: Record<string, unknown>;
}

export type NewStudy = Omit<StudyRecord, 'id' | 'createdAt'>;
/** How long workers keep retrying while the database is away before they give up. */
export const GIVE_UP_AFTER_MS = 5 * 60_000;

export class StudyDatabase {
  private constructor(
    private readonly pool: pg.Pool,
    readonly url: StorageUrl,
    private readonly note: (line: string) => void,
  ) {}

  /** Connects (a bad-input error naming the cause when it cannot: refused, unknown host, password, database, TLS). */
  static async connect(url: StorageUrl, note: (line: string) => void = () => {}): Promise<StudyDatabase> {
    return new StudyDatabase(await openPool(url, note), url, note);
  }

  private retry(what: string): RetryOptions {
    return { what, giveUpAfterMs: GIVE_UP_AFTER_MS, note: this.note };
  }

  private async hasTables(): Promise<boolean> {
    const r = await withRetry(
      () => this.pool.query(`SELECT to_regclass('pxp_studies') IS NOT NULL AS ok`),
      this.retry('reading the schema'),
    );
    return r.rows[0].ok === true;
  }

  /** Creates the tables unless they exist (only then does the user need CREATE on the schema). */
  async ensureSchema(): Promise<void> {
    if (await this.hasTables()) return;
    try {
      await transaction(
        this.pool,
        async (c) => {
          await c.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
          await c.query(SCHEMA_SQL);
        },
        this.retry('creating the tables'),
      );
    } catch (e) {
      if ((e as { code?: string }).code === '42501')
        throw badInput(
          `${this.url.display}: user ${this.url.user} may not create tables there (${(e as Error).message})`,
          `use a database the user owns (createdb), or GRANT CREATE ON SCHEMA public TO ${this.url.user}`,
        );
      throw e;
    }
  }

  async find(name: string): Promise<StudyRecord | undefined> {
    if (!(await this.hasTables())) return undefined;
    const r = await withRetry(
      () => this.pool.query('SELECT * FROM pxp_studies WHERE name = $1', [name]),
      this.retry(`reading study ${name}`),
    );
    return r.rows[0] ? studyOf(r.rows[0]) : undefined;
  }

  /**
   * Creates the study with one waiting row per trial, in one transaction; when a study of that name exists (made
   * by another process, maybe a moment ago) nothing is written and that one is returned with `created: false`.
   */
  async create(study: NewStudy): Promise<{ study: StudyRecord; created: boolean }> {
    await this.ensureSchema();
    return transaction(
      this.pool,
      async (c) => {
        const inserted = await c.query(
          `INSERT INTO pxp_studies (name, settings, description, trials_wanted, batch, heartbeat_timeout) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (name) DO NOTHING RETURNING *`,
          [
            study.name,
            JSON.stringify(study.settings),
            JSON.stringify(study.description),
            study.trialsWanted,
            study.batch,
            study.heartbeatTimeout,
          ],
        );
        if (inserted.rows[0]) {
          const made = studyOf(inserted.rows[0]);
          await c.query(`INSERT INTO pxp_trials (study_id, number) SELECT $1, n FROM generate_series(0, $2 - 1) AS n`, [
            made.id,
            study.trialsWanted,
          ]);
          return { study: made, created: true };
        }
        const existing = await c.query('SELECT * FROM pxp_studies WHERE name = $1', [study.name]);
        return { study: studyOf(existing.rows[0]), created: false };
      },
      this.retry(`creating study ${study.name}`),
    );
  }

  /** Every study with its progress, oldest first. */
  async list(): Promise<StudyProgress[]> {
    if (!(await this.hasTables())) return [];
    const r = await withRetry(
      () =>
        this.pool.query(`
          SELECT s.name, s.trials_wanted, s.batch, s.created_at, s.settings,
                 count(t.number) FILTER (WHERE t.state = 'done')::int AS done,
                 count(t.number) FILTER (WHERE t.state = 'running' AND t.heartbeat >= clock_timestamp() - make_interval(secs => s.heartbeat_timeout))::int AS running,
                 count(DISTINCT t.worker) FILTER (WHERE t.state = 'running' AND t.heartbeat >= clock_timestamp() - make_interval(secs => s.heartbeat_timeout))::int AS workers,
                 max(t.auc) AS best, max(t.finished_at) AS last
          FROM pxp_studies s LEFT JOIN pxp_trials t ON t.study_id = s.id
          GROUP BY s.id ORDER BY s.created_at, s.id`),
      this.retry('listing the studies'),
    );
    return r.rows.map((row) => ({
      name: row.name,
      trialsWanted: row.trials_wanted,
      batch: row.batch,
      done: row.done,
      running: row.running,
      workers: row.workers,
      ...(row.best !== null ? { best: row.best } : {}),
      createdAt: (row.created_at as Date).toISOString(),
      ...(row.last ? { lastTrialAt: (row.last as Date).toISOString() } : {}),
      settings: row.settings,
    }));
  }

  /** The study's finished trials, by number. */
  async trials(study: StudyRecord): Promise<TrialLine[]> {
    return readTrials(this.pool, study.id, this.retry(`reading the trials of ${study.name}`));
  }

  /** A worker's storage on the study (its own id in every claim and heartbeat). */
  storage(study: StudyRecord, worker: string): PostgresStudyStorage {
    return new PostgresStudyStorage(this.pool, study, worker, this.url.display, (what) => this.retry(what));
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
