/**
 * Fans embarrassingly parallel work out over worker threads: the wasm backend runs on one thread, so this is how a
 * job uses every core. Samples are split into contiguous slices, one per worker, and the results are joined in order.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PxpError } from '../core/errors';
import type { AttributionResult } from '../core/lrp/attribute';
import type { RunControl } from '../core/progress';
import type { AttributeTask, FromAttributeWorker } from '../protocol/workers';

/** dist/worker.js next to the bundle that runs (cli.js, engine.js), or the built one when running from sources. */
export function workerScript(): string | undefined {
  const candidates = [path.join(__dirname, 'worker.js'), path.resolve(__dirname, '..', '..', 'dist', 'worker.js')];
  return candidates.find((f) => fs.existsSync(f));
}

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(os.availableParallelism?.() ?? os.cpus().length, 8));
}

function runWorker(
  script: string,
  task: AttributeTask,
  onProgress: (done: number) => void,
  signal?: AbortSignal,
): Promise<AttributionResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: task });
    const abort = () => {
      void worker.terminate();
      reject(new PxpError('cancelled', 'cancelled', 'nothing was written'));
    };
    signal?.addEventListener('abort', abort, { once: true });
    worker.on('message', (m: FromAttributeWorker) => {
      if (m.type === 'progress') onProgress(m.done);
      else {
        signal?.removeEventListener('abort', abort);
        void worker.terminate();
        if (m.type === 'result') resolve(m.value);
        else reject(new PxpError(m.code, m.message, m.hint));
      }
    });
    worker.on('error', (e) => reject(new PxpError('internal', `a worker thread failed: ${e.message}`)));
  });
}

/** LRP attribution over `workers` threads; identical results to a single-thread `attribute`. */
export async function attributeInWorkers(
  task: Omit<AttributeTask, 'kind'>,
  workers: number,
  control: RunControl = {},
): Promise<AttributionResult> {
  const script = workerScript();
  if (!script) throw new PxpError('internal', 'dist/worker.js is missing', 'run npm run build');
  const n = task.shape[0];
  const per = task.x.length / n;
  const count = Math.max(1, Math.min(workers, n));
  const bounds = Array.from({ length: count + 1 }, (_, i) => Math.round((i * n) / count));
  const done = new Array<number>(count).fill(0);
  const start = Date.now();
  const parts = await Promise.all(
    bounds.slice(0, -1).map((from, i) => {
      const to = bounds[i + 1];
      return runWorker(
        script,
        {
          ...task,
          kind: 'attribute',
          x: task.x.slice(from * per, to * per),
          shape: [to - from, ...task.shape.slice(1)],
          targets: task.targets?.slice(from, to),
        },
        (d) => {
          done[i] = d;
          const total = done.reduce((a, b) => a + b, 0);
          control.onProgress?.({ done: total, total: n, message: `relevance ${total}/${n} (${count} threads)` });
        },
        control.signal,
      );
    }),
  );
  const first = parts[0];
  return {
    inputShape: task.shape,
    input: concatFloat32(parts.map((p) => p.input)),
    layers: first.layers.map((l, li) => ({
      name: l.name,
      kind: l.kind,
      relevance: parts.flatMap((p) => p.layers[li].relevance),
    })),
    targets: Int32Array.from(parts.flatMap((p) => Array.from(p.targets))),
    outputRelevance: Float64Array.from(parts.flatMap((p) => Array.from(p.outputRelevance))),
    layerRules: first.layerRules,
    seconds: (Date.now() - start) / 1000,
    executor: first.executor,
  };
}

function concatFloat32(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
