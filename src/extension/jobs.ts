/**
 * Jobs: engine work started from a command or a task, shown as a progress notification with a Cancel button, in
 * the status bar and in the Runs view. A job that fails or is cancelled leaves no folder (the engine removes it)
 * but stays listed, with its reason, for this workspace (workspaceState).
 */
import * as vscode from 'vscode';
import { PxpError, asPxpError } from '../core/errors';
import type { ProgressSink } from '../core/progress';
import type { RunKind } from './runs/run-summary';

export type JobStatus = 'running' | 'done' | 'failed' | 'cancelled';

export interface Job {
  id: number;
  kind: RunKind;
  title: string;
  /** The run folder the job writes (absent until it is done). */
  runDir?: string;
  status: JobStatus;
  done: number;
  total: number;
  message: string;
  error?: string;
  startedAt: number;
  endedAt?: number;
}

const STATE_KEY = 'pxp.finishedJobs';
const KEEP = 20;

export class Jobs implements vscode.Disposable {
  private nextId = 1;
  private readonly running = new Map<number, { job: Job; controller: AbortController }>();
  private finished: Job[];
  private readonly changed = new vscode.EventEmitter<Job | undefined>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly state: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.finished = (state.get<Job[]>(STATE_KEY) ?? []).filter(
      (j) => j.status === 'failed' || j.status === 'cancelled',
    );
  }

  get active(): Job[] {
    return [...this.running.values()].map((r) => r.job);
  }

  /** Failed and cancelled jobs of this workspace, newest first (done jobs show as their run folders). */
  get failures(): Job[] {
    return this.finished;
  }

  cancel(id?: number): number {
    let n = 0;
    for (const [jid, r] of this.running) {
      if (id === undefined || id === jid) {
        r.controller.abort();
        n++;
      }
    }
    return n;
  }

  clearFailures(): void {
    this.finished = [];
    void this.state.update(STATE_KEY, this.finished);
    this.changed.fire(undefined);
  }

  /**
   * Runs work as a job with a progress notification (cancellable). Resolves to the work's value, or undefined when
   * it failed or was cancelled (the user has been told, with a link to the log).
   */
  async run<T>(
    spec: { kind: RunKind; title: string; runDir?: string; notify?: boolean },
    work: (ctx: { signal: AbortSignal; report: ProgressSink; job: Job }) => Promise<T>,
  ): Promise<T | undefined> {
    const controller = new AbortController();
    const job: Job = {
      id: this.nextId++,
      kind: spec.kind,
      title: spec.title,
      runDir: spec.runDir,
      status: 'running',
      done: 0,
      total: 0,
      message: 'starting the engine…',
      startedAt: Date.now(),
    };
    this.running.set(job.id, { job, controller });
    this.changed.fire(job);
    this.log.info(`job ${job.id} started: ${job.title}`);
    const body = async (
      progress?: vscode.Progress<{ message?: string; increment?: number }>,
      token?: vscode.CancellationToken,
    ) => {
      token?.onCancellationRequested(() => controller.abort());
      let lastPct = 0;
      const report: ProgressSink = (p) => {
        job.done = p.done;
        job.total = p.total;
        job.message = p.message;
        const pct = p.total > 0 ? Math.min(100, (100 * p.done) / p.total) : 0;
        progress?.report({
          message: `${p.message}${p.total > 0 ? ` (${Math.round(pct)} %)` : ''}`,
          increment: pct > lastPct ? pct - lastPct : undefined,
        });
        lastPct = Math.max(lastPct, pct);
        this.changed.fire(job);
      };
      return work({ signal: controller.signal, report, job });
    };
    try {
      const value =
        spec.notify === false
          ? await body()
          : await vscode.window.withProgress(
              { location: vscode.ProgressLocation.Notification, title: `PXP: ${spec.title}`, cancellable: true },
              (progress, token) => body(progress, token),
            );
      job.status = 'done';
      this.log.info(`job ${job.id} done: ${job.title} (${((Date.now() - job.startedAt) / 1000).toFixed(1)} s)`);
      return value;
    } catch (e) {
      const err =
        controller.signal.aborted && !(e instanceof PxpError && e.code !== 'cancelled')
          ? new PxpError('cancelled', 'cancelled', 'nothing was written')
          : asPxpError(e);
      job.status = err.code === 'cancelled' ? 'cancelled' : 'failed';
      job.error = err.code === 'cancelled' ? 'cancelled: nothing was written' : err.message;
      this.log[err.code === 'internal' ? 'error' : 'warn'](
        `job ${job.id} ${job.status}: ${job.title}: ${err.describe()}`,
      );
      if (spec.notify !== false) showError(err, this.log, job.title);
      return undefined;
    } finally {
      job.endedAt = Date.now();
      this.running.delete(job.id);
      if (job.status === 'failed' || job.status === 'cancelled') {
        this.finished = [job, ...this.finished].slice(0, KEEP);
        void this.state.update(STATE_KEY, this.finished);
      }
      this.changed.fire(job);
    }
  }

  dispose(): void {
    this.cancel();
    this.changed.dispose();
  }
}

/** An error notification: the message, the hint, and a button that opens the log. */
export function showError(e: unknown, log: vscode.LogOutputChannel, what?: string): void {
  const err = asPxpError(e);
  if (err.code === 'cancelled') {
    void vscode.window.showInformationMessage(`PXP: ${what ? `${what} ` : ''}cancelled; nothing was written.`);
    return;
  }
  if (err.code === 'internal' && err.stack) log.error(err.stack);
  const text = `PXP: ${what ? `${what} failed: ` : ''}${err.message}${err.hint ? ` (${err.hint})` : ''}`;
  void vscode.window.showErrorMessage(text, 'Show Log').then((a) => a && log.show());
}
