/**
 * BatchMatMul on wasm with its transpose flags applied by an explicit Transpose first: the stock kernel with
 * transposeA or transposeB runs several times slower than a transpose plus a plain product, and every dense layer's
 * gradient uses one of them (the measurement: NOTES.md, Performance).
 */
import * as tf from '@tensorflow/tfjs';
import { wrap } from './conv-geometry';

const swapLast = (t: tf.Tensor) => tf.transpose(t, [...t.shape.map((_, i) => i).slice(0, -2), t.rank - 1, t.rank - 2]);

let stock: tf.KernelConfig | undefined;

/** Wraps the backend's stock BatchMatMul; safe to call repeatedly. */
export function registerTransposeFreeMatMul(backendName: string): void {
  const existing = tf.getKernel('BatchMatMul', backendName);
  if (!existing || existing.kernelFunc === kernelFunc) return;
  stock = existing;
  tf.unregisterKernel('BatchMatMul', backendName);
  tf.registerKernel({ ...existing, kernelFunc });
}

function kernelFunc({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { a, b } = inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const run = (x: tf.TensorInfo, y: tf.TensorInfo) =>
    stock!.kernelFunc({
      inputs: { a: x, b: y },
      backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    }) as tf.TensorInfo;
  if (!transposeA && !transposeB) return run(a, b);
  const be = backend as tf.KernelBackend;
  const at = transposeA ? swapLast(wrap(a, be)) : undefined;
  const bt = transposeB ? swapLast(wrap(b, be)) : undefined;
  const out = run(at ?? a, bt ?? b);
  tf.dispose([at, bt].filter((t): t is tf.Tensor => t !== undefined));
  return out;
}
