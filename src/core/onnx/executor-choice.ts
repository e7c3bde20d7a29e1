/**
 * The onnxruntime half of the executor choice that predict, train and attribute share: onnxruntime unless tfjs is
 * asked for; where onnxruntime-node is missing, or the model needs an op our ONNX compiler lacks, `--executor onnx`
 * fails and auto goes on to tfjs with a note saying why.
 */
import type * as Ort from 'onnxruntime-node';
import { badInput } from '../errors';
import { OnnxUnsupported } from './onnx-algebra';
import { loadOnnxRuntime } from './runtime';

/** What the onnxruntime attempt gave: its value, or (tfjs to run) the note for the user, if any. */
export type OnnxAttempt<T> = { value: T; note?: undefined } | { value?: undefined; note?: string };

export async function attemptOnnx<T>(
  executor: 'auto' | 'onnx' | 'tfjs' | undefined,
  compile: (ort: typeof Ort) => T | Promise<T>,
  unsupported: {
    /** The note when auto falls back to tfjs. */
    note: (e: OnnxUnsupported) => string;
    /** The error when onnx was asked for (default: the OnnxUnsupported itself). */
    refusal?: (e: OnnxUnsupported) => Error;
  },
): Promise<OnnxAttempt<T>> {
  if (executor === 'tfjs') return {};
  const { ort, why } = loadOnnxRuntime();
  if (!ort) {
    if (executor === 'onnx')
      throw badInput(`the onnx executor is not available: ${why}`, 'install onnxruntime-node, or use --executor tfjs');
    return { note: why };
  }
  try {
    return { value: await compile(ort) };
  } catch (e) {
    if (!(e instanceof OnnxUnsupported)) throw e;
    if (executor === 'onnx') throw unsupported.refusal ? unsupported.refusal(e) : e;
    return { note: unsupported.note(e) };
  }
}
