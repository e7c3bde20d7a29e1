import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PxpError } from '../../../src/core/errors';
import { type Graph, disposeGraph } from '../../../src/core/graph/graph';
import { inputBounds, parsePreprocessing, preprocessImage } from '../../../src/core/io/preprocess';
import { attribute } from '../../../src/core/lrp/attribute';
import { parseComposite } from '../../../src/core/lrp/composites';
import { useDefaultBackend } from '../../helpers/backend';
import { tempDir } from '../../helpers/tmp';

describe('torchvision-style preprocessing', () => {
  before(useDefaultBackend);

  it('resizes the shorter side bilinearly with half-pixel centres', () => {
    // A 2×4 ramp, shorter side 2 → 4: rows map to y' = (y + 0.5)/2 − 0.5, clamped.
    const img = { data: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), height: 2, width: 4, channels: 1 };
    const out = preprocessImage(img, { name: 't', resize: 4 }, 1);
    assert.equal(out.height, 4);
    assert.equal(out.width, 8);
    // Row 0 samples y = −0.25 → 0 (clamped); column 1 samples x = 0.25 between 0 and 1.
    assert.ok(Math.abs(out.data[1] - 0.25) < 1e-6);
    // Row 2 samples y = 0.75: 0.25 of row 0 + 0.75 of row 1 at column 0 (x = −0.25 → 0): 0.75·4 = 3.
    assert.ok(Math.abs(out.data[2 * 8] - 3) < 1e-6);
  });

  it('centre-crops, repeats gray to RGB, and normalizes per channel', () => {
    const img = { data: Float32Array.from({ length: 16 }, (_, i) => i / 16), height: 4, width: 4, channels: 1 };
    const out = preprocessImage(img, { name: 't', crop: [2, 2], mean: [0.5, 0, 0.25], std: [0.5, 1, 0.25] }, 3);
    assert.deepEqual([out.height, out.width, out.channels], [2, 2, 3]);
    // The centre 2×2 of a 4×4 starts at (1, 1): pixel 5/16.
    const p = 5 / 16;
    assert.deepEqual(
      Array.from(out.data.subarray(0, 3)).map((v) => +v.toFixed(6)),
      [(p - 0.5) / 0.5, p, (p - 0.25) / 0.25].map((v) => +v.toFixed(6)),
    );
    assert.deepEqual(inputBounds({ name: 't', mean: [0.5, 0.25], std: [0.5, 0.25] }, 0, 1, 2), {
      low: [-1, -1],
      high: [1, 3],
    });
  });

  it('reads presets and JSON files, and names what is wrong in a bad one', () => {
    assert.deepEqual(parsePreprocessing('imagenet').crop, [224, 224]);
    const { dir, cleanup } = tempDir();
    const file = path.join(dir, 'p.json');
    fs.writeFileSync(file, JSON.stringify({ resize: 36, crop: 32, mean: [0.5], std: [0.25] }));
    assert.deepEqual(parsePreprocessing(file), { name: file, resize: 36, crop: [32, 32], mean: [0.5], std: [0.25] });
    fs.writeFileSync(file, JSON.stringify({ mean: [0.5], std: [0] }));
    assert.throws(
      () => parsePreprocessing(file),
      (e: PxpError) => e.code === 'bad-input' && /std: every std must be > 0/.test(e.message),
    );
    cleanup();
  });

  it('z-box on normalized inputs gives the relevance z-box gives in pixel space (normalization folded into the first conv)', async () => {
    // conv (valid) → relu → flatten → dense, on 2-channel 4×4 inputs; mean/std per channel.
    const mean = [0.3, 0.6];
    const std = [0.5, 0.2];
    const k = tf.randomNormal([2, 2, 2, 3], 0, 1, 'float32', 3);
    const b = tf.randomNormal([3], 0, 0.1, 'float32', 4);
    const w2 = tf.randomNormal([27, 4], 0, 0.3, 'float32', 5);
    const build = (kernel: tf.Tensor, bias: tf.Tensor, norm?: Graph['inputNormalization']): Graph => ({
      nodes: [
        { name: 'in', className: 'Input', op: { type: 'input' }, inputs: [] },
        {
          name: 'conv',
          className: 'Conv',
          op: {
            type: 'conv2d',
            kernel: kernel as tf.Tensor4D,
            bias: bias as tf.Tensor1D,
            strides: [1, 1],
            padding: 'valid',
            dilations: [1, 1],
          },
          inputs: [0],
        },
        { name: 'relu', className: 'Relu', op: { type: 'activation', fn: 'relu' }, inputs: [1] },
        { name: 'flat', className: 'Flatten', op: { type: 'flatten' }, inputs: [2] },
        { name: 'fc', className: 'Gemm', op: { type: 'dense', kernel: w2.clone() as tf.Tensor2D }, inputs: [3] },
      ],
      output: 4,
      ...(norm ? { inputNormalization: norm } : {}),
    });
    // Pixel-space model: w = w'/std_c, b = b' − Σ w'·mean_c/std_c.
    const s = tf.tensor1d(std).reshape([1, 1, 2, 1]);
    const m = tf.tensor1d(mean).reshape([1, 1, 2, 1]);
    const kPixel = tf.div(k, s);
    const bPixel = tf.sub(b, tf.sum(tf.mul(k, tf.div(m, s)), [0, 1, 2]));
    const pixels = tf.randomUniform([3, 4, 4, 2], 0, 1, 'float32', 6);
    const normalized = tf.div(tf.sub(pixels, tf.tensor1d(mean)), tf.tensor1d(std));
    const composite = parseComposite(
      {
        default: { conv: { rule: 'epsilon', epsilon: 1e-6 }, dense: { rule: 'epsilon', epsilon: 1e-6 } },
        first: { rule: 'z-box', low: 0, high: 1 },
      },
      'zbox',
    );
    const targets = Int32Array.from([0, 1, 2]);
    const gNorm = build(k.clone(), b.clone(), { mean, std });
    const gPixel = build(kPixel, bPixel);
    const a = await attribute(gNorm, composite, normalized.dataSync() as Float32Array, [3, 4, 4, 2], {
      targets,
      executor: 'tfjs',
    });
    const c = await attribute(gPixel, composite, pixels.dataSync() as Float32Array, [3, 4, 4, 2], {
      targets,
      executor: 'tfjs',
    });
    let d = 0;
    let mx = 0;
    for (let i = 0; i < a.input.length; i++) {
      d = Math.max(d, Math.abs(a.input[i] - c.input[i]));
      mx = Math.max(mx, Math.abs(c.input[i]));
    }
    assert.ok(d / mx < 1e-4, `${d / mx}`);
    assert.match(a.layerRules[0].rule, /on normalized inputs/);
    // The compiled graph (per-channel bounds as an expanded constant) agrees with tfjs.
    const o = await attribute(gNorm, composite, normalized.dataSync() as Float32Array, [3, 4, 4, 2], {
      targets,
      executor: 'onnx',
    });
    for (let i = 0; i < a.input.length; i++) assert.ok(Math.abs(o.input[i] - a.input[i]) <= 1e-4 * mx, `onnx ${i}`);
    disposeGraph(gNorm);
    disposeGraph(gPixel);
  });
});
