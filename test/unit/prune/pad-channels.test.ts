import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { forwardAll } from '../../../src/core/graph/forward';
import { disposeGraph, graphFromModel, type Graph } from '../../../src/core/graph/graph';
import { tfAlgebra } from '../../../src/core/graph/tf-algebra';
import { padChannels } from '../../../src/core/onnx/pad-channels';
import { loadOnnxRuntime } from '../../../src/core/onnx/runtime';
import { compileForward, nodeShapes } from '../../../src/core/prune/masked-eval';
import { useDefaultBackend } from '../../helpers/backend';
import { randomInputs, randomizeWeights } from '../../helpers/models';
import { requireOnnxRuntime } from '../../helpers/onnxruntime';

const conv = (name: string, filters: number) => tf.layers.conv2d({ name, filters, kernelSize: 3, padding: 'same' });

/** Channel counts a pruned model has: 5, 7, 3 (not multiples of 16); flatten → dense and a BN with γ and β. */
function prunedVgg(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 2] });
  let x = conv('c1', 5).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  x = conv('c2', 7).apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'sigmoid' }).apply(x) as tf.SymbolicTensor; // sigmoid(0) ≠ 0: padded channels are not 0
  x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = conv('c3', 3).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ name: 'fc', units: 6, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  return randomizeWeights(
    tf.model({ inputs: input, outputs: tf.layers.dense({ name: 'out', units: 3 }).apply(x) as tf.SymbolicTensor }),
    3,
  );
}

/** A conv read by two convs (padded), whose outputs meet in a residual add (left alone), then a global pool. */
function branching(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 3] });
  const a = tf.layers.reLU().apply(conv('a', 9).apply(input)) as tf.SymbolicTensor;
  const sum = tf.layers
    .add()
    .apply([
      conv('b1', 4).apply(a) as tf.SymbolicTensor,
      conv('b2', 4).apply(a) as tf.SymbolicTensor,
    ]) as tf.SymbolicTensor;
  const c = tf.layers.reLU().apply(conv('c', 11).apply(sum)) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(c) as tf.SymbolicTensor;
  return randomizeWeights(
    tf.model({ inputs: input, outputs: tf.layers.dense({ name: 'out', units: 2 }).apply(pooled) as tf.SymbolicTensor }),
    4,
  );
}

const channels = (g: Graph) =>
  Object.fromEntries(
    g.nodes.flatMap((n) => (n.op.type === 'conv2d' ? [[n.name, [n.op.kernel.shape[2], n.op.kernel.shape[3]]]] : [])),
  );

describe('channel padding for onnxruntime (pad-channels.ts)', () => {
  before(async function () {
    requireOnnxRuntime(this);
    await useDefaultBackend();
  });

  it('pads each conv to 16 channels and its readers with zeros; convs feeding an add keep their count', () => {
    for (const [build, shape, want] of [
      [prunedVgg, [8, 8, 2], { c1: [2, 16], c2: [16, 16], c3: [16, 16] }],
      [branching, [6, 6, 3], { a: [3, 16], b1: [16, 4], b2: [16, 4], c: [4, 16] }],
    ] as const) {
      const model = build();
      const g = graphFromModel(model);
      const padded = padChannels(g, () => nodeShapes(g, [...shape]));
      assert.deepEqual(channels(padded.graph), want);
      padded.dispose();
      disposeGraph(g);
      model.dispose();
    }
  });

  for (const [name, build, shape] of [
    ['sequential, flatten → dense', prunedVgg, [8, 8, 2]],
    ['branches, residual add, global pool', branching, [6, 6, 3]],
  ] as const) {
    it(`${name}: the padded graph on onnxruntime computes what tfjs computes`, async () => {
      const ort = loadOnnxRuntime().ort!;
      const model = build();
      const g = graphFromModel(model);
      const x = randomInputs([5, ...shape], 9, -1, 1);
      const session = await ort.InferenceSession.create(compileForward(g, [...shape], 5).bytes);
      const got = (await session.run({ x: new ort.Tensor('float32', x.dataSync() as Float32Array, [5, ...shape]) }))[
        session.outputNames[0]
      ].data as Float32Array;
      const want = tf.tidy(() => forwardAll(tfAlgebra, g, x)[g.output].dataSync());
      const diff = Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i])));
      assert.ok(diff < 1e-4, `onnx vs tfjs: ${diff}`);
      await session.release();
      x.dispose();
      disposeGraph(g);
      model.dispose();
    });
  }
});

describe('channel padding leaves the model output alone', () => {
  before(useDefaultBackend);

  it('a conv classifier whose pooled map is the output keeps its width (SqueezeNet)', () => {
    const input = tf.input({ shape: [6, 6, 3] });
    const c = tf.layers.reLU().apply(conv('cls', 10).apply(input)) as tf.SymbolicTensor;
    const model = randomizeWeights(
      tf.model({ inputs: input, outputs: tf.layers.globalAveragePooling2d({}).apply(c) as tf.SymbolicTensor }),
      5,
    );
    const graph = graphFromModel(model);
    const padded = padChannels(graph, () => nodeShapes(graph, [6, 6, 3]));
    assert.deepEqual(channels(padded.graph), { cls: [3, 10] });
    padded.dispose();
    disposeGraph(graph);
    model.dispose();
  });
});
