/**
 * The embedded storage: trials.jsonl in the run folder, owned by one process (no server, no heartbeats). Its lines
 * are appended in trial order, which the trial loop guarantees by recording in claim order; a resumed search
 * starts from the whole lines the folder holds.
 */
import { TrialLog } from '../../run-folder/write';
import type { TrialLine } from '../../../shared/run-folder/types';
import type { Params, Trial } from '../space';
import { historyFor } from '../study';
import { type Claim, type StudyStorage, type Suggest, trialOf } from './study-storage';

export class FileStudyStorage implements StudyStorage {
  readonly description: string;
  private readonly log: TrialLog;
  private readonly finished: TrialLine[];
  /** Trials claimed and not yet recorded, by number: always the numbers right after the finished ones. */
  private readonly running = new Map<number, Params>();

  constructor(
    dir: string,
    keep: readonly TrialLine[],
    readonly trialsWanted: number,
    readonly batch: number,
  ) {
    this.log = new TrialLog(dir, keep);
    this.description = `trials.jsonl in ${dir}`;
    this.finished = [...keep];
  }

  async claim(suggest: Suggest): Promise<Claim> {
    const number = this.finished.length + this.running.size;
    if (number >= this.trialsWanted) return this.running.size ? { kind: 'wait' } : { kind: 'finished' };
    if (this.finished.length < number - (number % this.batch)) return { kind: 'wait' };
    const known: Trial[] = [
      ...this.finished.map(trialOf),
      ...[...this.running].map(([n, params]) => ({ number: n, params })),
    ];
    const params = suggest(number, historyFor(known, number, this.batch));
    this.running.set(number, params);
    return { kind: 'trial', number, params };
  }

  async record(line: TrialLine): Promise<boolean> {
    if (line.number !== this.finished.length)
      throw new Error(`trials.jsonl takes trials in order: got ${line.number}, expected ${this.finished.length}`);
    this.log.append(line);
    this.finished.push(line);
    this.running.delete(line.number);
    return true;
  }

  async heartbeat(numbers: number[]): Promise<number[]> {
    return numbers;
  }

  async release(numbers: number[]): Promise<void> {
    for (const n of numbers) this.running.delete(n);
  }

  async trials(): Promise<TrialLine[]> {
    return [...this.finished];
  }

  async close(): Promise<void> {}
}
