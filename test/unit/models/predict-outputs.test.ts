import assert from 'node:assert/strict';
import type { PxpError } from '../../../src/core/errors';
import type { Graph } from '../../../src/core/graph/graph';
import { predictOutputs } from '../../../src/core/models/predict-outputs';
import { useDefaultBackend } from '../../helpers/backend';

/** Input → one activation: the smallest graph the executors compile. */
const activationGraph = (fn: string): Graph => ({
  nodes: [
    { name: 'x', className: 'Input', op: { type: 'input' }, inputs: [] },
    { name: fn, className: fn, op: { type: 'activation', fn }, inputs: [0] },
  ],
  output: 1,
});

/** Softmax over the last axis, by plain loops. */
function softmaxLastAxis(x: Float32Array, last: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length; r += last) {
    let max = -Infinity;
    for (let j = 0; j < last; j++) max = Math.max(max, x[r + j]);
    let sum = 0;
    for (let j = 0; j < last; j++) sum += Math.exp(x[r + j] - max);
    for (let j = 0; j < last; j++) out[r + j] = Math.exp(x[r + j] - max) / sum;
  }
  return out;
}

describe('predictOutputs', () => {
  before(useDefaultBackend);

  // [N, T, D] tokens and [N, H, W, C] maps (stored NCHW by the onnx executor): softmax is over the last engine axis.
  for (const shape of [
    [2, 3, 5],
    [2, 3, 4, 5],
  ]) {
    it(`softmax of a rank-${shape.length} value is over its last axis on both executors`, async () => {
      const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 1.7) * 3);
      const want = softmaxLastAxis(x, shape[shape.length - 1]);
      for (const executor of ['onnx', 'tfjs'] as const) {
        const got = await predictOutputs(activationGraph('softmax'), x, shape, { executor });
        assert.equal(got.executor, executor);
        assert.deepEqual(got.shape, shape);
        for (let i = 0; i < want.length; i++)
          assert.ok(Math.abs(got.data[i] - want[i]) < 1e-6, `${executor} [${i}]: ${got.data[i]} vs ${want[i]}`);
      }
    });
  }

  it('--executor onnx on a graph onnxruntime cannot take is a bad-input error naming why; auto falls back to tfjs', async () => {
    const x = Float32Array.from([-1, 0, 2, 3]);
    await assert.rejects(predictOutputs(activationGraph('swish'), x, [2, 2], { executor: 'onnx' }), (e: PxpError) => {
      assert.equal(e.code, 'bad-input');
      assert.match(e.message, /onnx executor cannot run this model: activation swish/);
      assert.match(e.hint ?? '', /--executor tfjs/);
      return true;
    });
    const auto = await predictOutputs(activationGraph('swish'), x, [2, 2], { executor: 'auto' });
    assert.equal(auto.executor, 'tfjs');
    assert.match(auto.executorNote ?? '', /activation swish/);
    assert.ok(Math.abs(auto.data[2] - 2 / (1 + Math.exp(-2))) < 1e-6);
  });
});
