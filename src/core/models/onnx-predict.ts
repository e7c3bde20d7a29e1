/**
 * Class predictions on onnxruntime: the model's forward compiled once (static batch; a short last batch is padded
 * with zeros whose rows are dropped), run batch by batch, argmax in JS as on tfjs (ties → lowest class). Several
 * times faster than tfjs-wasm, most of all for transformers. Undefined when onnxruntime is missing or the model has
 * an op the ONNX forward does not compile: callers fall back to tfjs.
 */
import type * as tf from '@tensorflow/tfjs';
import { type Graph, disposeGraph, graphFromModel } from '../graph/graph';
import { batchesOf } from '../io/batches';
import type { Dataset } from '../io/datasets';
import { OnnxUnsupported } from '../onnx/onnx-algebra';
import { loadOnnxRuntime, ortThreads } from '../onnx/runtime';
import { compileForward, predictRows } from '../prune/masked-eval';
import type { RunControl } from '../progress';

export async function onnxPredictLabels(
  model: tf.LayersModel | Graph,
  data: Dataset,
  opts: RunControl & { batchSize?: number } = {},
): Promise<Int32Array | undefined> {
  const { ort } = loadOnnxRuntime();
  if (!ort) return undefined;
  const n = data.y.length;
  const batch = Math.max(1, Math.min(opts.batchSize ?? 256, n));
  const sample = data.shape.slice(1);
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
    session = await ort.InferenceSession.create(compiled.bytes, {
      intraOpNumThreads: ortThreads(),
      graphOptimizationLevel: 'all',
    });
  } catch {
    // A graph onnxruntime refuses (an op or type it lacks): tfjs predicts instead.
    return undefined;
  }
  try {
    const out = new Int32Array(n);
    for await (const { x, shape, from, to, size } of batchesOf(data, batch, { signal: opts.signal, padToSize: true })) {
      const result = await session.run({ x: new ort.Tensor('float32', x, shape) });
      const logits = result[session.outputNames[0]].data as Float32Array;
      out.set(predictRows(logits, compiled.classes, size), from);
      opts.onProgress?.({ done: to, total: n, message: `evaluating ${to}/${n}` });
    }
    return out;
  } finally {
    await session.release();
  }
}
