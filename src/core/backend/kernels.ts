/**
 * Conv-gradient kernels built from tfjs ops, registered over the stock ones on the 'wasm' and 'cpu' backends:
 * wasm has no Conv2DBackpropFilter / DepthwiseConv2dNativeBackprop* at all (training through convs fails) and a slow
 * Conv2DBackpropInput; cpu has them all, but its filter gradients are scalar loops far slower than its own conv.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterKernel } from './kernels/conv2d-backprop-filter';
import { conv2DBackpropInputKernel } from './kernels/conv2d-backprop-input';
import { depthwiseBackpropFilterKernel } from './kernels/depthwise-backprop-filter';
import { depthwiseBackpropInputKernel } from './kernels/depthwise-backprop-input';

const ALL = [
  conv2DBackpropFilterKernel,
  conv2DBackpropInputKernel,
  depthwiseBackpropFilterKernel,
  depthwiseBackpropInputKernel,
];
/**
 * cpu keeps its stock input-gradient kernels: they beat a cpu conv over the zero-inserted dy, while its stock
 * filter-gradient loops are slower than ours (bench/kernels.mjs; the figures are in NOTES.md, Performance).
 */
const PREFERRED = new Map([
  ['wasm', ALL],
  ['cpu', [conv2DBackpropFilterKernel, depthwiseBackpropFilterKernel]],
]);

/** Stock kernels we replaced, per backend, so restoreStockKernels can put them back (tests, benchmarks). */
const replaced = new Map<string, tf.KernelConfig[]>();

/**
 * Registers the fast kernels for 'wasm' or 'cpu'; other backends are left alone. Safe to call repeatedly.
 * `which: 'all'` also replaces the stock kernels that are faster on that backend (tests, benchmarks).
 */
export function registerFastKernels(backendName: string, which: 'preferred' | 'all' = 'preferred'): void {
  const preferred = PREFERRED.get(backendName);
  if (!preferred) return;
  for (const k of which === 'all' ? ALL : preferred) {
    const existing = tf.getKernel(k.kernelName, backendName);
    if (existing?.kernelFunc === k.kernelFunc) continue;
    if (existing) {
      tf.unregisterKernel(k.kernelName, backendName);
      replaced.set(backendName, [...(replaced.get(backendName) ?? []), existing]);
    }
    tf.registerKernel({ ...k, backendName });
  }
}

/** Undoes registerFastKernels for one backend: ours are removed and any stock kernel they displaced comes back. */
export function restoreStockKernels(backendName: string): void {
  for (const k of ALL) {
    if (tf.getKernel(k.kernelName, backendName)?.kernelFunc === k.kernelFunc) {
      tf.unregisterKernel(k.kernelName, backendName);
    }
  }
  for (const stock of replaced.get(backendName) ?? []) {
    if (!tf.getKernel(stock.kernelName, backendName)) tf.registerKernel(stock);
  }
  replaced.delete(backendName);
}
