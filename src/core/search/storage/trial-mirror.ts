/**
 * A live copy of a shared study's finished trials in a run folder's trials.jsonl, kept by a worker that was given
 * --out, so that what follows that file (the editor's Search panel, polling ≤ 2 s) follows the whole study, other
 * workers' trials included. Every `everyMs` the trials finished since the last look are appended, in the order they
 * were seen; when the study is done the worker writes the run folder whole, in trial order.
 */
import { TrialLog } from '../../run-folder/write';
import type { StudyStorage } from './study-storage';

export class TrialMirror {
  private readonly seen = new Set<number>();
  private readonly log: TrialLog;
  private readonly timer: NodeJS.Timeout;
  private busy: Promise<void> | undefined;
  private stopped = false;

  constructor(
    dir: string,
    private readonly storage: Pick<StudyStorage, 'trials'>,
    everyMs = 1000,
  ) {
    this.log = new TrialLog(dir, []);
    this.timer = setInterval(() => void this.poll(), everyMs);
  }

  /** Appends the trials finished since the last look (a failed read is left to the next one). */
  poll(): Promise<void> {
    this.busy ??= this.storage
      .trials()
      .then((lines) => {
        for (const line of lines) {
          // After stop() the run folder is the worker's to rewrite: a late read must not append to it.
          if (this.stopped || this.seen.has(line.number)) continue;
          this.seen.add(line.number);
          this.log.append(line);
        }
      })
      .catch(() => undefined)
      .finally(() => (this.busy = undefined));
    return this.busy;
  }

  /** Stops copying at once (a read in flight, say one waiting out a database restart, appends nothing more). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}
