import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { attribute } from '../../../src/core/lrp/attribute';
import { PRESET_NAMES, parseComposite, presetComposite, type CompositeSpec } from '../../../src/core/lrp/composites';
import { compileExplanation, readoutNode } from '../../../src/core/lrp/onnx-explainer';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from '../../../src/core/io/onnx/onnx-file';
import { disposePlan, planExplanation } from '../../../src/core/lrp/explanation-plan';
import { PxpError } from '../../../src/core/errors';
import { useDefaultBackend } from '../../helpers/backend';
import { maxRelDiff } from '../../helpers/compare';
import { randomInputs, randomizeWeights, tinyResNet, tinyVgg } from '../../helpers/models';
import { requireOnnxRuntime } from '../../helpers/onnxruntime';

/** Every layer kind the ONNX compiler emits: branches, concat, padding, depthwise, pooling, several activations. */
function branchy(avgPadding: 'valid' | 'same' = 'valid'): tf.LayersModel {
  const input = tf.input({ shape: [9, 9, 3] });
  const a = tf.layers
    .conv2d({ name: 'a', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' })
    .apply(input) as tf.SymbolicTensor;
  const b = tf.layers
    .depthwiseConv2d({ name: 'b', kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' })
    .apply(input) as tf.SymbolicTensor;
  const bUp = tf.layers
    .zeroPadding2d({
      name: 'b_pad',
      padding: [
        [2, 2],
        [2, 2],
      ],
    })
    .apply(tf.layers.leakyReLU({ name: 'b_act', alpha: 0.1 }).apply(b) as tf.SymbolicTensor) as tf.SymbolicTensor;
  const aCut = tf.layers
    .conv2d({ name: 'a2', filters: 4, kernelSize: 2, strides: 1, padding: 'valid' })
    .apply(a) as tf.SymbolicTensor;
  let x = tf.layers
    .concatenate({ name: 'cat' })
    .apply([
      aCut,
      tf.layers.conv2d({ name: 'b2', filters: 3, kernelSize: 2, padding: 'valid' }).apply(bUp) as tf.SymbolicTensor,
    ]) as tf.SymbolicTensor;
  x = tf.layers.elu({ name: 'elu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ name: 'mp', poolSize: 3, strides: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .averagePooling2d({ name: 'avg', poolSize: 2, strides: 1, padding: avgPadding })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ name: 'fc', units: 6, activation: 'tanh' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'out', units: 3, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  return randomizeWeights(tf.model({ inputs: input, outputs: out }), 7);
}

const COMPOSITES: CompositeSpec[] = [
  ...PRESET_NAMES.map((n) => presetComposite(n)!),
  parseComposite(
    {
      default: { conv: { rule: 'gamma', gamma: 0.1 }, dense: { rule: 'epsilon', epsilon: 0.1 } },
      first: { rule: 'w-square' },
    },
    'json',
  ),
  parseComposite(
    {
      default: { conv: { rule: 'epsilon', epsilon: 0.01 }, dense: { rule: 'alpha-beta', alpha: 1.5, beta: 0.5 } },
      canonizers: [],
    },
    'json-no-canonizer',
  ),
];

describe('LRP compiled to ONNX (onnxruntime executor)', function () {
  before(async function () {
    requireOnnxRuntime(this);
    await useDefaultBackend();
  });

  for (const [name, build, shape] of [
    ['VGG-style', () => tinyVgg(5), [5, 8, 8, 2]],
    ['ResNet-style', () => tinyResNet(5), [5, 8, 8, 2]],
    ['branchy functional model', () => branchy(), [5, 9, 9, 3]],
  ] as const) {
    it(`${name}: equals the tfjs executor for every preset and JSON composites, with given and predicted targets`, async () => {
      const model = build();
      const x = randomInputs([...shape], 3).dataSync() as Float32Array;
      for (const composite of COMPOSITES) {
        for (const targets of [Int32Array.from([0, 1, 2, 1, 0]), undefined]) {
          for (const init of ['one-hot', 'logit'] as const) {
            const opts = { targets, init, batchSize: 3 };
            const onnx = await attribute(model, composite, x, [...shape], { ...opts, executor: 'onnx' });
            const tfjs = await attribute(model, composite, x, [...shape], { ...opts, executor: 'tfjs' });
            assert.equal(onnx.executor, 'onnx');
            const what = `${composite.name}, targets ${targets ? 'given' : 'predicted'}, ${init}`;
            assert.deepEqual(Array.from(onnx.targets), Array.from(tfjs.targets), what);
            assert.ok(
              maxRelDiff(onnx.input, tfjs.input) < 1e-4,
              `${what}: input relevance differs by ${maxRelDiff(onnx.input, tfjs.input)}`,
            );
            assert.ok(maxRelDiff(onnx.outputRelevance, tfjs.outputRelevance) < 1e-5, what);
            onnx.layers.forEach((l, i) => {
              const d = maxRelDiff(
                l.relevance.flatMap((r) => Array.from(r)),
                tfjs.layers[i].relevance.flatMap((r) => Array.from(r)),
              );
              assert.ok(d < 1e-4, `${what}, layer ${l.name}: ${d}`);
            });
          }
        }
      }
      model.dispose();
    });
  }

  it("encodes each weight once: w⁺, flipped kernels and Wᵀ are ops over the layer's own initializer", () => {
    const model = tinyResNet(5);
    const prepared = planExplanation(model, presetComposite('epsilon-plus')!);
    try {
      const params = model.getWeights().reduce((a, w) => a + w.size, 0);
      const { bytes } = compileExplanation(prepared, [8, 8, 2], 4, { predicted: true, init: 'one-hot' });
      const graph = fromBinary(ModelProtoSchema, bytes).graph!;
      const floats = graph.initializer
        .filter((t) => t.dataType === 1)
        .reduce((a, t) => a + t.rawData.byteLength / 4, 0);
      // The weights once (batch norms merged into the convs: fewer than the model's parameters), plus a few scalars.
      assert.ok(floats <= params + 64, `${floats} float constants for ${params} parameters`);
      const constants = new Set(graph.initializer.map((t) => t.name));
      assert.ok(
        graph.node.some((n) => n.opType === 'Relu' && constants.has(n.input[0])),
        'w⁺ as Relu(w)',
      );
      assert.ok(
        graph.node.some(
          (n) =>
            n.opType === 'Slice' &&
            graph.node.some(
              (t) => t.opType === 'Transpose' && t.output[0] === n.input[0] && !constants.has(t.output[0]),
            ),
        ),
        'a flipped kernel',
      );
    } finally {
      disposePlan(prepared);
    }
  });

  it("recomputes each residual sum for the backward pass instead of keeping the forward's alive", () => {
    const model = tinyResNet(5);
    const prepared = planExplanation(model, presetComposite('epsilon-plus-flat')!);
    try {
      const residualAdds = prepared.plan.graph.nodes.filter((n) => n.op.type === 'add').length;
      assert.ok(residualAdds > 0);
      const { bytes } = compileExplanation(prepared, [8, 8, 2], 4, { predicted: true, init: 'one-hot' });
      const nodes = fromBinary(ModelProtoSchema, bytes).graph!.node;
      const adds = nodes.filter((n) => n.opType === 'Add' && n.input.length === 2);
      const forward = adds.filter((a) =>
        adds.some((b) => b.input[0] === a.input[1] && b.input[1] === a.input[0] && nodes.indexOf(b) > nodes.indexOf(a)),
      );
      assert.equal(forward.length, residualAdds);
      // The forward sum is read by the forward pass only: its readers come before the recomputed sum.
      for (const a of forward) {
        const again = adds.find((b) => b.input[0] === a.input[1] && b.input[1] === a.input[0])!;
        const readers = nodes.filter((n) => n.input.includes(a.output[0]));
        assert.ok(
          readers.every((n) => nodes.indexOf(n) < nodes.indexOf(again)),
          `${a.output[0]} is read after the forward pass`,
        );
      }
    } finally {
      disposePlan(prepared);
    }
  });

  it('sums a conv channel at the following non-overlapping max pool (same addends), elsewhere at the layer', () => {
    const where = (model: tf.LayersModel) => {
      const prepared = planExplanation(model, presetComposite('epsilon-plus')!);
      const g = prepared.plan.graph;
      const out = Object.fromEntries(
        prepared.componentLayers.map((c) => [
          g.nodes[c.node].name,
          g.nodes[readoutNode(g, c.node, prepared.plan.explained)].name,
        ]),
      );
      disposePlan(prepared);
      model.dispose();
      return out;
    };
    // conv → (merged BN) → ReLU → 2×2/2 pool: read at the pool; conv → ReLU → conv and dense: at the layer.
    assert.deepEqual(where(tinyVgg(5)), {
      block1_conv1: 'block1_conv1',
      block1_conv2: 'block1_pool',
      block2_conv1: 'block2_conv1',
      block2_conv2: 'block2_pool',
      fc1: 'fc1',
    });
    // Overlapping windows (3×3, stride 2) add several outputs into one input: read at the layer.
    const input = tf.input({ shape: [7, 7, 1] });
    let x = tf.layers
      .conv2d({ name: 'c', filters: 2, kernelSize: 3, activation: 'relu' })
      .apply(input) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ name: 'mp', poolSize: 3, strides: 2 }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
    assert.deepEqual(
      where(tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2 }).apply(x) as tf.SymbolicTensor })),
      { c: 'c' },
    );
  });

  it('falls back to tfjs for an op it does not compile, and says why; --executor onnx refuses', async () => {
    const model = branchy('same');
    const x = randomInputs([2, 9, 9, 3], 3).dataSync() as Float32Array;
    const auto = await attribute(model, presetComposite('epsilon-plus')!, x, [2, 9, 9, 3]);
    assert.equal(auto.executor, 'tfjs');
    assert.match(auto.executorNote!, /average pooling with 'same' padding/);
    await assert.rejects(
      () => attribute(model, presetComposite('epsilon-plus')!, x, [2, 9, 9, 3], { executor: 'onnx' }),
      /same/,
    );
    model.dispose();
  });

  it('reports out-of-range targets as bad input', async () => {
    const model = tinyVgg(5);
    const x = randomInputs([2, 8, 8, 2], 3).dataSync() as Float32Array;
    await assert.rejects(
      () =>
        attribute(model, presetComposite('epsilon-plus')!, x, [2, 8, 8, 2], {
          targets: Int32Array.from([0, 3]),
          executor: 'onnx',
        }),
      (e: PxpError) => e.code === 'bad-input' && /target 3/.test(e.message),
    );
    model.dispose();
  });
});
