import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { Graph, Op } from '../../../src/core/graph/graph';
import { linearForward, linearInputGradient } from '../../../src/core/graph/ops';
import { predictOutputs } from '../../../src/core/models/predict-outputs';
import { useDefaultBackend } from '../../helpers/backend';

type ConvOp = Extract<Op, { type: 'conv2d' | 'depthwise' }>;

const seq = (n: number, f: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * f + 0.3));

/** NHWC conv (or depthwise, multiplier m: output c·m + j reads input c) with explicit pads, by plain loops. */
function convLoops(
  x: Float32Array,
  [n, h, w, c]: number[],
  k: Float32Array,
  [kh, kw, ki, ko]: number[],
  op: { strides: number[]; dilations: number[]; pads: number[][]; depthwise: boolean },
) {
  const [[pt, pb], [pl, pr]] = op.pads;
  const oh = Math.floor((h + pt + pb - ((kh - 1) * op.dilations[0] + 1)) / op.strides[0]) + 1;
  const ow = Math.floor((w + pl + pr - ((kw - 1) * op.dilations[1] + 1)) / op.strides[1]) + 1;
  const co = op.depthwise ? ki * ko : ko;
  const out = new Float32Array(n * oh * ow * co);
  for (let s = 0; s < n; s++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++)
        for (let o = 0; o < co; o++) {
          let sum = 0;
          for (let dy = 0; dy < kh; dy++)
            for (let dx = 0; dx < kw; dx++) {
              const iy = y * op.strides[0] + dy * op.dilations[0] - pt;
              const ix = xx * op.strides[1] + dx * op.dilations[1] - pl;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              if (op.depthwise)
                sum +=
                  x[((s * h + iy) * w + ix) * c + Math.floor(o / ko)] *
                  k[((dy * kw + dx) * ki + Math.floor(o / ko)) * ko + (o % ko)];
              else
                for (let i = 0; i < c; i++)
                  sum += x[((s * h + iy) * w + ix) * c + i] * k[((dy * kw + dx) * ki + i) * ko + o];
            }
          out[((s * oh + y) * ow + xx) * co + o] = sum;
        }
  return { data: out, shape: [n, oh, ow, co] };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(b, (v, i) => Math.abs(a[i] - v)).reduce((m, d) => Math.max(m, d), 0);

describe('convs with both a stride and a dilation (PyTorch and ONNX allow both; tfjs does not)', () => {
  before(useDefaultBackend);
  const xShape = [2, 11, 10, 3];
  const x = seq(
    xShape.reduce((a, b) => a * b, 1),
    0.7,
  );
  const pads: [[number, number], [number, number]] = [
    [1, 0],
    [2, 1],
  ];
  const cases = [
    { type: 'conv2d' as const, kShape: [3, 2, 3, 4] },
    { type: 'depthwise' as const, kShape: [3, 3, 3, 1] },
  ];

  for (const c of cases) {
    const kernelData = seq(
      c.kShape.reduce((a, b) => a * b, 1),
      1.3,
    );
    const op = (): ConvOp => ({
      type: c.type,
      kernel: tf.tensor4d(kernelData, c.kShape as [number, number, number, number]),
      strides: [2, 3],
      dilations: [2, 2],
      padding: pads,
    });
    const want = convLoops(x, xShape, kernelData, c.kShape, {
      strides: [2, 3],
      dilations: [2, 2],
      pads,
      depthwise: c.type === 'depthwise',
    });

    it(`${c.type}: the forward equals plain loops on tfjs and on onnxruntime`, async () => {
      const o = op();
      const z = linearForward(o, tf.tensor(x, xShape), o.kernel, undefined);
      assert.deepEqual(z.shape, want.shape);
      assert.ok(maxDiff(z.dataSync(), want.data) < 1e-5, `tfjs: ${maxDiff(z.dataSync(), want.data)}`);
      const graph: Graph = {
        nodes: [
          { name: 'x', className: 'Input', op: { type: 'input' }, inputs: [] },
          { name: 'conv', className: 'Conv', op: o, inputs: [0] },
        ],
        output: 1,
      };
      for (const executor of ['onnx', 'tfjs'] as const) {
        const got = await predictOutputs(graph, x, xShape, { executor });
        assert.equal(got.executor, executor);
        assert.deepEqual(got.shape, want.shape);
        assert.ok(maxDiff(got.data, want.data) < 1e-5, `${executor}: ${maxDiff(got.data, want.data)}`);
      }
    });

    it(`${c.type}: the input gradient is the forward's adjoint (⟨conv(x), g⟩ = ⟨x, convᵀ(g)⟩)`, () => {
      const o = op();
      const g = seq(want.data.length, 0.37);
      const dx = linearInputGradient(o, tf.tensor(g, want.shape), o.kernel, xShape).dataSync();
      let lhs = 0;
      let rhs = 0;
      for (let i = 0; i < g.length; i++) lhs += want.data[i] * g[i];
      for (let i = 0; i < x.length; i++) rhs += x[i] * dx[i];
      assert.ok(Math.abs(lhs - rhs) < 1e-3 * Math.max(1, Math.abs(lhs)), `${lhs} vs ${rhs}`);
    });
  }
});
