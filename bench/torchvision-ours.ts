/**
 * Our side of bench/torchvision.mjs: an ONNX model from PyTorch, timed on request so that the bench can alternate
 * our runs with PyTorch's.
 *
 *   npx tsx bench/torchvision-ours.ts MODEL.onnx X.npy [batch=16] [threads=2]
 *
 * At start it imports the model, compiles LRP (epsilon-plus-flat: input and component relevance) for the batch and
 * opens onnxruntime on the user's file, then prints {"ready": true, ...} with those times. Then one command a line,
 * one JSON line back:
 *   open KEY FILE   an onnxruntime session on another file (a pruned model), fed the same batch: {"seconds": s}
 *   run KEY         one forward batch on a session ("model" is the user's file): {"seconds": s}
 *   forward-pxp     one forward batch of PXP's own compiled graph (what pxp predict and evaluate run)
 *   lrp             one batch explained by the compiled LRP graph (forward, relevance, input and component sums)
 *   quit
 */
import readline from 'node:readline';
import type * as Ort from 'onnxruntime-node';
import { initBackend } from '../src/core/backend/select';
import { arrayForEngine } from '../src/core/io/array-layout';
import { readNpy } from '../src/core/io/npy';
import { openAnyModel } from '../src/core/io/open-model';
import { planExplanation } from '../src/core/lrp/explanation-plan';
import { presetComposite } from '../src/core/lrp/composites';
import { OnnxExplainer } from '../src/core/lrp/onnx-explainer';
import { loadOnnxRuntime, setOrtThreads } from '../src/core/onnx/runtime';
import { compileForward } from '../src/core/prune/masked-eval';

async function main() {
  const [file, xFile, batchArg, threadsArg] = process.argv.slice(2);
  const batch = Number(batchArg ?? 16);
  const threads = Number(threadsArg ?? 2);
  setOrtThreads(threads);
  await initBackend('auto');
  const ort = loadOnnxRuntime().ort!;
  const t0 = performance.now();
  const opened = await openAnyModel(file);
  const importSeconds = (performance.now() - t0) / 1000;
  const arr = readNpy(xFile);
  const per = arr.data.length / arr.shape[0];
  // The batch in the file's layout (NCHW), samples repeated if the file holds fewer.
  const nchw = new Float32Array(batch * per);
  for (let s = 0; s < batch; s++)
    nchw.set((arr.data as Float32Array).subarray((s % arr.shape[0]) * per, ((s % arr.shape[0]) + 1) * per), s * per);
  const fileShape = [batch, ...arr.shape.slice(1)];
  const { x: nhwc, shape } = arrayForEngine(nchw, fileShape, opened, xFile);

  // onnxruntime's threads spin after a run by default: between our runs PyTorch's would compete with them.
  const options: Ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const sessions = new Map<string, { session: Ort.InferenceSession; feeds: Record<string, Ort.Tensor> }>();
  const input = opened.onnx!.facts.input.name;
  const open = async (key: string, path: string) => {
    const session = await ort.InferenceSession.create(path, options);
    sessions.set(key, { session, feeds: { [input]: new ort.Tensor('float32', nchw, fileShape) } });
  };
  let t = performance.now();
  await open('model', file);
  const sessionSeconds = (performance.now() - t) / 1000;

  t = performance.now();
  const explainer = new OnnxExplainer(
    planExplanation(opened.sharedGraph(), presetComposite('epsilon-plus-flat')!),
    shape.slice(1),
    ort,
    threads,
  );
  await explainer.prepare(batch);
  const lrpCompileSeconds = (performance.now() - t) / 1000;

  const forward = await ort.InferenceSession.create(
    compileForward(opened.sharedGraph(), shape.slice(1), batch).bytes,
    options,
  );
  const forwardFeeds = { x: new ort.Tensor('float32', nhwc, shape) };

  const timed = async (f: () => Promise<unknown>) => {
    const start = performance.now();
    await f();
    return { seconds: (performance.now() - start) / 1000 };
  };
  console.log(
    JSON.stringify({
      ready: true,
      onnxruntime: ort.env.versions?.common,
      threads,
      batch,
      importSeconds,
      sessionSeconds,
      lrpCompileSeconds,
      params: opened.summary.params,
      flops: opened.summary.flops,
    }),
  );
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [cmd, key, path] = line.trim().split(/\s+/);
    let reply: object;
    try {
      if (cmd === 'quit') break;
      else if (cmd === 'open') reply = await timed(() => open(key, path));
      else if (cmd === 'run') {
        const s = sessions.get(key);
        if (!s) throw new Error(`no session '${key}'`);
        reply = await timed(() => s.session.run(s.feeds));
      } else if (cmd === 'forward-pxp') reply = await timed(() => forward.run(forwardFeeds));
      else if (cmd === 'lrp') reply = await timed(() => explainer.explain(nhwc, batch, batch, undefined, 'one-hot'));
      else throw new Error(`unknown command '${cmd}'`);
    } catch (e) {
      reply = { error: (e as Error).message };
    }
    console.log(JSON.stringify(reply));
  }
  lines.close();
  for (const s of sessions.values()) await s.session.release();
  await forward.release();
  await explainer.dispose();
  opened.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
