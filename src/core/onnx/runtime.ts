/**
 * onnxruntime-node, when it is installed (an optional dependency: its CPU binaries ship inside the npm package).
 * Loaded lazily so that a machine without it runs everything on tfjs.
 */
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
