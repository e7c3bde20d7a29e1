/**
 * Where a search keeps its trials (issue 19): a run folder's trials.jsonl, for one process (file-storage.ts), or a
 * PostgreSQL database that processes on any number of machines share (postgres-storage.ts). The trial loop
 * (run-study.ts) talks to this interface only.
 *
 * Trial numbers are handed out in order and every trial is suggested from the trials before its batch (historyFor):
 * trial k of a study with batch size B sees the values of trials < ⌊k/B⌋·B and the parameters of the rest of its
 * batch. So the trials do not depend on how many processes ran them, nor on which one ran which.
 */
import type { TrialLine } from '../../../shared/run-folder/types';
import type { Params, Trial } from '../space';

/** The sampler's suggestion for trial `number` from what it may see (study.ts, historyFor). Pure: any process gets the same. */
export type Suggest = (number: number, history: Trial[]) => Params;

export type Claim =
  /** This worker now holds trial `number` (`reclaimed`: another worker held it and stopped sending heartbeats). */
  | { kind: 'trial'; number: number; params: Params; reclaimed?: boolean }
  /** Nothing may start now: a trial before the next batch, or every trial left, is running (here or elsewhere). */
  | { kind: 'wait' }
  /** Every trial of the study has finished. */
  | { kind: 'finished' };

export interface StudyStorage {
  /** Where the trials go, for the log ("trials.jsonl in RUN", "study S at postgresql://user@host:5432/db"). */
  readonly description: string;
  readonly trialsWanted: number;
  /** Trials suggested together (each from the trials before its batch). */
  readonly batch: number;
  /** After `wait` with none of its own trials running, a worker asks again this often; undefined: only its own trials can end a wait. */
  readonly pollMs?: number;
  /** How often a worker confirms the trials it runs; undefined: no other process could take them. */
  readonly heartbeatMs?: number;
  /** The lowest trial this worker may run now, suggested when no one has yet. */
  claim(suggest: Suggest): Promise<Claim>;
  /** Stores a finished trial; false when the trial is no longer this worker's (another one took it over). */
  record(line: TrialLine): Promise<boolean>;
  /** Confirms that this worker still runs these trials; returns those that are still its own. */
  heartbeat(numbers: number[]): Promise<number[]>;
  /** Gives back trials this worker will not finish (it stops or failed), for others to run at once. */
  release(numbers: number[]): Promise<void>;
  /** Every finished trial, by number. */
  trials(): Promise<TrialLine[]>;
  close(): Promise<void>;
}

/** The trials the sampler sees for trial `number`, built from what is known of the trials before it. */
export const trialOf = (t: TrialLine): Trial => ({ number: t.number, params: t.params, value: t.auc });
