/**
 * Per-op profile of the compiled LRP graph (epsilon-plus-flat on the VGG-style bench model) on onnxruntime:
 * `npx tsx bench/profile-lrp.ts [batch] [preset or composite.json]`. Prints time per op type and the slowest nodes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/core/backend/select';
import { disposePlan, planExplanation } from '../src/core/lrp/explanation-plan';
import { compileExplanation } from '../src/core/lrp/onnx-explainer';
import { parseComposite, presetComposite } from '../src/core/lrp/composites';
import { buildVgg } from '../src/core/models/vgg';
import { loadOnnxRuntime } from '../src/core/onnx/runtime';

async function main() {
  const batch = Number(process.argv[2] ?? 32);
  const composite = process.argv[3] ?? 'epsilon-plus-flat';
  await initBackend('auto');
  const ort = loadOnnxRuntime().ort!;
  const model = buildVgg({ inputShape: [28, 28, 1], numClasses: 10, seed: 0 });
  const spec = presetComposite(composite) ?? parseComposite(JSON.parse(fs.readFileSync(composite, 'utf8')), composite);
  const prepared = planExplanation(model, spec);
  const { bytes, classes } = compileExplanation(prepared, [28, 28, 1], batch, { predicted: false, init: 'one-hot' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-prof-'));
  const session = await ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: 'all',
    ...(process.env.PAR ? { executionMode: 'parallel', interOpNumThreads: Number(process.env.PAR) } : {}),
    intraOpNumThreads: Number(process.env.INTRA ?? 2),
    enableProfiling: true,
    profileFilePrefix: path.join(dir, 'lrp'),
    optimizedModelFilePath: path.join(dir, 'opt.onnx'),
  });
  const x = new ort.Tensor(
    'float32',
    tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 0).dataSync() as Float32Array,
    [batch, 28, 28, 1],
  );
  const oh = new Float32Array(batch * classes);
  for (let s = 0; s < batch; s++) oh[s * classes + (s % classes)] = 1;
  const feeds = { x, onehot: new ort.Tensor('float32', oh, [batch, classes]) };
  for (let i = 0; i < 5; i++) await session.run(feeds);
  const reps = 30;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await session.run(feeds);
  const ms = (performance.now() - t0) / reps;
  session.endProfiling();
  await new Promise((r) => setTimeout(r, 200));
  const file = path.join(
    dir,
    fs.readdirSync(dir).find((f) => f.startsWith('lrp') && f.endsWith('.json'))!,
  );
  const events = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    cat: string;
    name: string;
    dur: number;
    args?: { op_name?: string };
  }[];
  const byType = new Map<string, number>();
  const byNode = new Map<string, number>();
  let total = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const t = e.args?.op_name ?? '?';
    byType.set(t, (byType.get(t) ?? 0) + e.dur);
    const key = `${t} ${e.name.replace(/_kernel_time$/, '')}`;
    byNode.set(key, (byNode.get(key) ?? 0) + e.dur);
    total += e.dur;
  }
  const runs = reps + 5;
  console.log(
    `batch ${batch}, ${composite}: ${ms.toFixed(2)} ms/run, ${((batch / ms) * 1000).toFixed(0)} samples/s; kernel sum ${(total / runs / 1000).toFixed(2)} ms/run`,
  );
  for (const [t, d] of [...byType].sort((a, b) => b[1] - a[1]))
    console.log(`${t.padEnd(24)} ${(d / runs / 1000).toFixed(3)} ms  ${((100 * d) / total).toFixed(1)} %`);
  console.log('--- slowest nodes');
  for (const [t, d] of [...byNode].sort((a, b) => b[1] - a[1]).slice(0, 25))
    console.log(`${t.padEnd(60)} ${(d / runs / 1000).toFixed(3)} ms`);
  console.log(`optimized graph: ${path.join(dir, 'opt.onnx')}`);
  await session.release();
  disposePlan(prepared);
}
main();
