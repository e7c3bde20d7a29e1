import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { summarizeModel } from '../../../src/core/graph/summary';
import { useDefaultBackend } from '../../helpers/backend';

describe('model summary (parameters, MACs, FLOPs)', () => {
  before(useDefaultBackend);

  it('counts parameters and MACs of conv, depthwise and dense layers by hand', () => {
    const input = tf.input({ shape: [10, 12, 3] });
    let x = tf.layers
      .conv2d({ name: 'c', filters: 4, kernelSize: [3, 5], strides: 2, padding: 'same' })
      .apply(input) as tf.SymbolicTensor;
    x = tf.layers
      .depthwiseConv2d({ name: 'dw', kernelSize: 3, depthMultiplier: 2, padding: 'valid' })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.flatten({ name: 'f' }).apply(x) as tf.SymbolicTensor;
    const out = tf.layers.dense({ name: 'd', units: 7 }).apply(x) as tf.SymbolicTensor;
    const s = summarizeModel(tf.model({ inputs: input, outputs: out }));
    const byName = Object.fromEntries(s.layers.map((l) => [l.name, l]));
    // conv: output 5×6×4 ('same', stride 2), each output sums 3·5·3 products.
    assert.deepEqual(byName.c.outputShape, [5, 6, 4]);
    assert.equal(byName.c.params, 3 * 5 * 3 * 4 + 4);
    assert.equal(byName.c.macs, 5 * 6 * 4 * (3 * 5 * 3));
    // depthwise 3×3 'valid' on 5×6×4, multiplier 2: output 3×4×8, 9 products each.
    assert.deepEqual(byName.dw.outputShape, [3, 4, 8]);
    assert.equal(byName.dw.params, 3 * 3 * 4 * 2 + 8);
    assert.equal(byName.dw.macs, 3 * 4 * 8 * 9);
    assert.equal(byName.d.params, 96 * 7 + 7);
    assert.equal(byName.d.macs, 96 * 7);
    assert.equal(s.macs, byName.c.macs + byName.dw.macs + byName.d.macs);
    assert.equal(s.flops, 2 * s.macs);
    assert.equal(s.params, byName.c.params + byName.dw.params + byName.d.params);
    assert.deepEqual(s.inputShape, [10, 12, 3]);
    assert.equal(s.numClasses, 7);
    assert.deepEqual(byName.dw.inputs, ['c']);
  });
});
