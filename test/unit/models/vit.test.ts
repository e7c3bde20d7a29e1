import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PxpError } from '../../../src/core/errors';
import { forwardOutput } from '../../../src/core/graph/forward';
import { disposeGraph, graphFromModel } from '../../../src/core/graph/graph';
import { summarizeModel } from '../../../src/core/graph/summary';
import { loadModel, readModelFiles, saveModel } from '../../../src/core/io/model-files';
import { buildVit } from '../../../src/core/models/vit';
import { buildArchitecture } from '../../../src/core/models/zoo';
import { useDefaultBackend } from '../../helpers/backend';
import { randomInputs, tinyVit } from '../../helpers/models';

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('vision transformer', () => {
  before(useDefaultBackend);

  it('builds for 28×28×1 (16 tokens) and 32×32×3 (16 tokens), logits out', () => {
    for (const shape of [
      [28, 28, 1],
      [32, 32, 3],
    ] as [number, number, number][]) {
      const m = buildArchitecture('vit', shape, 10);
      const s = summarizeModel(m);
      const patchDim = shape[2] === 1 ? 49 : 192;
      // patch embedding, class token, 17 positions, 4 blocks of (2 LN, 4 projections, MLP 64→128→64), final LN, head
      const block = 2 * 128 + 4 * (64 * 64 + 64) + (64 * 128 + 128) + (128 * 64 + 64);
      assert.equal(s.params, patchDim * 64 + 64 + 64 + 17 * 64 + 4 * block + 128 + 65 * 10);
      assert.deepEqual(s.outputShape, [10]);
      m.dispose();
    }
  });

  it('heads that do not divide the width are an error at build time', () => {
    assert.throws(
      () => buildVit({ inputShape: [28, 28, 1], numClasses: 10, width: 30, heads: 4 }),
      (e: unknown) => e instanceof PxpError && /not divisible by 4 heads/.test(e.message),
    );
  });

  it('the engine graph computes what the model computes', () => {
    const m = tinyVit(3);
    const g = graphFromModel(m);
    const x = randomInputs([5, 4, 4, 1], 2);
    const a = m.predict(x) as tf.Tensor;
    const b = forwardOutput(g, x);
    assert.ok(maxDiff(a, b) < 1e-5);
    tf.dispose([a, b, x]);
    disposeGraph(g);
    m.dispose();
  });

  it('a saved ViT loads again with its custom layers and gives the same outputs', async () => {
    const m = tinyVit(4);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-vit-'));
    await saveModel(m, dir);
    const loaded = await loadModel(dir);
    const x = randomInputs([3, 4, 4, 1], 5);
    const a = m.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    assert.ok(maxDiff(a, b) < 1e-6);
    tf.dispose([a, b, x]);
    loaded.dispose();
    m.dispose();
    fs.rmSync(dir, { recursive: true });
  });

  it('an attention layer we do not recognise is refused with its name and what we support', async () => {
    const m = tinyVit(4);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-vit-'));
    await saveModel(m, dir);
    m.dispose();
    const file = path.join(dir, 'model.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"MultiHeadSelfAttention"', '"CrossAttention"'));
    assert.throws(
      () => readModelFiles(dir),
      (e: unknown) =>
        e instanceof PxpError &&
        /block1_attn/.test(e.message) &&
        /CrossAttention/.test(e.message) &&
        /MultiHeadSelfAttention/.test(e.hint ?? ''),
    );
    fs.rmSync(dir, { recursive: true });
  });
});
