import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { disposeGraph, graphFromModel } from '../../../src/core/graph/graph';
import { forwardAll, forwardOutput } from '../../../src/core/graph/forward';
import { tfAlgebra } from '../../../src/core/graph/tf-algebra';
import type { Graph } from '../../../src/core/graph/graph';
import { loadModel } from '../../../src/core/io/model-files';
import { mergeBatchNorm } from '../../../src/core/lrp/canonizers';
import { useDefaultBackend } from '../../helpers/backend';
import { randomInputs, randomizeWeights, tinyResNet, tinyVgg } from '../../helpers/models';
import { CONFORMANCE } from '../../helpers/tmp';

/** The graph with every batch norm's ε replaced (weights shared). */
function withBatchNormEpsilon(g: Graph, epsilon: number): Graph {
  return { ...g, nodes: g.nodes.map((n) => (n.op.type === 'batchnorm' ? { ...n, op: { ...n.op, epsilon } } : n)) };
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** A functional model with the less common layers: branches, concat, padding, depthwise, avg pooling, activations. */
function branchyModel(): tf.LayersModel {
  const input = tf.input({ shape: [9, 9, 3] });
  const a = tf.layers
    .conv2d({ name: 'a', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' })
    .apply(input) as tf.SymbolicTensor;
  const b = tf.layers
    .depthwiseConv2d({ name: 'b', kernelSize: 3, depthMultiplier: 2, padding: 'same' })
    .apply(input) as tf.SymbolicTensor;
  const bAct = tf.layers.leakyReLU({ name: 'b_act', alpha: 0.1 }).apply(b) as tf.SymbolicTensor;
  let x = tf.layers.concatenate({ name: 'cat' }).apply([a, bAct]) as tf.SymbolicTensor;
  x = tf.layers
    .zeroPadding2d({
      name: 'pad',
      padding: [
        [1, 0],
        [0, 1],
      ],
    })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({ name: 'c', filters: 5, kernelSize: [2, 3], strides: [3, 2], padding: 'same' })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.elu({ name: 'elu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .averagePooling2d({ name: 'avg', poolSize: 2, strides: 1, padding: 'valid' })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ name: 'tanh', activation: 'tanh' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'out', units: 3, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  return randomizeWeights(tf.model({ inputs: input, outputs: out }), 7);
}

describe('graph forward pass', () => {
  before(useDefaultBackend);

  it('reproduces model.predict for VGG, ResNet, a branchy functional model and the conformance models', async () => {
    const models: [string, tf.LayersModel][] = [
      ['vgg', tinyVgg()],
      ['resnet', tinyResNet()],
      ['branchy', branchyModel()],
      ...(await Promise.all(
        ['cnn', 'cnn_bn', 'mlp'].map(
          async (c) =>
            [c, await loadModel(path.join(CONFORMANCE, c, 'model', 'model.json'))] as [string, tf.LayersModel],
        ),
      )),
    ];
    for (const [name, model] of models) {
      const shape = [3, ...(model.inputs[0].shape.slice(1) as number[])];
      const x = randomInputs(shape, 3);
      const g = graphFromModel(model);
      const d = maxDiff(forwardOutput(g, x), model.predict(x) as tf.Tensor);
      assert.ok(d < 1e-5, `${name}: max |diff| ${d}`);
      disposeGraph(g);
    }
  });

  it('splits fused activations into their own node and keeps layer names', () => {
    const g = graphFromModel(branchyModel());
    const names = g.nodes.map((n) => n.name);
    assert.ok(names.includes('a') && names.includes('a:act'));
    assert.equal(g.nodes[names.indexOf('a:act')].inputs[0], names.indexOf('a'));
    assert.deepEqual(g.nodes[names.indexOf('cat')].inputs, [names.indexOf('a:act'), names.indexOf('b_act')]);
    assert.equal(g.nodes[g.output].name, 'out:act');
  });

  it('merge-batch-norm folds each BN into its conv without changing the outputs (every ε set to 0)', () => {
    for (const model of [tinyVgg(2), tinyResNet(2)]) {
      const g = withBatchNormEpsilon(graphFromModel(model), 0);
      const merged = mergeBatchNorm(g);
      assert.ok(
        merged.nodes.every((n) => n.op.type !== 'batchnorm'),
        'no batch norm left',
      );
      const x = randomInputs([2, 8, 8, 2], 5);
      const d = maxDiff(forwardOutput(merged, x), forwardOutput(g, x));
      assert.ok(d < 1e-5, `max |diff| ${d}`);
    }
  });

  it("merge-batch-norm keeps zennit's identity batch norm: the merged conv's output is the BN's times 1/√(1+ε)", () => {
    const g = graphFromModel(tinyVgg(2));
    const bn = g.nodes.findIndex((n) => n.op.type === 'batchnorm');
    const eps = (g.nodes[bn].op as { epsilon: number }).epsilon;
    assert.ok(eps > 0, `the model's BN has ε ${eps}`);
    const conv = g.nodes[bn].inputs[0];
    const x = randomInputs([2, 8, 8, 2], 6);
    const want = tf.tidy(() => tf.mul(forwardAll(tfAlgebra, g, x)[bn], 1 / Math.sqrt(1 + eps)));
    const got = forwardAll(tfAlgebra, mergeBatchNorm(g), x)[conv];
    const d = maxDiff(got, want);
    assert.ok(d < 1e-6 * Math.max(1, tf.max(tf.abs(want)).dataSync()[0]), `max |diff| ${d}`);
    // Not a no-op: without the factor the outputs differ by more than the tolerance above.
    assert.ok(maxDiff(got, forwardAll(tfAlgebra, g, x)[bn]) > 10 * d);
  });
});
