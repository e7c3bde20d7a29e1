/**
 * The onnxruntime suites need `onnxruntime-node`, an optional dependency. Where it is missing they skip on a
 * developer's machine but fail in CI, where a skip would let a broken install pass unseen.
 */
import type * as Ort from 'onnxruntime-node';
import { loadOnnxRuntime } from '../../src/core/onnx/runtime';

/** Whether a missing onnxruntime fails the suites: PXP_REQUIRE_ONNXRUNTIME=1 (0 turns it off), else CI set. */
export function onnxRuntimeRequired(env: Record<string, string | undefined> = process.env): boolean {
  const asked = env.PXP_REQUIRE_ONNXRUNTIME;
  if (asked !== undefined && asked !== '') return asked !== '0' && asked.toLowerCase() !== 'false';
  return env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI.toLowerCase() !== 'false';
}

/** onnxruntime for a test or suite: skips it when onnxruntime-node is missing, or fails it where it is required. */
export function requireOnnxRuntime(ctx: Mocha.Context): typeof Ort {
  const { ort, why } = loadOnnxRuntime();
  if (ort) return ort;
  if (onnxRuntimeRequired())
    throw new Error(
      `onnxruntime-node is missing (${why}); CI or PXP_REQUIRE_ONNXRUNTIME requires it: run npm ci on a platform onnxruntime-node ships a binary for`,
    );
  return ctx.skip();
}
