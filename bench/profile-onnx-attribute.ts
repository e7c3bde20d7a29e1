/**
 * Where `pxp attribute` on an ONNX model spends its time and memory, phase by phase (import, graph, plan, compile,
 * session, batches): `npx tsx bench/profile-onnx-attribute.ts MODEL.onnx X.npy [batch] [runs]`. Prints wall time
 * and RSS after each phase, and the peak RSS.
 */
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/core/backend/select';
import { openAnyModel } from '../src/core/io/open-model';
import { readNpy } from '../src/core/io/npy';
import { arrayForEngine } from '../src/core/io/array-layout';
import { disposePlan, planExplanation } from '../src/core/lrp/explanation-plan';
import { presetComposite } from '../src/core/lrp/composites';
import { OnnxExplainer, compileExplanation } from '../src/core/lrp/onnx-explainer';
import { loadOnnxRuntime } from '../src/core/onnx/runtime';

const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
let last = performance.now();
let peak = 0;
function mark(what: string) {
  const now = performance.now();
  const m = process.memoryUsage();
  peak = Math.max(peak, m.rss);
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm;
  console.log(
    `${what.padEnd(28)} ${((now - last) / 1000).toFixed(2).padStart(7)} s   rss ${mb(m.rss).padStart(8)}  heap ${mb(m.heapUsed).padStart(7)}  external ${mb(m.external).padStart(7)} (buffers ${mb(m.arrayBuffers).padStart(7)})  tf ${mb(tf.memory().numBytes).padStart(7)}${wasm ? `  wasm heap ${mb(wasm.HEAPU8.byteLength)}` : ''}`,
  );
  last = now;
}

async function main() {
  const [file, xFile, batchArg, runsArg] = process.argv.slice(2);
  const batch = Number(batchArg ?? 16);
  const runs = Number(runsArg ?? 3);
  await initBackend('auto');
  const ort = loadOnnxRuntime().ort!;
  mark('start');
  const opened = await openAnyModel(file);
  mark('import');
  const arr = readNpy(xFile);
  const { x, shape } = arrayForEngine(arr.data as Float32Array, arr.shape, opened, xFile);
  mark('inputs');
  const graph = opened.sharedGraph();
  mark('sharedGraph()');
  const prepared = planExplanation(graph, presetComposite('epsilon-plus-flat')!);
  mark('plan');
  if (process.env.COMPILE_ONLY) {
    const { bytes } = compileExplanation(prepared, shape.slice(1), batch, { predicted: true, init: 'one-hot' });
    mark(`compile (${mb(bytes.byteLength)})`);
    if (process.env.SAVE) fs.writeFileSync(process.env.SAVE, bytes);
    return;
  }
  const ex = new OnnxExplainer(prepared, shape.slice(1), ort);
  await ex.prepare(batch);
  mark('compile + session');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    mark('gc');
  }
  const per = x.length / shape[0];
  const xb = x.subarray(0, batch * per);
  for (let i = 0; i < runs; i++) {
    await ex.explain(xb, batch, batch, undefined, 'one-hot');
    mark(`batch ${i} (${batch})`);
  }
  await ex.dispose();
  disposePlan(prepared);
  opened.dispose();
  mark('disposed');
  console.log(`peak rss seen ${mb(peak)}`);
}
main();
