import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { forwardAll } from '../../../src/core/graph/forward';
import { disposeGraph, graphFromModel } from '../../../src/core/graph/graph';
import { summarizeModel } from '../../../src/core/graph/summary';
import { tfAlgebra } from '../../../src/core/graph/tf-algebra';
import { buildVit } from '../../../src/core/models/vit';
import { catalogue, maskVector } from '../../../src/core/prune/catalogue';
import { compileForward, nodeShapes } from '../../../src/core/prune/masked-eval';
import { remainingCost } from '../../../src/core/prune/remaining-cost';
import { physicalPlan } from '../../../src/core/prune/physical-plan';
import { pruneModel } from '../../../src/core/prune/surgery';
import { mulberry32 } from '../../../src/core/random';
import { useDefaultBackend } from '../../helpers/backend';
import { randomInputs, randomizeWeights } from '../../helpers/models';
import { requireOnnxRuntime } from '../../helpers/onnxruntime';

/** Two blocks, 3 heads of 2, MLP 5, on 4×4×2 inputs: 4 patch tokens + the class token. */
const smallVit = (seed: number) =>
  randomizeWeights(
    buildVit({ inputShape: [4, 4, 2], numClasses: 3, patch: 2, width: 6, heads: 3, depth: 2, mlp: 5, seed }),
    seed,
  );

const masksOf = (layers: ReturnType<typeof catalogue>, removed: boolean[][]) =>
  new Map(layers.map((l, i) => [l.maskNode, tf.tensor(maskVector(l, removed[i]))]));

describe('ViT pruning (heads and MLP neurons)', () => {
  before(useDefaultBackend);

  it("catalogues each block's heads and first-MLP neurons only", () => {
    const g = graphFromModel(smallVit(1));
    assert.deepEqual(
      catalogue(g).map((l) => [l.name, l.kind, l.size, l.width]),
      [
        ['block1_attn', 'head', 3, 2],
        ['block1_mlp1', 'neuron', 5, 1],
        ['block2_attn', 'head', 3, 2],
        ['block2_mlp1', 'neuron', 5, 1],
      ],
    );
    disposeGraph(g);
  });

  it('a masked head is A[:, h] = 0: with every head masked the block adds only the output-projection bias', () => {
    const model = smallVit(2);
    const g = graphFromModel(model);
    const layers = catalogue(g);
    const removed = layers.map((l) => new Array<boolean>(l.size).fill(l.name === 'block1_attn'));
    const outNode = g.nodes.findIndex((n) => n.name === 'block1_attn/out');
    const bias = (g.nodes[outNode].op as { bias: tf.Tensor }).bias;
    tf.tidy(() => {
      const masks = masksOf(layers, removed);
      const out = forwardAll(tfAlgebra, g, randomInputs([3, 4, 4, 2], 1), masks)[outNode];
      const diff = tf.max(tf.abs(tf.sub(out, bias))).dataSync()[0];
      assert.ok(diff < 1e-6, `attention output differs from its bias by ${diff}`);
    });
    disposeGraph(g);
    model.dispose();
  });

  it('the pruned model equals the masked one, with the parameters predicted', async () => {
    const model = smallVit(3);
    const g = graphFromModel(model);
    const layers = catalogue(g);
    const shapes = nodeShapes(g, [4, 4, 2]);
    const rng = mulberry32(4);
    const x = randomInputs([6, 4, 4, 2], 6, -1, 1);
    for (const kinds of [['head'], ['neuron'], ['head', 'neuron']]) {
      // Score only the chosen kind (as --components does); the others keep everything.
      const chosen = layers.filter((l) => kinds.includes(l.kind));
      const scores = chosen.map((l) => Float64Array.from({ length: l.size }, () => rng()));
      const plan = physicalPlan(g, chosen, scores, 0.5);
      assert.ok(plan.removedCount > 0);
      const pruned = await pruneModel(model, g, shapes, chosen, plan.removed);
      const want = tf.tidy(() => forwardAll(tfAlgebra, g, x, masksOf(chosen, plan.removed))[g.output]);
      const got = pruned.predict(x) as tf.Tensor;
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]);
      assert.ok(diff <= 1e-4, `${kinds}: pruned vs masked differ by ${diff}`);
      const predicted = remainingCost(g, shapes, chosen, plan.removed);
      assert.equal(summarizeModel(pruned).params, predicted.params, `${kinds}: parameters`);
      assert.equal(summarizeModel(pruned).macs, predicted.macs, `${kinds}: multiply-accumulates`);
      if (kinds.includes('head')) {
        const heads = pruned.layers
          .filter((l) => l.getClassName() === 'MultiHeadSelfAttention')
          .map((l) => l.getConfig().heads as number);
        const removedHeads = plan.removed
          .filter((_, i) => chosen[i].kind === 'head')
          .map((r) => r.filter(Boolean).length);
        assert.deepEqual(
          heads,
          removedHeads.map((r) => 3 - r),
        );
      }
      tf.dispose([got, want]);
      pruned.dispose();
    }
    x.dispose();
    disposeGraph(g);
    model.dispose();
  });

  it('the forward compiled to ONNX (masks as inputs) computes what tfjs computes', async function () {
    const ort = requireOnnxRuntime(this);
    const model = smallVit(5);
    const g = graphFromModel(model);
    const layers = catalogue(g);
    const shapes = nodeShapes(g, [4, 4, 2]);
    const removed = layers.map((l, i) => Array.from({ length: l.size }, (_, j) => (i + j) % 3 === 0));
    const compiled = compileForward(
      g,
      [4, 4, 2],
      6,
      layers.map((l) => ({ node: l.maskNode, size: l.size * l.width, rank: shapes[l.maskNode].length + 1 })),
    );
    const session = await ort!.InferenceSession.create(compiled.bytes);
    const x = randomInputs([6, 4, 4, 2], 8, -1, 1);
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
      x: new ort!.Tensor('float32', x.dataSync() as Float32Array, [6, 4, 4, 2]),
    };
    layers.forEach(
      (l, i) => (feeds[`mask${i}`] = new ort!.Tensor('float32', maskVector(l, removed[i]), compiled.maskShapes[i])),
    );
    const got = (await session.run(feeds))[session.outputNames[0]].data as Float32Array;
    const want = tf.tidy(() => forwardAll(tfAlgebra, g, x, masksOf(layers, removed))[g.output].dataSync());
    const diff = Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i])));
    assert.ok(diff < 1e-4, `onnx vs tfjs: ${diff}`);
    await session.release();
    x.dispose();
    disposeGraph(g);
    model.dispose();
  });
});
