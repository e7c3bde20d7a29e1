import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildResNet } from '../../../src/core/models/resnet';
import { buildVgg } from '../../../src/core/models/vgg';
import { loadOnnxRuntime } from '../../../src/core/onnx/runtime';
import { OnnxTrainer, paramWeight } from '../../../src/core/train/onnx-trainer';
import { useDefaultBackend } from '../../helpers/backend';
import { randomInputs, randomizeWeights, tinyVit } from '../../helpers/models';
import { mulberry32 } from '../../../src/core/random';
import { requireOnnxRuntime } from '../../helpers/onnxruntime';

/** Max difference relative to the larger of the gradient's own scale and 1e-3 (a conv bias before a batch norm has
 * a gradient of exactly 0 in theory; both sides then hold rounding noise). */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / Math.max(m, 1e-3);
}

/** One step's loss and gradients on onnxruntime (the trainer) and by tfjs autodiff in training mode (3 classes). */
async function oneStepBothWays(model: tf.LayersModel, x: tf.Tensor, labels: Int32Array) {
  const trainer = new OnnxTrainer(model, loadOnnxRuntime().ort!, x.shape.slice(1), labels.length);
  const ours = await trainer.gradients(x.dataSync() as Float32Array, labels);
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const { value, grads } = tf.variableGrads(
    () =>
      tf.losses.softmaxCrossEntropy(
        tf.oneHot(tf.tensor1d(labels, 'int32'), 3),
        model.apply(x, { training: true }) as tf.Tensor,
      ) as tf.Scalar,
    vars,
  );
  return { trainer, ours, vars, value, grads };
}

describe('training compiled to ONNX', function () {
  before(async function () {
    requireOnnxRuntime(this);
    await useDefaultBackend();
  });

  for (const [name, build] of [
    [
      'VGG-style',
      () => buildVgg({ inputShape: [8, 8, 2], numClasses: 3, widths: [4, 6], hidden: 5, dropout: 0, seed: 1 }),
    ],
    [
      'ResNet-style',
      () => buildResNet({ inputShape: [8, 8, 2], numClasses: 3, widths: [4, 6], blocksPerStage: 1, seed: 1 }),
    ],
  ] as const) {
    it(`${name}: loss, gradients and batch statistics of one step equal tfjs autodiff in training mode`, async () => {
      const model = randomizeWeights(build(), 5);
      const x = randomInputs([6, 8, 8, 2], 2);
      const labels = Int32Array.from([0, 1, 2, 2, 1, 0]);
      const { trainer, ours, vars, value, grads } = await oneStepBothWays(model, x, labels);
      assert.ok(Math.abs(ours.loss - value.dataSync()[0]) < 1e-5, `loss ${ours.loss} vs ${value.dataSync()[0]}`);
      trainer.first.params.forEach((p, k) => {
        const layerName = model.layers.find(
          (l) => l.name === (trainer as unknown as { graph: { nodes: { name: string }[] } }).graph.nodes[p.node].name,
        )!.name;
        const v = vars.find((t) => t.name.startsWith(`${layerName}/`) && t.name.split('/').pop()!.startsWith(p.key))!;
        const want = grads[v.name].dataSync();
        assert.ok(
          relDiff(ours.grads[k], want) < 1e-3,
          `${layerName}/${p.key}: rel diff ${relDiff(ours.grads[k], want)}`,
        );
      });
      // Batch statistics: the moments of each batch norm's input over batch and positions.
      const graphNodes = (trainer as unknown as { graph: { nodes: { name: string }[] } }).graph.nodes;
      for (const [node, stats] of ours.stats) {
        const bn = model.getLayer(graphNodes[node].name);
        const probe = tf.model({ inputs: model.inputs, outputs: bn.input as tf.SymbolicTensor });
        const { mean, variance } = tf.moments(probe.apply(x, { training: true }) as tf.Tensor, [0, 1, 2]);
        assert.ok(relDiff(stats.mean, mean.dataSync()) < 1e-4, `${bn.name} mean`);
        assert.ok(relDiff(stats.variance, variance.dataSync()) < 1e-4, `${bn.name} variance`);
      }
      await trainer.dispose();
      model.dispose();
    });
  }

  it('ViT (patches, class token, positions, LayerNorm, attention, GELU): loss and every gradient equal tfjs autodiff', async () => {
    const model = tinyVit(3);
    const x = randomInputs([6, 4, 4, 1], 4);
    const labels = Int32Array.from([0, 1, 2, 2, 1, 0]);
    const { trainer, ours, vars, value, grads } = await oneStepBothWays(model, x, labels);
    assert.ok(Math.abs(ours.loss - value.dataSync()[0]) < 1e-5, `loss ${ours.loss} vs ${value.dataSync()[0]}`);
    const nodes = (trainer as unknown as { graph: { nodes: { name: string }[] } }).graph.nodes;
    const seen = new Set<string>();
    trainer.first.params.forEach((p, k) => {
      const { layer, weight } = paramWeight(nodes[p.node].name, p.key);
      const v = vars.find(
        (t) => t.name.startsWith(`${layer}/`) && t.name.split('/').pop()!.replace(/_\d+$/, '') === weight,
      );
      assert.ok(v, `no tfjs variable for ${layer}/${weight}`);
      seen.add(v.name);
      assert.ok(
        relDiff(ours.grads[k], grads[v.name].dataSync()) < 1e-3,
        `${layer}/${weight}: rel diff ${relDiff(ours.grads[k], grads[v.name].dataSync())}`,
      );
    });
    assert.equal(seen.size, vars.length, 'every trainable weight has its gradient');
    // One epoch of Adam: every trainable weight of the tfjs model (projections, token, positions, γ, β) is written back.
    const before = vars.map((v) => Array.from(v.dataSync()));
    const xs = randomInputs([12, 4, 4, 1], 5).dataSync() as Float32Array;
    await trainer.fit(
      {
        x: xs,
        shape: [12, 4, 4, 1],
        y: Int32Array.from({ length: 12 }, (_, i) => i % 3),
        numClasses: 3,
        source: 'random',
      },
      { epochs: 1, learningRate: 0.01, seed: 1 },
    );
    model.trainableWeights.forEach((w, i) =>
      assert.notDeepEqual(
        Array.from((w as unknown as { val: tf.Variable }).val.dataSync()),
        before[i],
        `${w.name} unchanged`,
      ),
    );
    await trainer.dispose();
    model.dispose();
  });

  it('fits like the tfjs loop: loss falls and the trained weights land in the tfjs model', async () => {
    // 8×8 images whose class says which half (left or right) is brighter (the task of the tfjs training test).
    const rng = mulberry32(1);
    const n = 256;
    const x = new Float32Array(n * 64);
    const y = Int32Array.from({ length: n }, (_, i) => i % 2);
    for (let i = 0; i < n; i++)
      for (let r = 0; r < 8; r++)
        for (let c = 0; c < 8; c++) x[i * 64 + r * 8 + c] = rng() * 0.5 + (c < 4 === (y[i] === 0) ? 0.5 : 0);
    const model = buildVgg({
      inputShape: [8, 8, 1],
      numClasses: 2,
      widths: [4, 8],
      convsPerBlock: 1,
      hidden: 8,
      dropout: 0.2,
      seed: 0,
    });
    const before = Array.from(model.getLayer('fc1').getWeights()[0].dataSync());
    const trainer = new OnnxTrainer(model, loadOnnxRuntime().ort!, [8, 8, 1], 32);
    const r = await trainer.fit(
      { x, shape: [n, 8, 8, 1], y, numClasses: 2, source: 'halves' },
      { epochs: 4, learningRate: 0.01, seed: 1 },
    );
    await trainer.dispose();
    assert.ok(r.epochs[3].loss < r.epochs[0].loss * 0.7, `losses ${r.epochs.map((e) => e.loss)}`);
    assert.notDeepEqual(Array.from(model.getLayer('fc1').getWeights()[0].dataSync()), before);
    const acc = tf.tidy(
      () =>
        tf
          .mean(
            tf.cast(
              tf.equal(tf.argMax(model.predict(tf.tensor(x, [n, 8, 8, 1])) as tf.Tensor, -1), tf.tensor1d(y, 'int32')),
              'float32',
            ),
          )
          .dataSync()[0],
    );
    assert.ok(acc > 0.9, `accuracy of the tfjs model after training ${acc}`);
  });
});
