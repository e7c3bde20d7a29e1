import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { forwardAll } from '../../../src/core/graph/forward';
import { type Graph, disposeGraph, graphFromModel } from '../../../src/core/graph/graph';
import { graphShapes } from '../../../src/core/graph/shapes';
import { tfAlgebra } from '../../../src/core/graph/tf-algebra';
import { openAnyModel } from '../../../src/core/io/open-model';
import { buildVit } from '../../../src/core/models/vit';
import { useDefaultBackend } from '../../helpers/backend';
import { randomizeWeights, tinyResNet, tinyVgg } from '../../helpers/models';
import { fixture } from '../../helpers/torchvision';

/** The shapes tfjs gives when it runs the graph on one sample: the reference. */
function executedShapes(graph: Graph, inputShape: number[]): number[][] {
  return tf.tidy(() =>
    forwardAll(tfAlgebra, graph, tf.zeros([1, ...inputShape])).map((t) => t.shape.slice(1) as number[]),
  );
}

/** Branches, concat on a middle and the last axis, explicit and 'same' padding with strides, depthwise, a reshape, a dense layer on rank 3. */
function oddModel(): tf.LayersModel {
  const input = tf.input({ shape: [11, 9, 3] });
  const a = tf.layers
    .conv2d({ name: 'a', filters: 4, kernelSize: [3, 2], strides: 2, padding: 'same' })
    .apply(input) as tf.SymbolicTensor;
  const b = tf.layers
    .depthwiseConv2d({ name: 'b', kernelSize: 5, strides: 2, depthMultiplier: 2, padding: 'same' })
    .apply(input) as tf.SymbolicTensor;
  let x = tf.layers.concatenate({ name: 'cat' }).apply([a, b]) as tf.SymbolicTensor;
  const c = tf.layers
    .maxPooling2d({ name: 'pool', poolSize: 3, strides: 2, padding: 'same' })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.concatenate({ name: 'cat_rows', axis: 1 }).apply([c, c]) as tf.SymbolicTensor;
  x = tf.layers
    .zeroPadding2d({
      name: 'pad',
      padding: [
        [2, 0],
        [1, 3],
      ],
    })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .averagePooling2d({ name: 'avg', poolSize: [2, 3], strides: [1, 2], padding: 'valid' })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.reshape({ name: 'reshape', targetShape: [42, 5] }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'out', units: 3 }).apply(x) as tf.SymbolicTensor;
  return randomizeWeights(tf.model({ inputs: input, outputs: out }), 3);
}

describe('graph shapes from the ops alone', () => {
  before(useDefaultBackend);

  it('equal the shapes of a tfjs run for built-in, functional and ViT models', () => {
    const models: [string, tf.LayersModel][] = [
      ['vgg', tinyVgg()],
      ['resnet', tinyResNet()],
      ['odd', oddModel()],
      ['vit', buildVit({ inputShape: [28, 28, 1], numClasses: 10, seed: 0 })],
    ];
    for (const [name, model] of models) {
      const inputShape = model.inputs[0].shape.slice(1) as number[];
      const graph = graphFromModel(model);
      assert.deepEqual(graphShapes(graph, inputShape), executedShapes(graph, inputShape), name);
      disposeGraph(graph);
      model.dispose();
    }
  });

  it('equal the shapes of a tfjs run for models imported from PyTorch', async function () {
    this.timeout(120_000);
    for (const name of ['resnet18', 'mobilenet_v2', 'vgg_small', 'squeezenet', 'vit_small', 'tiny_cnn']) {
      const opened = await openAnyModel(path.join(fixture(name), 'model.onnx'));
      const graph = opened.graph();
      assert.deepEqual(
        graphShapes(graph, opened.summary.inputShape),
        executedShapes(graph, opened.summary.inputShape),
        name,
      );
      disposeGraph(graph);
      opened.dispose();
    }
  });
});
