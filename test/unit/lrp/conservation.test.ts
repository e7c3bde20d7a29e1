import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Explainer } from '../../../src/core/lrp/attribute';
import { RuleSpec, parseComposite } from '../../../src/core/lrp/composites';
import { useDefaultBackend } from '../../helpers/backend';
import { randomInputs, randomizeWeights, tinyResNet, tinyVgg } from '../../helpers/models';

/**
 * Conv → BN → LeakyReLU blocks (optionally with a residual add over a 1×1 stride-2 projection), mixed-sign inputs:
 * every unit is alive and sees inputs and weights of both signs, so no rule meets an all-zero denominator (where
 * relevance is legitimately dropped).
 */
function leakyNet(residual: boolean, seed: number): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3] });
  const block = (x: tf.SymbolicTensor, name: string, filters: number, strides: number, kernel = 3) => {
    let y = tf.layers
      .conv2d({ name: `${name}_conv`, filters, kernelSize: kernel, strides, padding: 'same' })
      .apply(x) as tf.SymbolicTensor;
    y = tf.layers.batchNormalization({ name: `${name}_bn` }).apply(y) as tf.SymbolicTensor;
    return y;
  };
  const leaky = (x: tf.SymbolicTensor, name: string) =>
    tf.layers.leakyReLU({ name, alpha: 0.3 }).apply(x) as tf.SymbolicTensor;
  // 16 channels into the 1×1 projection: an output whose 16 products all share one sign (no positive or no negative part, where α-β
  // legitimately stops conserving) has probability 2^-16.
  const a = leaky(block(input, 'c1', 16, 1), 'c1_act');
  let b = block(leaky(block(a, 'c2', 8, 2), 'c2_act'), 'c3', 8, 1);
  if (residual) b = tf.layers.add({ name: 'add' }).apply([b, block(a, 'proj', 8, 2, 1)]) as tf.SymbolicTensor;
  let x = tf.layers.maxPooling2d({ name: 'pool', poolSize: 2 }).apply(leaky(b, 'c3_act')) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  x = leaky(tf.layers.dense({ name: 'fc', units: 7 }).apply(x) as tf.SymbolicTensor, 'fc_act');
  const out = tf.layers.dense({ name: 'classifier', units: 3 }).apply(x) as tf.SymbolicTensor;
  // Large weights keep every denominator far above the rules' fixed stabilizer (1e-6), which otherwise eats ~ε/|z|.
  return randomizeWeights(tf.model({ inputs: input, outputs: out }), seed, { zeroBiases: true, weightScale: 4 });
}

/**
 * With zero biases and ε → 0 every conserving rule passes each sample's output relevance on unchanged: the input
 * relevance sums to it, and so does the relevance at every layer's output (method.md §2, "Conservation").
 */
const CONSERVING: [string, RuleSpec, RuleSpec?][] = [
  ['epsilon(1e-9)', { rule: 'epsilon', epsilon: 1e-9 }],
  ['z-plus', { rule: 'z-plus' }],
  ['alpha-beta(2, 1)', { rule: 'alpha-beta', alpha: 2, beta: 1 }],
  ['gamma(0.25)', { rule: 'gamma', gamma: 0.25 }],
  ['z-plus, flat first', { rule: 'z-plus' }, { rule: 'flat' }],
  ['z-plus, w-square first', { rule: 'z-plus' }, { rule: 'w-square' }],
  ['gamma, z-box first', { rule: 'gamma', gamma: 0.5 }, { rule: 'z-box', low: -1, high: 1 }],
];

function relErr(got: number, want: number): number {
  return Math.abs(got - want) / Math.abs(want);
}

describe('LRP conservation (zero biases, ε → 0)', () => {
  before(useDefaultBackend);

  // Sets of layers that every path from the output to the input crosses: each such cut carries all the relevance.
  const CUTS = {
    sequential: [['c1_conv'], ['c2_conv'], ['c3_conv'], ['fc']],
    residual: [['c1_conv'], ['c2_conv', 'proj_conv'], ['c3_conv', 'proj_conv'], ['fc']],
  };
  for (const [modelName, build] of [
    ['sequential', () => leakyNet(false, 3)],
    ['residual', () => leakyNet(true, 3)],
  ] as const) {
    for (const [ruleName, conv, first] of CONSERVING) {
      it(`${modelName}, conv ${ruleName}: input and every layer sum to the output relevance`, () => {
        const model = build();
        const composite = parseComposite(
          { default: { conv, dense: { rule: 'epsilon', epsilon: 1e-9 } }, ...(first ? { first } : {}) },
          'test',
        );
        const explainer = new Explainer(model, composite);
        const x = randomInputs([3, 8, 8, 3], 11, -1, 1);
        const b = explainer.explainBatch(x, new Int32Array([0, 1, 2]));
        const per = b.input.length / 3;
        for (let s = 0; s < 3; s++) {
          const want = b.outputRelevance[s];
          const inputSum = b.input.subarray(s * per, (s + 1) * per).reduce((a, v) => a + v, 0);
          for (const cut of CUTS[modelName]) {
            const cutSum = cut.reduce((acc, name) => {
              const l = explainer.componentLayers.findIndex((c) => c.name === name);
              return acc + b.components[l][s].reduce((a, v) => a + v, 0);
            }, 0);
            assert.ok(relErr(cutSum, want) < 1e-5, `sample ${s}, layers ${cut}: ${cutSum} vs ${want}`);
          }
          assert.ok(relErr(inputSum, want) < 1e-5, `sample ${s}: input sums to ${inputSum}, output ${want}`);
        }
        explainer.dispose();
        x.dispose();
        model.dispose();
      });
    }
  }

  it('biases absorb relevance: with biases the sums differ (the check above can fail)', () => {
    const model = tinyVgg(3, false);
    const explainer = new Explainer(
      model,
      parseComposite(
        { default: { conv: { rule: 'epsilon', epsilon: 1e-9 }, dense: { rule: 'epsilon', epsilon: 1e-9 } } },
        'test',
      ),
    );
    const x = randomInputs([1, 8, 8, 2], 11);
    const b = explainer.explainBatch(x, new Int32Array([0]));
    const inputSum = b.input.reduce((a, v) => a + v, 0);
    assert.ok(relErr(inputSum, 1) > 1e-3, `input sum ${inputSum}`);
    explainer.dispose();
  });
});

describe('LRP memory', () => {
  before(useDefaultBackend);

  it('keeps the tensor count flat over 1 000 batches', () => {
    const model = tinyResNet(4);
    const explainer = new Explainer(
      model,
      parseComposite(
        {
          default: { conv: { rule: 'gamma', gamma: 0.25 }, dense: { rule: 'epsilon', epsilon: 1e-6 } },
          first: { rule: 'flat' },
        },
        'test',
      ),
    );
    const x = randomInputs([2, 8, 8, 2], 1);
    explainer.explainBatch(x);
    const before = tf.memory();
    for (let i = 0; i < 1000; i++) explainer.explainBatch(x);
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors);
    assert.equal(after.numBytes, before.numBytes);
    explainer.dispose();
    x.dispose();
  });
});
