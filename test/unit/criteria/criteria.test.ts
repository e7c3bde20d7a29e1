/**
 * The baseline criteria of method.md §5, checked against independent hand computations: plain loops over small
 * fixed weights, derivatives written out by hand (ReLU'(z) = [z > 0]); nothing here uses tf.grad or the code under
 * test to make an expectation. t is the sample's label, z the component layer's output before its activation and
 * after its batch norm, Σ_HW the sum over positions:
 *   activation  Σ_s |Σ_HW z|        gradient  Σ_s |Σ_HW ∂y_t/∂z|        taylor  Σ_s |Σ_HW z·∂y_t/∂z|
 *   weight      L1 norm of the component's own weights              lrp  Σ_s |Σ_HW R(z)| (Σ_s Σ_HW R(z) signed)
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { componentScores, parseCriterion, type CriterionContext } from '../../../src/core/criteria/criteria';
import { PxpError } from '../../../src/core/errors';
import { disposeGraph, graphFromModel, type Graph } from '../../../src/core/graph/graph';
import type { Dataset } from '../../../src/core/io/datasets';
import { catalogue } from '../../../src/core/prune/catalogue';
import { useDefaultBackend } from '../../helpers/backend';

// ---------------------------------------------------------------------------------------------------------------
// Helpers

const REL = 1e-5;

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rel = REL): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const tol = rel * Math.max(Math.abs(want[i]), 1e-2);
    assert.ok(Math.abs(got[i] - want[i]) <= tol, `${what}[${i}]: got ${got[i]}, want ${want[i]} (tolerance ${tol})`);
  }
}

function dataset(rows: number[][], sampleShape: number[], labels: number[], numClasses: number): Dataset {
  return {
    x: Float32Array.from(rows.flat()),
    shape: [rows.length, ...sampleShape],
    y: Int32Array.from(labels),
    numClasses,
    source: 'hand-made',
  };
}

/** Rounds to float32, as the model stores the weights and inputs. */
const f32 = (v: number) => Math.fround(v);
const relu = (v: number) => Math.max(0, v);
const step = (v: number) => (v > 0 ? 1 : 0); // ReLU'(z), with ReLU'(0) = 0

/** A small deterministic generator of values in [-1, 1) with both signs (independent of src/core/random). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return f32(Math.round(((s / 2147483648) * 2 - 1) * 1000) / 1000);
  };
}

const contexts: Graph[] = [];
function context(model: tf.LayersModel, reference: Dataset, extra: Partial<CriterionContext> = {}): CriterionContext {
  const graph = graphFromModel(model);
  contexts.push(graph);
  return { graph, layers: catalogue(graph), reference, seed: 1, ...extra };
}

// ---------------------------------------------------------------------------------------------------------------
// Fixture 1: x(3) → dense(4, bias, ReLU) → dense(2, bias)

// W1[i][j]: input i → hidden j (the Keras kernel layout [in, out]).
const W1 = [
  [0.5, -0.3, 0.2, 0.8],
  [-0.4, 0.6, 0.1, -0.5],
  [0.3, 0.2, -0.7, 0.4],
];
const B1 = [0.1, -0.2, 0.05, 0];
// W2[j][k]: hidden j → class k.
const W2 = [
  [0.7, -0.2],
  [-0.5, 0.9],
  [0.4, 0.3],
  [-0.6, 0.5],
];
const B2 = [0.05, -0.1];
const DENSE_X = [
  [1, 0.5, -0.5],
  [-0.2, 1, 0.3],
  [0.6, -0.8, 0.9],
];
const DENSE_Y = [0, 1, 1];

function denseNet(softmax = false): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [3], units: 4, activation: 'relu', name: 'hidden' }));
  model.add(tf.layers.dense({ units: 2, name: 'classifier', activation: softmax ? 'softmax' : 'linear' }));
  model.layers[0].setWeights([tf.tensor2d(W1), tf.tensor1d(B1)]);
  model.layers[1].setWeights([tf.tensor2d(W2), tf.tensor1d(B2)]);
  return model;
}

/** z[s][j] = Σ_i x[s][i]·W1[i][j] + b1[j], from float32-rounded operands. */
function hiddenZ(xs: number[][]): number[][] {
  return xs.map((x) => B1.map((b, j) => f32(b) + x.reduce((acc, xi, i) => acc + f32(xi) * f32(W1[i][j]), 0)));
}

/** ∂y_t/∂z_j = W2[j][t]·ReLU'(z_j). */
const denseGrad = (z: number[], t: number) => z.map((zj, j) => f32(W2[j][t]) * step(zj));

function denseExpected(xs: number[][], ys: number[], kind: 'activation' | 'gradient' | 'taylor'): number[] {
  const out = [0, 0, 0, 0];
  hiddenZ(xs).forEach((z, s) => {
    const g = denseGrad(z, ys[s]);
    for (let j = 0; j < 4; j++)
      out[j] += Math.abs(kind === 'activation' ? z[j] : kind === 'gradient' ? g[j] : z[j] * g[j]);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Fixture 2: 4×4×1 → conv 2×2 'valid', 2 filters (bias, ReLU) → flatten → dense(2, bias)

const CONV_H = 4;
const OUT_H = 3; // 4 − 2 + 1
const convRng = lcg(7);
// K[kh][kw][c] (input channel 0); the Keras kernel is [kh, kw, in, out].
const CONV_K = [0, 1].map(() => [0, 1].map(() => [convRng(), convRng()]));
const CONV_B = [f32(0.1), f32(-0.15)];
// D[f][k]: flattened NHWC feature f = (h·3 + w)·2 + c → class k.
const CONV_D = Array.from({ length: OUT_H * OUT_H * 2 }, () => [convRng(), convRng()]);
const CONV_DB = [f32(0.02), f32(-0.03)];
const CONV_X = [0, 1, 2].map(() => Array.from({ length: CONV_H * CONV_H }, () => convRng()));
const CONV_Y = [1, 0, 1];

function convNet(): tf.LayersModel {
  const model = tf.sequential();
  model.add(
    tf.layers.conv2d({
      inputShape: [CONV_H, CONV_H, 1],
      filters: 2,
      kernelSize: 2,
      padding: 'valid',
      activation: 'relu',
      name: 'conv',
    }),
  );
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 2, name: 'classifier' }));
  model.layers[0].setWeights([
    tf.tensor4d(CONV_K.map((row) => row.map((k) => [k])) as number[][][][]),
    tf.tensor1d(CONV_B),
  ]);
  model.layers[2].setWeights([tf.tensor2d(CONV_D), tf.tensor1d(CONV_DB)]);
  return model;
}

/** z[h][w][c] of one sample (x row-major 4×4), by loops. */
function convZ(x: number[], kernel: number[][][], bias: number[]): number[][][] {
  const z: number[][][] = [];
  for (let h = 0; h < OUT_H; h++) {
    z.push([]);
    for (let w = 0; w < OUT_H; w++) {
      const cell: number[] = [];
      for (let c = 0; c < 2; c++) {
        let v = bias[c];
        for (let kh = 0; kh < 2; kh++)
          for (let kw = 0; kw < 2; kw++) v += x[(h + kh) * CONV_H + (w + kw)] * kernel[kh][kw][c];
        cell.push(v);
      }
      z[h].push(cell);
    }
  }
  return z;
}

/** Per channel Σ_s |Σ_HW ·| of z, ∂y_t/∂z or z·∂y_t/∂z, where ∂y_t/∂z[h][w][c] = D[(h·3+w)·2+c][t]·ReLU'(z). */
function convExpected(zs: number[][][][], ys: number[], kind: 'activation' | 'gradient' | 'taylor'): number[] {
  const out = [0, 0];
  zs.forEach((z, s) => {
    const perSample = [0, 0];
    for (let h = 0; h < OUT_H; h++) {
      for (let w = 0; w < OUT_H; w++) {
        for (let c = 0; c < 2; c++) {
          const g = CONV_D[(h * OUT_H + w) * 2 + c][ys[s]] * step(z[h][w][c]);
          perSample[c] += kind === 'activation' ? z[h][w][c] : kind === 'gradient' ? g : z[h][w][c] * g;
        }
      }
    }
    for (let c = 0; c < 2; c++) out[c] += Math.abs(perSample[c]);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Fixture 3: 4×4×1 → conv 2×2 'valid', 2 filters (bias) → BatchNormalization → ReLU → flatten → dense(2, bias)

const BN = {
  gamma: [f32(1.5), f32(-0.8)],
  beta: [f32(0.2), f32(-0.1)],
  mean: [f32(0.05), f32(-0.1)],
  variance: [f32(0.6), f32(1.7)],
  epsilon: 1e-3,
};

function convBnNet(): tf.LayersModel {
  const input = tf.input({ shape: [CONV_H, CONV_H, 1] });
  const conv = tf.layers.conv2d({ filters: 2, kernelSize: 2, padding: 'valid', name: 'conv' });
  const bn = tf.layers.batchNormalization({ name: 'bn', epsilon: BN.epsilon });
  const act = tf.layers.reLU({ name: 'relu' });
  const flat = tf.layers.flatten({ name: 'flat' });
  const dense = tf.layers.dense({ units: 2, name: 'classifier' });
  const output = dense.apply(flat.apply(act.apply(bn.apply(conv.apply(input))))) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  conv.setWeights([tf.tensor4d(CONV_K.map((row) => row.map((k) => [k])) as number[][][][]), tf.tensor1d(CONV_B)]);
  bn.setWeights([tf.tensor1d(BN.gamma), tf.tensor1d(BN.beta), tf.tensor1d(BN.mean), tf.tensor1d(BN.variance)]);
  dense.setWeights([tf.tensor2d(CONV_D), tf.tensor1d(CONV_DB)]);
  return model;
}

/** BN(conv(x)) by hand: γ·(v − μ)/√(σ² + ε) + β per channel. */
function convBnZ(x: number[]): number[][][] {
  return convZ(x, CONV_K, CONV_B).map((row) =>
    row.map((cell) =>
      cell.map((v, c) => (BN.gamma[c] * (v - BN.mean[c])) / Math.sqrt(BN.variance[c] + f32(BN.epsilon)) + BN.beta[c]),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------------

describe('criteria (method.md §5)', function () {
  this.timeout(60_000);

  before(async () => {
    await useDefaultBackend();
  });

  after(() => {
    for (const g of contexts.splice(0)) disposeGraph(g);
  });

  describe('dense net x(3) → dense(4) → ReLU → dense(2)', () => {
    const reference = dataset(DENSE_X, [3], DENSE_Y, 2);

    it('the fixture has a dead unit (z < 0) in some samples and a live one elsewhere, and no z = 0', () => {
      const z = hiddenZ(DENSE_X);
      for (const row of z) for (const v of row) assert.ok(Math.abs(v) > 1e-3, `z = ${v} too close to 0`);
      // Unit 1 is dead for sample 0 and alive for 1; unit 2 is dead for sample 2 and alive for 0.
      assert.ok(z[0][1] < 0 && z[1][1] > 0, `unit 1: ${z[0][1]}, ${z[1][1]}`);
      assert.ok(z[2][2] < 0 && z[0][2] > 0, `unit 2: ${z[2][2]}, ${z[0][2]}`);
    });

    it('the catalogue lists the hidden layer (4 neurons) with its mask on the dense output', () => {
      const model = denseNet();
      const { graph, layers } = context(model, reference);
      assert.equal(layers.length, 1);
      assert.equal(layers[0].size, 4);
      assert.equal(layers[0].kind, 'dense');
      assert.equal(graph.nodes[layers[0].node].name, 'hidden');
      assert.equal(layers[0].maskNode, layers[0].node);
      model.dispose();
    });

    for (const kind of ['activation', 'gradient', 'taylor'] as const) {
      it(`${kind}: Σ_samples |${kind === 'activation' ? 'z' : kind === 'gradient' ? "W2[j,t]·ReLU'(z_j)" : "z_j·W2[j,t]·ReLU'(z_j)"}|`, async () => {
        const model = denseNet();
        const r = await componentScores(kind, context(model, reference));
        assert.equal(r.criterion, kind);
        assert.equal(r.scores.length, 1);
        assertClose(r.scores[0], denseExpected(DENSE_X, DENSE_Y, kind), kind);
        model.dispose();
      });
    }

    it('gradient: worked values (unit 1 dead for samples 0 and 2, unit 2 dead for samples 1 and 2)', async () => {
      // z (rounded): s0 [0.25, −0.30, 0.65, 0.35], s1 [−0.31, 0.52, −0.10, −0.54], s2 [0.99, −0.68, −0.54, 1.24]
      // t = [0, 1, 1], so the terms |W2[j][t]|·[z_j > 0] are
      //   unit 0: 0.7 + 0 + 0.2 = 0.9      unit 1: 0 + 0.9 + 0 = 0.9
      //   unit 2: 0.4 + 0 + 0   = 0.4      unit 3: 0.6 + 0 + 0.5 = 1.1
      // (with ReLU'(z) = 1 everywhere they would be [1.1, 2.3, 1.0, 1.6]).
      const model = denseNet();
      const r = await componentScores('gradient', context(model, reference));
      assertClose(r.scores[0], [0.9, 0.9, 0.4, 1.1], 'gradient');
      model.dispose();
    });

    it("ReLU'(0) = 0: a sample with z_3 = 0 exactly adds nothing to unit 3's gradient score", async () => {
      // x = 0 gives z = b1, and b1[3] = 0; its target 1 would add |W2[3][1]| = 0.5 if ReLU'(0) were 1.
      const xs = [...DENSE_X, [0, 0, 0]];
      const ys = [...DENSE_Y, 1];
      const model = denseNet();
      const r = await componentScores('gradient', context(model, dataset(xs, [3], ys, 2)));
      assertClose(r.scores[0], denseExpected(xs, ys, 'gradient'), 'gradient with z = 0');
      assertClose([r.scores[0][3]], [denseExpected(DENSE_X, DENSE_Y, 'gradient')[3]], 'unit 3 unchanged');
      model.dispose();
    });

    it('batches do not change the sums (batchSize 2 and 1 equal one batch)', async () => {
      const model = denseNet();
      const want = denseExpected(DENSE_X, DENSE_Y, 'taylor');
      for (const batchSize of [1, 2]) {
        const r = await componentScores('taylor', context(model, reference, { batchSize }));
        assertClose(r.scores[0], want, `taylor, batch ${batchSize}`);
      }
      model.dispose();
    });

    it('a final softmax is skipped: gradient and taylor are taken on the target logit', async () => {
      const model = denseNet(true);
      for (const kind of ['gradient', 'taylor'] as const) {
        const r = await componentScores(kind, context(model, reference));
        assertClose(r.scores[0], denseExpected(DENSE_X, DENSE_Y, kind), `${kind} under softmax`);
      }
      model.dispose();
    });

    it('integrated-gradients: with one hidden ReLU layer the path gradient is constant for α > 0, so IG = taylor', async () => {
      // ∂y_t/∂z_j at α·z is W2[j,t]·[α·z_j > 0] = W2[j,t]·[z_j > 0] for every α in (0, 1]: the Riemann sum is exact.
      const model = denseNet();
      const r = await componentScores('integrated-gradients', context(model, reference));
      assertClose(r.scores[0], denseExpected(DENSE_X, DENSE_Y, 'taylor'), 'integrated-gradients');
      model.dispose();
    });

    it("weight: the L1 norm of each neuron's incoming weights (column j of W1)", async () => {
      const model = denseNet();
      const r = await componentScores('weight', context(model, reference));
      const want = [0, 1, 2, 3].map((j) => W1.reduce((acc, row) => acc + Math.abs(f32(row[j])), 0));
      assertClose(r.scores[0], want, 'weight');
      // Worked: [0.5+0.4+0.3, 0.3+0.6+0.2, 0.2+0.1+0.7, 0.8+0.5+0.4].
      assertClose(r.scores[0], [1.2, 1.1, 1.0, 1.7], 'weight (worked)');
      model.dispose();
    });

    describe('lrp:epsilon-plus (classifier: epsilon 1e-6)', () => {
      /**
       * R at the classifier's input a = ReLU(z): R_j = a_j·W2[j,t] / s(y_t), y_t = Σ_j a_j·W2[j,t] + b2[t],
       * s(y) = y + 1e-6·sign(y); the ReLU passes relevance unchanged, so R(z_j) = R_j.
       */
      function lrpRelevance(xs: number[][], ys: number[]): number[][] {
        return hiddenZ(xs).map((z, s) => {
          const t = ys[s];
          const a = z.map(relu);
          const y = a.reduce((acc, aj, j) => acc + aj * f32(W2[j][t]), f32(B2[t]));
          const sy = y + (y >= 0 ? 1e-6 : -1e-6);
          return a.map((aj, j) => (aj * f32(W2[j][t])) / sy);
        });
      }

      it('the fixture has relevance of both signs and |y_t| well above epsilon', () => {
        const r = lrpRelevance(DENSE_X, DENSE_Y).flat();
        assert.ok(r.some((v) => v > 1e-3) && r.some((v) => v < -1e-3), `R = ${r}`);
      });

      // 'auto' runs on onnxruntime where it is installed; 'tfjs' forces the tfjs relevance pass.
      for (const executor of ['auto', 'tfjs'] as const) {
        it(`abs (default): Σ_samples |R_j| (executor ${executor})`, async () => {
          const model = denseNet();
          const r = await componentScores('lrp:epsilon-plus', context(model, reference, { executor }));
          assert.equal(r.criterion, 'lrp:epsilon-plus');
          const want = [0, 1, 2, 3].map((j) =>
            lrpRelevance(DENSE_X, DENSE_Y).reduce((acc, row) => acc + Math.abs(row[j]), 0),
          );
          assertClose(r.scores[0], want, 'lrp abs');
          model.dispose();
        });

        it(`signed (absSort = false): Σ_samples R_j (executor ${executor})`, async () => {
          const model = denseNet();
          const r = await componentScores('lrp:epsilon-plus', context(model, reference, { absSort: false, executor }));
          const want = [0, 1, 2, 3].map((j) => lrpRelevance(DENSE_X, DENSE_Y).reduce((acc, row) => acc + row[j], 0));
          // The fixture must make abs and signed differ for some unit, else this test cannot tell them apart.
          const abs = [0, 1, 2, 3].map((j) =>
            lrpRelevance(DENSE_X, DENSE_Y).reduce((acc, row) => acc + Math.abs(row[j]), 0),
          );
          assert.ok(
            want.some((v, j) => Math.abs(v - abs[j]) > 1e-2),
            `signed ${want} vs abs ${abs}`,
          );
          assertClose(r.scores[0], want, 'lrp signed');
          model.dispose();
        });
      }
    });
  });

  describe('conv net 4×4×1 → conv 2×2 valid (2 filters) → ReLU → flatten → dense(2)', () => {
    const reference = dataset(CONV_X, [CONV_H, CONV_H, 1], CONV_Y, 2);
    const zs = CONV_X.map((x) => convZ(x, CONV_K, CONV_B));

    it('the fixture has positive and negative z in both channels', () => {
      for (let c = 0; c < 2; c++) {
        const vals = zs.flatMap((z) => z.flatMap((row) => row.map((cell) => cell[c])));
        assert.ok(vals.some((v) => v > 1e-3) && vals.some((v) => v < -1e-3), `channel ${c}: ${vals}`);
        assert.ok(
          vals.every((v) => Math.abs(v) > 1e-4),
          `channel ${c} has z near 0`,
        );
      }
    });

    for (const kind of ['activation', 'gradient', 'taylor'] as const) {
      it(`${kind}: per channel Σ_samples |Σ_HW …| by loops`, async () => {
        const model = convNet();
        const ctx = context(model, reference);
        assert.equal(ctx.layers.length, 1);
        assert.equal(ctx.layers[0].kind, 'conv');
        assert.equal(ctx.layers[0].size, 2);
        const r = await componentScores(kind, ctx);
        assertClose(r.scores[0], convExpected(zs, CONV_Y, kind), kind);
        model.dispose();
      });
    }

    it('weight: Σ|filter| over its 2×2×1 kernel', async () => {
      const model = convNet();
      const r = await componentScores('weight', context(model, reference));
      const want = [0, 1].map((c) => CONV_K.reduce((acc, row) => acc + row.reduce((a, k) => a + Math.abs(k[c]), 0), 0));
      assertClose(r.scores[0], want, 'weight');
      model.dispose();
    });
  });

  describe('conv → BatchNormalization → ReLU: z is after the batch norm', () => {
    const reference = dataset(CONV_X, [CONV_H, CONV_H, 1], CONV_Y, 2);
    const zs = CONV_X.map(convBnZ);

    it('the catalogue masks at the batch norm node and names the conv as the layer', () => {
      const model = convBnNet();
      const { graph, layers } = context(model, reference);
      assert.equal(layers.length, 1);
      assert.equal(graph.nodes[layers[0].node].op.type, 'conv2d');
      assert.equal(graph.nodes[layers[0].node].name, 'conv');
      assert.equal(graph.nodes[layers[0].maskNode].op.type, 'batchnorm');
      assert.equal(graph.nodes[layers[0].maskNode].name, 'bn');
      assert.equal(layers[0].size, 2);
      model.dispose();
    });

    it('the fixture tells pre- and post-BN z apart, and BN makes z of both signs', () => {
      const pre = convExpected(
        CONV_X.map((x) => convZ(x, CONV_K, CONV_B)),
        CONV_Y,
        'activation',
      );
      const post = convExpected(zs, CONV_Y, 'activation');
      assert.ok(
        pre.every((v, c) => Math.abs(v - post[c]) > 1e-2 * Math.abs(post[c])),
        `pre ${pre} post ${post}`,
      );
      for (let c = 0; c < 2; c++) {
        const vals = zs.flatMap((z) => z.flatMap((row) => row.map((cell) => cell[c])));
        assert.ok(vals.some((v) => v > 1e-3) && vals.some((v) => v < -1e-3), `channel ${c}: ${vals}`);
      }
    });

    for (const kind of ['activation', 'gradient', 'taylor'] as const) {
      it(`${kind}: on z = BN(conv(x)), gradient taken wrt the post-BN z`, async () => {
        const model = convBnNet();
        const r = await componentScores(kind, context(model, reference));
        assertClose(r.scores[0], convExpected(zs, CONV_Y, kind), kind);
        model.dispose();
      });
    }
    it("weight: the conv's own filter (the batch norm is not folded in)", async () => {
      const model = convBnNet();
      const r = await componentScores('weight', context(model, reference));
      const want = [0, 1].map((c) => CONV_K.reduce((acc, row) => acc + row.reduce((a, k) => a + Math.abs(k[c]), 0), 0));
      assertClose(r.scores[0], want, 'weight');
      model.dispose();
    });
  });

  describe('random', () => {
    const reference = dataset(DENSE_X, [3], DENSE_Y, 2);

    it('is seeded: same seed → same scores, another seed → different; values in [0, 1), one per component', async () => {
      const model = convBnNet();
      const conv = await componentScores(
        'random',
        context(model, dataset(CONV_X, [CONV_H, CONV_H, 1], CONV_Y, 2), { seed: 5 }),
      );
      assert.equal(conv.scores[0].length, 2);
      model.dispose();

      const dense = denseNet();
      const a = await componentScores('random', context(dense, reference, { seed: 42 }));
      const b = await componentScores('random', context(dense, reference, { seed: 42 }));
      const c = await componentScores('random', context(dense, reference, { seed: 43 }));
      assert.equal(a.scores.length, 1);
      assert.equal(a.scores[0].length, 4);
      assert.deepEqual(Array.from(a.scores[0]), Array.from(b.scores[0]));
      assert.notDeepEqual(Array.from(a.scores[0]), Array.from(c.scores[0]));
      for (const v of [...a.scores[0], ...c.scores[0], ...conv.scores[0]]) assert.ok(v >= 0 && v < 1, `score ${v}`);
      // Not all equal (a constant would be "seeded" too).
      assert.ok(new Set(a.scores[0]).size === 4, `scores ${a.scores[0]}`);
      dense.dispose();
    });
  });

  describe('parseCriterion', () => {
    it("'lrp' alone is lrp with epsilon-plus-flat", () => {
      assert.deepEqual(parseCriterion('lrp'), { kind: 'lrp', composite: 'epsilon-plus-flat' });
    });

    it("'lrp:NAME' keeps the composite name", () => {
      assert.deepEqual(parseCriterion('lrp:epsilon-gamma-box'), { kind: 'lrp', composite: 'epsilon-gamma-box' });
      assert.deepEqual(parseCriterion('lrp:my/composite.json'), { kind: 'lrp', composite: 'my/composite.json' });
    });

    it('the plain criteria parse to their kind', () => {
      for (const k of ['weight', 'activation', 'gradient', 'taylor', 'random'])
        assert.deepEqual(parseCriterion(k), { kind: k });
    });

    for (const bad of ['foo', 'lrp:', 'Weight', '', 'integrated-gradient']) {
      it(`'${bad}' is a bad-input PxpError that lists the criteria`, () => {
        assert.throws(
          () => parseCriterion(bad),
          (e: unknown) => {
            assert.ok(e instanceof PxpError, `not a PxpError: ${e}`);
            assert.equal(e.code, 'bad-input');
            assert.ok(e.message.includes(`'${bad}'`), e.message);
            const text = e.describe();
            for (const name of ['lrp:', 'weight', 'activation', 'gradient', 'taylor', 'random'])
              assert.ok(text.includes(name), `'${name}' missing from: ${text}`);
            return true;
          },
        );
      });
    }

    it('componentScores rejects an unknown criterion with the same error', async () => {
      const model = denseNet();
      await assert.rejects(
        componentScores('saliency', context(model, dataset(DENSE_X, [3], DENSE_Y, 2))),
        (e: unknown) => e instanceof PxpError && e.code === 'bad-input',
      );
      model.dispose();
    });
  });
});
