/**
 * Class predictions on onnxruntime: the model's forward compiled once (static batch; a short last batch is padded
 * with zeros whose rows are dropped), run batch by batch, argmax in JS as on tfjs (ties → lowest class). Several
 * times faster than tfjs-wasm, most of all for transformers. Undefined when onnxruntime is missing or the model has
 * an op the ONNX forward does not compile: callers fall back to tfjs.
 */
import type * as tf from '@tensorflow/tfjs';
import { type Graph, disposeGraph, graphFromModel } from '../graph/graph';
import type { Dataset } from '../io/datasets';
import { OnnxUnsupported } from '../onnx/onnx-algebra';
import { loadOnnxRuntime, ortThreads } from '../onnx/runtime';
import { compileForward, predictRows } from '../prune/masked-eval';
import { type RunControl, throwIfCancelled, yieldToEventLoop } from '../progress';

export async function onnxPredictLabels(model: tf.LayersModel | Graph, data: Dataset, opts: RunControl & { batchSize?: number } = {}): Promise<Int32Array | undefined> {
  const { ort } = loadOnnxRuntime();
  if (!ort) return undefined;
  const n = data.y.length;
  const batch = Math.max(1, Math.min(opts.batchSize ?? 256, n));
  const sample = data.shape.slice(1);
  const per = data.x.length / n;
  const graph = 'nodes' in model ? model : graphFromModel(model);
  let compiled: { bytes: Uint8Array; classes: number };
  try {
    compiled = compileForward(graph, sample, batch);
  } catch (e) {
    if (e instanceof OnnxUnsupported) return undefined;
    throw e;
  } finally {
    if (graph !== model) disposeGraph(graph);
  }
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(compiled.bytes, { intraOpNumThreads: ortThreads(), graphOptimizationLevel: 'all' });
  } catch {
    // A graph onnxruntime refuses (an op or type it lacks): tfjs predicts instead.
    return undefined;
  }
  try {
    const out = new Int32Array(n);
    const buffer = new Float32Array(batch * per);
    for (let from = 0; from < n; from += batch) {
      throwIfCancelled(opts.signal);
      const to = Math.min(n, from + batch);
      buffer.fill(0);
      buffer.set(data.x.subarray(from * per, to * per));
      const result = await session.run({ x: new ort.Tensor('float32', buffer, [batch, ...sample]) });
      const logits = result[session.outputNames[0]].data as Float32Array;
      out.set(predictRows(logits, compiled.classes, to - from), from);
      opts.onProgress?.({ done: to, total: n, message: `evaluating ${to}/${n}` });
      await yieldToEventLoop();
    }
    return out;
  } finally {
    await session.release();
  }
}
