import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { forwardAll } from '../../../src/core/graph/forward';
import { graphFromModel } from '../../../src/core/graph/graph';
import { tfAlgebra } from '../../../src/core/graph/tf-algebra';
import { summarizeModel } from '../../../src/core/graph/summary';
import { catalogue } from '../../../src/core/prune/catalogue';
import { maskedEvaluator, nodeShapes } from '../../../src/core/prune/masked-eval';
import { remainingCost } from '../../../src/core/prune/remaining-cost';
import { useDefaultBackend } from '../../helpers/backend';
import { randomInputs, tinyResNet, tinyVgg } from '../../helpers/models';
import { requireOnnxRuntime } from '../../helpers/onnxruntime';

const noneRemoved = (sizes: number[]) => sizes.map((n) => new Array<boolean>(n).fill(false));

describe('component catalogue and masking', () => {
  before(useDefaultBackend);

  it('lists every conv/dense layer but the classifier, masking after the batch norm that follows a conv', () => {
    const g = graphFromModel(tinyVgg(2));
    const layers = catalogue(g);
    assert.deepEqual(
      layers.map((l) => [l.name, l.kind, l.size]),
      [
        ['block1_conv1', 'conv', 4],
        ['block1_conv2', 'conv', 4],
        ['block2_conv1', 'conv', 6],
        ['block2_conv2', 'conv', 6],
        ['fc1', 'dense', 5],
      ],
    );
    assert.equal(g.nodes[layers[0].maskNode].name, 'block1_bn1');
    assert.equal(g.nodes[layers[4].maskNode].name, 'fc1');
  });

  it('a masked component outputs exactly 0 and nothing else changes', () => {
    const g = graphFromModel(tinyResNet(3));
    const layers = catalogue(g);
    const x = randomInputs([2, 8, 8, 2], 4);
    const l = layers[1];
    const mask = Float32Array.from({ length: l.size }, (_, c) => (c === 2 ? 0 : 1));
    const plain = forwardAll(tfAlgebra, g, x);
    const masked = forwardAll(tfAlgebra, g, x, new Map([[l.maskNode, tf.tensor(mask)]]));
    const z = masked[l.maskNode].arraySync() as number[][][][];
    const zPlain = plain[l.maskNode].arraySync() as number[][][][];
    for (const sample of [0, 1]) {
      for (const row of z[sample]) for (const px of row) assert.ok(px[2] === 0, `masked channel reads ${px[2]}`);
      assert.deepEqual(
        z[sample].map((r) => r.map((p) => p[0])),
        zPlain[sample].map((r) => r.map((p) => p[0])),
      );
    }
    // Upstream of the mask nothing changes; downstream the output does.
    assert.deepEqual(masked[l.node].dataSync(), plain[l.node].dataSync());
    assert.notDeepEqual(Array.from(masked[g.output].dataSync()), Array.from(plain[g.output].dataSync()));
  });

  it('remaining parameters and MACs equal the model summary when nothing is removed (VGG, ResNet)', () => {
    for (const model of [tinyVgg(1), tinyResNet(1)]) {
      const g = graphFromModel(model);
      const layers = catalogue(g);
      const s = summarizeModel(model);
      const cost = remainingCost(g, nodeShapes(g, [8, 8, 2]), layers, noneRemoved(layers.map((l) => l.size)));
      assert.equal(cost.params, s.params);
      assert.equal(cost.macs, s.macs);
    }
  });

  it("removing a conv channel removes its filter, bias, BN entries and the next conv's input slice (by hand)", () => {
    const model = tinyVgg(1);
    const g = graphFromModel(model);
    const layers = catalogue(g);
    const shapes = nodeShapes(g, [8, 8, 2]);
    const removed = noneRemoved(layers.map((l) => l.size));
    removed[0][1] = true; // block1_conv1 channel 1: 3·3·2 weights + 1 bias + 4 BN; block1_conv2 reads 4→3 channels: −3·3·4
    const before = remainingCost(g, shapes, layers, noneRemoved(layers.map((l) => l.size)));
    const after = remainingCost(g, shapes, layers, removed);
    assert.equal(before.params - after.params, 3 * 3 * 2 + 1 + 4 + 3 * 3 * 4);
    // MACs: conv1 at 8×8 loses 3·3·2 per position; conv2 at 8×8 loses 3·3·4 per position.
    assert.equal(before.macs - after.macs, 64 * 18 + 64 * 36);
  });

  it('the onnxruntime and tfjs evaluators agree on masked accuracy', async function () {
    requireOnnxRuntime(this);
    const model = tinyResNet(6);
    const g = graphFromModel(model);
    const layers = catalogue(g);
    const n = 40;
    const x = randomInputs([n, 8, 8, 2], 9).dataSync() as Float32Array;
    const y = Int32Array.from({ length: n }, (_, i) => i % 3);
    const data = { x, shape: [n, 8, 8, 2], y, numClasses: 3, source: 'random' };
    const removed = layers.map((l) => Array.from({ length: l.size }, (_, c) => c % 2 === 0 && c < l.size - 1));
    const onnx = await maskedEvaluator(g, layers, data, { executor: 'onnx', batchSize: 16 });
    const tfjs = await maskedEvaluator(g, layers, data, { executor: 'tfjs', batchSize: 16 });
    assert.equal(onnx.executor, 'onnx');
    for (const r of [noneRemoved(layers.map((l) => l.size)), removed]) {
      assert.equal(await onnx.accuracy(r), await tfjs.accuracy(r));
    }
    await onnx.dispose();
  });
});
