// Per-kernel time of one VGG training step (batch 64) on the selected backend: where the step's time goes.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/core/backend/select';
import { buildVgg } from '../src/core/models/vgg';

async function main() {
  const b = await initBackend((process.argv[2] as never) ?? 'auto');
  const model = buildVgg({ inputShape: [28, 28, 1], numClasses: 10 });
  const opt = tf.train.adam(1e-3);
  const x = tf.randomUniform([64, 28, 28, 1]);
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: 64 }, (_, i) => i % 10),
      'int32',
    ),
    10,
  );
  const step = () => {
    const c = opt.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      true,
    )!;
    c.dataSync();
    c.dispose();
  };
  for (let i = 0; i < 3; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) step();
  console.log(`${b.name}: ${((performance.now() - t0) / 10).toFixed(1)} ms per step`);
  const prof = await tf.profile(step);
  const byKernel = new Map<string, number>();
  for (const k of prof.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  console.log(
    [...byKernel]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([n, t]) => `${n} ${t.toFixed(1)}`)
      .join('\n'),
  );
}
main();
