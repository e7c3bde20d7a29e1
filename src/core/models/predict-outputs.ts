/**
 * A model's raw outputs for a batch of inputs (pxp predict), on onnxruntime (the graph's forward compiled once,
 * static batch, a short last batch padded with zeros whose rows are dropped) or on tfjs. Inputs and outputs are in
 * the engine's layout (channels last); callers convert to and from the user's.
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '../errors';
import { forwardOutput } from '../graph/forward';
import type { Graph } from '../graph/graph';
import { attemptOnnx } from '../onnx/executor-choice';
import { OnnxUnsupported } from '../onnx/onnx-algebra';
import { type loadOnnxRuntime, ortThreads } from '../onnx/runtime';
import { compileForward } from '../prune/masked-eval';
import { type RunControl, throwIfCancelled, yieldToEventLoop } from '../progress';

export interface Outputs {
  data: Float32Array;
  /** [N, …] in the engine's layout. */
  shape: number[];
  executor: 'onnx' | 'tfjs';
  executorNote?: string;
}

export async function predictOutputs(
  graph: Graph,
  x: Float32Array,
  shape: number[],
  opts: RunControl & { batchSize?: number; executor?: 'auto' | 'onnx' | 'tfjs' } = {},
): Promise<Outputs> {
  const n = shape[0];
  const batch = Math.max(1, Math.min(opts.batchSize ?? 32, n));
  const onnx = await attemptOnnx(opts.executor, (ort) => onnxOutputs(ort, graph, x, shape, batch, opts), {
    note: (e) => `onnxruntime cannot compile this model (${e.message}); ran on tfjs`,
    refusal: (e) =>
      badInput(
        `the onnx executor cannot run this model: ${e.message}`,
        'use --executor tfjs (or auto, which falls back to tfjs)',
      ),
  });
  if (onnx.value) return onnx.value;
  const note = onnx.note;
  return {
    ...(await tfjsOutputs(graph, x, shape, batch, opts)),
    executor: 'tfjs',
    ...(note ? { executorNote: note } : {}),
  };
}

async function onnxOutputs(
  ort: NonNullable<ReturnType<typeof loadOnnxRuntime>['ort']>,
  graph: Graph,
  x: Float32Array,
  shape: number[],
  batch: number,
  opts: RunControl,
): Promise<Outputs> {
  const n = shape[0];
  const sample = shape.slice(1);
  const per = x.length / n;
  const compiled = compileForward(graph, sample, batch, [], { modelOutput: true });
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(compiled.bytes, {
      intraOpNumThreads: ortThreads(),
      graphOptimizationLevel: 'all',
    });
  } catch (e) {
    throw new OnnxUnsupported(`onnxruntime refused the compiled graph: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    const outPer = compiled.outputShape.slice(1).reduce((a, b) => a * b, 1);
    const data = new Float32Array(n * outPer);
    const buffer = new Float32Array(batch * per);
    for (let from = 0; from < n; from += batch) {
      throwIfCancelled(opts.signal);
      const to = Math.min(n, from + batch);
      buffer.fill(0);
      buffer.set(x.subarray(from * per, to * per));
      const result = await session.run({ x: new ort.Tensor('float32', buffer, [batch, ...sample]) });
      data.set((result[session.outputNames[0]].data as Float32Array).subarray(0, (to - from) * outPer), from * outPer);
      opts.onProgress?.({ done: to, total: n, message: `predicting ${to}/${n}` });
      await yieldToEventLoop();
    }
    return { data, shape: [n, ...compiled.outputShape.slice(1)], executor: 'onnx' };
  } finally {
    await session.release();
  }
}

async function tfjsOutputs(
  graph: Graph,
  x: Float32Array,
  shape: number[],
  batch: number,
  opts: RunControl,
): Promise<{ data: Float32Array; shape: number[] }> {
  const n = shape[0];
  const per = x.length / n;
  const parts: Float32Array[] = [];
  let outShape: number[] = [];
  for (let from = 0; from < n; from += batch) {
    throwIfCancelled(opts.signal);
    const to = Math.min(n, from + batch);
    const y = tf.tidy(() =>
      forwardOutput(graph, tf.tensor(x.subarray(from * per, to * per), [to - from, ...shape.slice(1)])),
    );
    outShape = y.shape.slice(1);
    parts.push((await y.data()) as Float32Array);
    y.dispose();
    opts.onProgress?.({ done: to, total: n, message: `predicting ${to}/${n}` });
    await yieldToEventLoop();
  }
  const data = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  return { data, shape: [n, ...outShape] };
}
