import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { convGeometry, transposeOutputPadding } from '../../../src/core/graph/conv-geometry';

type Case = {
  size: [number, number];
  k: [number, number];
  s: [number, number];
  d: [number, number];
  padding: 'same' | 'valid';
};

/** Sizes, kernels, strides and dilations around the edge cases: stride above the kernel, odd totals, no padding needed. */
function cases(): Case[] {
  const out: Case[] = [];
  for (const size of [
    [7, 9],
    [8, 8],
    [28, 5],
  ] as [number, number][])
    for (const k of [
      [1, 1],
      [2, 3],
      [3, 3],
      [5, 2],
    ] as [number, number][])
      for (const s of [
        [1, 1],
        [2, 3],
        [4, 4],
      ] as [number, number][])
        for (const d of [
          [1, 1],
          [2, 1],
        ] as [number, number][])
          for (const padding of ['same', 'valid'] as const) {
            // tfjs allows strides > 1 and dilations > 1 only apart; valid windows must fit the input.
            if (d[0] > 1 && (s[0] > 1 || s[1] > 1)) continue;
            if (padding === 'valid' && ((k[0] - 1) * d[0] + 1 > size[0] || (k[1] - 1) * d[1] + 1 > size[1])) continue;
            out.push({ size, k, s, d, padding });
          }
  return out;
}

describe('conv geometry', () => {
  it("pads and output sizes equal tfjs's computeConv2DInfo (TF 'same' and 'valid')", () => {
    for (const c of cases()) {
      const g = convGeometry({ strides: c.s, padding: c.padding, dilations: c.d }, [1, ...c.size, 2], c.k);
      const info = tf.backend_util.computeConv2DInfo([1, ...c.size, 2], [...c.k, 2, 3], c.s, c.d, c.padding);
      const label = JSON.stringify(c);
      assert.deepEqual([g.outH, g.outW], [info.outHeight, info.outWidth], label);
      assert.deepEqual(g.pads, [info.padInfo.top, info.padInfo.left, info.padInfo.bottom, info.padInfo.right], label);
    }
  });

  it('the transposed op with output_padding (within one stride) gives back the input size', () => {
    for (const c of cases()) {
      const g = convGeometry({ strides: c.s, padding: c.padding, dilations: c.d }, [1, ...c.size, 2], c.k);
      const [oh, ow] = transposeOutputPadding(g);
      // ONNX ConvTranspose: out = s·(in − 1) + output_padding + (k − 1)·d + 1 − pad_begin − pad_end.
      const rows = c.s[0] * (g.outH - 1) + oh + (c.k[0] - 1) * c.d[0] + 1 - g.pads[0] - g.pads[2];
      const cols = c.s[1] * (g.outW - 1) + ow + (c.k[1] - 1) * c.d[1] + 1 - g.pads[1] - g.pads[3];
      assert.deepEqual([rows, cols], c.size, JSON.stringify(c));
      assert.ok(
        oh >= 0 && oh < c.s[0] && ow >= 0 && ow < c.s[1],
        `output_padding ${[oh, ow]} for ${JSON.stringify(c)}`,
      );
    }
  });
});
