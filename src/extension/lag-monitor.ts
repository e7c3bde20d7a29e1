/**
 * Watches the extension host's main thread: a 20 ms timer that measures how late it fires. The host must never
 * compute (the engine does), so while a job runs the worst lag should stay far below 50 ms; each job's maximum is
 * written to the log.
 */
import * as vscode from 'vscode';
import type { Jobs } from './jobs';

const INTERVAL_MS = 20;

export class LagMonitor implements vscode.Disposable {
  private readonly timer: NodeJS.Timeout;
  private last = performance.now();
  /** Worst lag since the last reset, in ms. */
  maxLagMs = 0;
  samples = 0;

  constructor() {
    this.timer = setInterval(() => {
      const now = performance.now();
      const lag = Math.max(0, now - this.last - INTERVAL_MS);
      this.last = now;
      this.samples++;
      if (lag > this.maxLagMs) this.maxLagMs = lag;
    }, INTERVAL_MS);
    this.timer.unref?.();
  }

  reset(): void {
    this.maxLagMs = 0;
    this.samples = 0;
    this.last = performance.now();
  }

  dispose(): void {
    clearInterval(this.timer);
  }
}

/** Logs the main thread's worst lag over each job ("main-thread lag during …: max N ms over M samples"). */
export function logLagPerJob(monitor: LagMonitor, jobs: Jobs, log: vscode.LogOutputChannel): vscode.Disposable {
  const seen = new Set<number>();
  return jobs.onDidChange((job) => {
    if (!job) return;
    if (job.status === 'running' && !seen.has(job.id)) {
      seen.add(job.id);
      if (jobs.active.length === 1) monitor.reset();
    } else if (job.status !== 'running') log.info(`main-thread lag during '${job.title}': max ${monitor.maxLagMs.toFixed(1)} ms over ${monitor.samples} samples`);
  });
}
