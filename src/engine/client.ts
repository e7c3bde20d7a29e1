/**
 * The extension host's side of the engine: forks dist/engine.js on first use, matches results to requests by id,
 * forwards progress, sends cancel, and turns a crash (exit, OOM) into an error for every pending request; the next
 * request starts a fresh engine. No vscode import, so it is unit-tested in plain Node.
 */
import { ChildProcess, fork } from 'node:child_process';
import os from 'node:os';
import { PxpError } from '../core/errors';
import type { BackendPreference } from '../core/backend/select';
import type { ProgressSink } from '../core/progress';
import { EngineMethod, EngineMethods, FromEngine, ToEngine, isFromEngine } from '../protocol/engine';

export interface EngineClientOptions {
  enginePath: string;
  /** Node binary for the engine (pxp.nodePath); defaults to the host's. */
  nodePath?: string;
  backend?: BackendPreference;
  /** Nice value for the engine process (e.g. 10), so that the editor keeps the CPU it needs while a job runs. */
  niceness?: number;
  onLog?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: PxpError) => void;
  onProgress?: ProgressSink;
  onOutput?: (line: string) => void;
}

export class EngineClient {
  private child?: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly opts: EngineClientOptions) {}

  request<M extends EngineMethod>(
    method: M,
    params: EngineMethods[M]['params'],
    opts: { onProgress?: Pending['onProgress']; onOutput?: Pending['onOutput']; signal?: AbortSignal } = {},
  ): Promise<EngineMethods[M]['result']> {
    const child = this.ensureStarted();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) {
        reject(new PxpError('cancelled', 'cancelled', 'nothing was written'));
        return;
      }
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        onProgress: opts.onProgress,
        onOutput: opts.onOutput,
      });
      opts.signal?.addEventListener('abort', () => this.post({ type: 'cancel', id }), { once: true });
      this.post({ type: 'request', id, method, params } as ToEngine);
      if (!child.connected) this.failAll(new PxpError('internal', 'the engine process is not running'));
    });
  }

  /** Stops the engine; pending requests fail. */
  dispose(): void {
    this.child?.kill();
    this.child = undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private post(m: ToEngine): void {
    if (this.child?.connected) this.child.send(m);
  }

  private ensureStarted(): ChildProcess {
    if (this.child && this.child.exitCode === null && this.child.connected) return this.child;
    const child = fork(this.opts.enginePath, [], {
      execPath: this.opts.nodePath || process.execPath,
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    if (this.opts.niceness !== undefined && child.pid !== undefined) {
      try {
        os.setPriority(child.pid, this.opts.niceness);
      } catch {
        // not permitted here: the engine runs at normal priority
      }
    }
    let stderrTail = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderrTail = (stderrTail + d.toString()).slice(-4000);
      this.opts.onLog?.('warn', d.toString().trimEnd());
    });
    child.on('message', (m: unknown) => this.onMessage(m));
    // A pxp.nodePath that does not exist or cannot run fails the spawn with an 'error' event (no 'exit'): without
    // this listener it would be thrown in the extension host.
    child.on('error', (e) => {
      if (this.child === child) this.child = undefined;
      const node = this.opts.nodePath || process.execPath;
      this.opts.onLog?.('error', `cannot start the engine with ${node}: ${e.message}`);
      this.failAll(
        new PxpError(
          'usage',
          `cannot start the engine with ${node}: ${e.message}`,
          'set pxp.nodePath to a Node binary (one that runs `node --version`), or clear it to use the editor’s Node',
        ),
      );
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const oom = /heap out of memory|Allocation failed/i.test(stderrTail);
      const why = oom ? 'ran out of memory' : `exited (${signal ?? `code ${code}`})`;
      this.failAll(
        new PxpError(
          'internal',
          `the engine process ${why}`,
          'see the PXP log; the next request starts a fresh engine',
        ),
      );
    });
    this.child = child;
    child.send({ type: 'configure', backend: this.opts.backend ?? 'auto' } satisfies ToEngine);
    return child;
  }

  private onMessage(m: unknown): void {
    if (!isFromEngine(m)) return;
    const msg = m as FromEngine;
    if (msg.type === 'log') {
      this.opts.onLog?.(msg.level, msg.message);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') p.onProgress?.(msg);
    else if (msg.type === 'output') p.onOutput?.(msg.line);
    else {
      this.pending.delete(msg.id);
      if (msg.type === 'result') p.resolve(msg.value);
      else p.reject(new PxpError(msg.code, msg.message, msg.hint));
    }
  }

  private failAll(err: PxpError): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(err);
    }
  }
}
