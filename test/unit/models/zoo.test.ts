import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { PxpError } from '../../../src/core/errors';
import { summarizeModel } from '../../../src/core/graph/summary';
import { buildArchitecture } from '../../../src/core/models/zoo';
import { useDefaultBackend } from '../../helpers/backend';

describe('model zoo', () => {
  before(useDefaultBackend);

  it('VGG-style for 28×28×1: readable stable names, ~110 k parameters, logits out', () => {
    const m = buildArchitecture('vgg', [28, 28, 1], 10);
    const s = summarizeModel(m);
    assert.deepEqual(
      m.layers.filter((l) => ['Conv2D', 'Dense'].includes(l.getClassName())).map((l) => l.name),
      [
        'block1_conv1',
        'block1_conv2',
        'block2_conv1',
        'block2_conv2',
        'block3_conv1',
        'block3_conv2',
        'fc1',
        'classifier',
      ],
    );
    // Weights by hand: convs (k·k·cin+1)·cout, BN 4 per channel (γ, β, moving mean, moving variance), dense.
    const convs = [
      [1, 16],
      [16, 16],
      [16, 32],
      [32, 32],
      [32, 64],
      [64, 64],
    ].reduce((a, [i, o]) => a + (9 * i + 1) * o + 4 * o, 0);
    assert.equal(s.params, convs + (3 * 3 * 64 + 1) * 64 + (64 + 1) * 10);
    assert.deepEqual(s.outputShape, [10]);
    assert.equal(m.layers[m.layers.length - 1].getConfig().activation, 'linear');
    m.dispose();
  });

  it('ResNet-style has identity and projection residual adds, for 28×28×1 and 32×32×3', () => {
    for (const shape of [
      [28, 28, 1],
      [32, 32, 3],
    ]) {
      const m = buildArchitecture('resnet', shape, 10);
      const adds = m.layers.filter((l) => l.getClassName() === 'Add');
      assert.equal(adds.length, 6);
      const inputsOf = (name: string) => summarizeModel(m).layers.find((l) => l.name === name)!.inputs;
      assert.deepEqual(inputsOf('s1b1_add'), ['s1b1_2_bn', 'stem_relu'], 'identity shortcut');
      assert.deepEqual(inputsOf('s2b1_add'), ['s2b1_2_bn', 's2b1_proj_bn'], 'projection shortcut');
      const y = m.predict(tf.zeros([2, ...shape])) as tf.Tensor;
      assert.deepEqual(y.shape, [2, 10]);
      y.dispose();
      m.dispose();
    }
  });

  it('the same seed builds the same weights; another seed does not', () => {
    const w = (seed: number) => {
      const m = buildArchitecture('vgg', [32, 32, 3], 10, seed);
      const v = Array.from(m.getLayer('block2_conv1').getWeights()[0].dataSync().slice(0, 20));
      m.dispose();
      return v;
    };
    assert.deepEqual(w(5), w(5));
    assert.notDeepEqual(w(5), w(6));
  });

  it('refuses non-image inputs and unknown architectures with a bad-input error', () => {
    assert.throws(
      () => buildArchitecture('vgg', [20], 3),
      (e: PxpError) => e.code === 'bad-input' && /needs image inputs/.test(e.message),
    );
    assert.throws(
      () => buildArchitecture('mobilenet', [28, 28, 1], 3),
      (e: PxpError) => e.code === 'bad-input' && /vgg, resnet/.test(e.hint!),
    );
  });
});
