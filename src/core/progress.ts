/**
 * Long work reports progress through a sink and stops when its AbortSignal fires. The same two values travel from
 * the CLI (stderr lines, Ctrl+C) and from the engine process (IPC progress messages, the Cancel command).
 */
import { PxpError } from './errors';

export interface Progress {
  /** Units done out of total (batches, samples, trials…). */
  done: number;
  total: number;
  message: string;
  /** Seconds left, when it can be estimated. */
  etaSeconds?: number;
  /** Figures the front ends may show (loss, accuracy, …). */
  metrics?: Record<string, number>;
}

export type ProgressSink = (p: Progress) => void;

export interface RunControl {
  onProgress?: ProgressSink;
  signal?: AbortSignal;
}

export function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new PxpError('cancelled', 'cancelled', 'nothing was written');
}

/** Seconds left from the rate so far. */
export function eta(startMs: number, done: number, total: number): number | undefined {
  if (done <= 0) return undefined;
  const elapsed = (Date.now() - startMs) / 1000;
  return (elapsed / done) * (total - done);
}

/** Lets timers, IPC messages and signal handlers run between batches of synchronous tfjs work. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
