/**
 * onnxruntime-node, when it is installed (an optional dependency: its CPU binaries ship inside the npm package).
 * Loaded lazily so that a machine without it runs everything on tfjs.
 */
import os from 'node:os';
import type * as Ort from 'onnxruntime-node';

let cached: { ort?: typeof Ort; why?: string } | undefined;

export function loadOnnxRuntime(): { ort?: typeof Ort; why?: string } {
  if (!cached) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      cached = { ort: require('onnxruntime-node') as typeof Ort };
    } catch (e) {
      cached = { why: `onnxruntime-node: ${(e as Error).message.split('\n')[0]}` };
    }
  }
  return cached;
}

let threadsOverride: number | undefined;

/**
 * Intra-op threads for every onnxruntime session we create: one per core, unless a caller that runs several sessions
 * side by side (search trials on worker threads) shares the cores out with `setOrtThreads`.
 */
export function ortThreads(): number {
  return threadsOverride ?? Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

export function setOrtThreads(n: number | undefined): void {
  threadsOverride = n === undefined ? undefined : Math.max(1, Math.floor(n));
}
