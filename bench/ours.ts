/**
 * Our side of `npm run bench` (bench/run.mjs): times the VGG-style model on the default backend and prints one JSON
 * line. Run alone: npx tsx bench/ours.ts [repeats=15] [warmup=3] [backend=auto]
 *
 *   train_step_ms      batch 64, Adam, softmax cross-entropy, model.apply(x, {training: true}) in optimizer.minimize,
 *                      loss read back
 *   infer_ms           batch 64, model.predict, logits read back
 *   lrp_ms             per batch size (32, 64): Explainer(model, epsilon-plus-flat).explainBatch(x, targets), which
 *                      returns input and component relevance as typed arrays (forward + relevance pass + read-back)
 *   lrp_samples_per_s  the better of the batch sizes
 */
import * as tf from '@tensorflow/tfjs';
import { BackendPreference, initBackend } from '../src/core/backend/select';
import { Explainer } from '../src/core/lrp/attribute';
import { disposePlan, planExplanation } from '../src/core/lrp/explanation-plan';
import { OnnxExplainer } from '../src/core/lrp/onnx-explainer';
import { loadOnnxRuntime } from '../src/core/onnx/runtime';
import { OnnxTrainer } from '../src/core/train/onnx-trainer';
import { disposeGraph, graphFromModel } from '../src/core/graph/graph';
import { onnxLatencies } from '../src/core/prune/masked-eval';
import { presetComposite } from '../src/core/lrp/composites';
import { buildVgg } from '../src/core/models/vgg';

const REPEATS = Number(process.argv[2] ?? 15);
const WARMUP = Number(process.argv[3] ?? 3);
const PREFERENCE = (process.argv[4] ?? 'auto') as BackendPreference;
const BATCH = 64;
const LRP_BATCHES = [32, 64];
const LRP_REPEATS = Math.max(5, Math.ceil(REPEATS / 2));
const LRP_WARMUP = Math.min(WARMUP, 2);

function medianMs(fn: () => void, repeats = REPEATS, warmup = WARMUP): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function medianMsAsync(fn: () => Promise<unknown>, repeats = REPEATS, warmup = WARMUP): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function wasmFlags(): Promise<Record<string, unknown> | undefined> {
  if (tf.getBackend() !== 'wasm') return undefined;
  const flags: Record<string, unknown> = {};
  for (const f of ['WASM_HAS_SIMD_SUPPORT', 'WASM_HAS_MULTITHREAD_SUPPORT']) {
    try {
      flags[f] = await tf.env().getAsync(f);
    } catch {
      flags[f] = 'unknown';
    }
  }
  return flags;
}

async function main() {
  const backend = await initBackend(PREFERENCE);
  const model = buildVgg({ inputShape: [28, 28, 1], numClasses: 10, seed: 0 });
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % 10);
  const x = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, 'float32', 0);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const tensorsBefore = tf.memory().numTensors;

  // 1. Training step.
  const opt = tf.train.adam(1e-3);
  const trainStep = () => {
    const loss = opt.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      true,
    )!;
    loss.dataSync();
    loss.dispose();
  };
  const trainMsTfjs = medianMs(trainStep);
  // The same step on onnxruntime (the default executor when it is installed): loss and gradients in one compiled
  // graph, Adam in JS over the parameter arrays.
  let trainMsOnnx: number | undefined;
  const ortRuntime = loadOnnxRuntime().ort;
  if (ortRuntime) {
    const onnxModel = buildVgg({ inputShape: [28, 28, 1], numClasses: 10 });
    const trainer = new OnnxTrainer(onnxModel, ortRuntime, [28, 28, 1], BATCH);
    const data = {
      x: x.dataSync() as Float32Array,
      shape: [BATCH, 28, 28, 1],
      y: labels,
      numClasses: 10,
      source: 'bench',
    };
    trainMsOnnx = await medianMsAsync(
      () => trainer.fit(data, { epochs: 1, batchSize: BATCH, learningRate: 1e-3 }),
      REPEATS,
      WARMUP,
    );
    await trainer.dispose();
    onnxModel.dispose();
  }
  const trainMs = Math.min(trainMsTfjs, trainMsOnnx ?? Infinity);
  const afterTrain = tf.memory().numTensors; // Adam's slots appear on the first step

  // 2. Inference.
  const infer = () => {
    const out = model.predict(x, { batchSize: BATCH }) as tf.Tensor;
    out.dataSync();
    out.dispose();
  };
  const inferMsTfjs = medianMs(infer);
  let inferMsOnnx: number | undefined;
  if (ortRuntime) {
    const g = graphFromModel(model);
    [inferMsOnnx] = await onnxLatencies(ortRuntime, [g], [28, 28, 1], { batchSize: BATCH, runs: REPEATS });
    disposeGraph(g);
  }
  const inferMs = Math.min(inferMsTfjs, inferMsOnnx ?? Infinity);

  // 3. LRP (epsilon-plus-flat) per executor and batch size; explainers are built once, as attribute() does.
  const explainer = new Explainer(model, presetComposite('epsilon-plus-flat')!);
  const lrpMs: Record<string, number> = {};
  const lrpSps: Record<string, number> = {};
  for (const n of LRP_BATCHES) {
    const xb = x.slice([0, 0, 0, 0], [n, 28, 28, 1]);
    const tb = labels.subarray(0, n);
    lrpMs[`tfjs/${n}`] = medianMs(() => void explainer.explainBatch(xb, tb), LRP_REPEATS, LRP_WARMUP);
    lrpSps[`tfjs/${n}`] = (n / lrpMs[`tfjs/${n}`]) * 1000;
    xb.dispose();
  }
  explainer.dispose();
  const { ort } = loadOnnxRuntime();
  if (ort) {
    const prepared = planExplanation(model, presetComposite('epsilon-plus-flat')!);
    const onnx = new OnnxExplainer(prepared, [28, 28, 1], ort);
    const xs = x.dataSync() as Float32Array;
    for (const n of LRP_BATCHES) {
      const xb = xs.subarray(0, n * 784);
      const tb = labels.subarray(0, n);
      lrpMs[`onnx/${n}`] = await medianMsAsync(() => onnx.explain(xb, n, n, tb, 'one-hot'), LRP_REPEATS, LRP_WARMUP);
      lrpSps[`onnx/${n}`] = (n / lrpMs[`onnx/${n}`]) * 1000;
    }
    await onnx.dispose();
    disposePlan(prepared);
  }
  const best = Object.keys(lrpSps).reduce((a, b) => (lrpSps[b] > lrpSps[a] ? b : a));
  const leaked = tf.memory().numTensors - afterTrain;

  console.log(
    JSON.stringify({
      backend: backend.name,
      tfjsBackend: tf.getBackend(),
      skipped: backend.skipped,
      wasm: await wasmFlags(),
      tfjs: tf.version.tfjs,
      params: model.countParams(),
      trainableParams: model.trainableWeights.reduce((n, w) => n + tf.util.sizeFromShape(w.shape as number[]), 0),
      batch: BATCH,
      repeats: REPEATS,
      warmup: WARMUP,
      lrp_repeats: LRP_REPEATS,
      lrp_warmup: LRP_WARMUP,
      train_step_ms: trainMs,
      train_step_ms_by_executor: { tfjs: trainMsTfjs, ...(trainMsOnnx !== undefined ? { onnx: trainMsOnnx } : {}) },
      infer_ms: inferMs,
      infer_ms_by_executor: { tfjs: inferMsTfjs, ...(inferMsOnnx !== undefined ? { onnx: inferMsOnnx } : {}) },
      lrp_ms: lrpMs,
      lrp_samples_per_s_by_batch: lrpSps,
      lrp_batch: Number(best.split('/')[1]),
      lrp_executor: best.split('/')[0],
      lrp_samples_per_s: lrpSps[best],
      tensors: { beforeTraining: tensorsBefore, afterTraining: afterTrain, leakedAfterTraining: leaked },
    }),
  );
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
