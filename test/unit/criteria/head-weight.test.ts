/**
 * The weight criterion for attention heads (method.md §5): the L1 norm of the head's own incoming weights, its columns
 * of the q, k and v kernels, not its rows of the output projection. The reference reads the layer's kernels from the
 * tfjs layer itself, with plain loops.
 */
import assert from 'node:assert/strict';
import { componentScores } from '../../../src/core/criteria/criteria';
import { disposeGraph, graphFromModel } from '../../../src/core/graph/graph';
import { catalogue, chooseComponents } from '../../../src/core/prune/catalogue';
import { useDefaultBackend } from '../../helpers/backend';
import { tinyVit } from '../../helpers/models';

describe('weight scores of attention heads', () => {
  before(useDefaultBackend);

  it('sum |w| over the head’s q, k and v columns only', async () => {
    const model = tinyVit(5);
    const attn = model.getLayer('block1_attn');
    const kernels = Object.fromEntries(
      attn.weights.map((w, i) => [w.originalName.split('/').pop()!, attn.getWeights()[i]]),
    );
    const heads = 2;
    const headDim = 2;
    const expected = new Array<number>(heads).fill(0);
    let outRows = 0;
    for (const name of ['q_kernel', 'k_kernel', 'v_kernel']) {
      const [rows, cols] = kernels[name].shape;
      const v = kernels[name].dataSync();
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) expected[Math.floor(c / headDim)] += Math.abs(v[r * cols + c]);
    }
    const out = kernels.out_kernel.dataSync();
    for (let i = 0; i < out.length; i++) outRows += Math.abs(out[i]);
    const graph = graphFromModel(model);
    try {
      const layers = chooseComponents(catalogue(graph), 'heads');
      const reference = {
        x: new Float32Array(16),
        y: new Int32Array(1),
        shape: [1, 4, 4, 1],
        numClasses: 3,
        source: 'none',
      };
      const r = await componentScores('weight', { graph, layers, reference });
      assert.equal(r.scores.length, 1);
      r.scores[0].forEach((s, h) =>
        assert.ok(Math.abs(s - expected[h]) < 1e-5 * expected[h], `head ${h}: ${s} vs ${expected[h]}`),
      );
      assert.ok(outRows > 0.1, 'the output projection has weight that the score leaves out');
    } finally {
      disposeGraph(graph);
      model.dispose();
    }
  });
});
