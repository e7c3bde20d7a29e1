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
  private lastCpu = process.cpuUsage();
  /** Worst lag since the last reset, in ms. */
  maxLagMs = 0;
  /**
   * Worst lag in an interval where the host process was mostly on the CPU (its CPU time ≥ half the wall time):
   * the host's own work, as opposed to waiting for a core the engine holds.
   */
  maxBusyLagMs = 0;
  samples = 0;

  /** onStall is told of every lag over 50 ms (where it happened shows in the log around it). */
  constructor(onStall?: (ms: number, busy: boolean) => void) {
    this.timer = setInterval(() => {
      const now = performance.now();
      const cpu = process.cpuUsage(this.lastCpu);
      this.lastCpu = process.cpuUsage();
      const wall = now - this.last;
      const lag = Math.max(0, wall - INTERVAL_MS);
      const busy = (cpu.user + cpu.system) / 1000 >= wall / 2;
      this.last = now;
      this.samples++;
      if (lag > this.maxLagMs) this.maxLagMs = lag;
      if (busy && lag > this.maxBusyLagMs) this.maxBusyLagMs = lag;
      if (lag > 50) onStall?.(lag, busy);
    }, INTERVAL_MS);
    this.timer.unref?.();
  }

  reset(): void {
    this.maxLagMs = 0;
    this.maxBusyLagMs = 0;
    this.lastCpu = process.cpuUsage();
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
    } else if (job.status !== 'running')
      log.info(
        `main-thread lag during '${job.title}': max ${monitor.maxLagMs.toFixed(1)} ms (${monitor.maxBusyLagMs.toFixed(1)} ms while the host was on the CPU) over ${monitor.samples} samples`,
      );
  });
}
