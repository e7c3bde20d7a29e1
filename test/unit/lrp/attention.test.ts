import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { graphFromModel, disposeGraph } from '../../../src/core/graph/graph';
import {
  attentionRelevance,
  contextProductRelevance,
  scoresProductRelevance,
} from '../../../src/core/lrp/attention-rules';
import { Explainer, attribute } from '../../../src/core/lrp/attribute';
import { type SoftmaxRule, parseComposite } from '../../../src/core/lrp/composites';
import { tfAlgebra } from '../../../src/core/graph/tf-algebra';
import { layerNormRelevance } from '../../../src/core/lrp/layer-norm-rule';
import { normShares } from '../../../src/core/lrp/rules';
import { mulberry32 } from '../../../src/core/random';
import { useDefaultBackend } from '../../helpers/backend';
import { randomInputs, tinyVit } from '../../helpers/models';
import { requireOnnxRuntime } from '../../helpers/onnxruntime';

/**
 * An independent reference for method.md §3, written as plain loops over one (sample, head) at a time. It shares
 * nothing with the engine but the formulas.
 */
const EPS = 1e-6;
const stab = (d: number) => d + (d >= 0 ? EPS : -EPS);
type M = number[][];
const zeros = (r: number, c: number): M => Array.from({ length: r }, () => new Array(c).fill(0));

function referenceHead(Q: M, K: M, V: M, RO: M, rule: SoftmaxRule) {
  const t = Q.length;
  const d = Q[0].length;
  const s = 1 / Math.sqrt(d);
  const L = zeros(t, t);
  for (let i = 0; i < t; i++) for (let j = 0; j < t; j++) for (let c = 0; c < d; c++) L[i][j] += s * Q[i][c] * K[j][c];
  const A = L.map((row) => {
    const m = Math.max(...row);
    const e = row.map((x) => Math.exp(x - m));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / z);
  });
  const O = zeros(t, d);
  for (let i = 0; i < t; i++) for (let c = 0; c < d; c++) for (let j = 0; j < t; j++) O[i][c] += A[i][j] * V[j][c];
  // A·V: uniform halves the share (denominator 2·O); cp uses the plain epsilon rule on the product.
  const G = O.map((row, i) => row.map((o, c) => RO[i][c] / stab(rule === 'cp' ? o : 2 * o)));
  const RA = zeros(t, t);
  const RV = zeros(t, d);
  for (let i = 0; i < t; i++)
    for (let j = 0; j < t; j++)
      for (let c = 0; c < d; c++) {
        RA[i][j] += A[i][j] * G[i][c] * V[j][c];
        RV[j][c] += V[j][c] * A[i][j] * G[i][c];
      }
  const RL = zeros(t, t);
  for (let i = 0; i < t; i++) {
    const x = L[i];
    const S = A[i];
    const R = RA[i];
    if (rule === 'epsilon') {
      const sum = R.reduce((a, b) => a + b, 0);
      for (let j = 0; j < t; j++) RL[i][j] = x[j] * (R[j] - S[j] * sum);
    } else if (rule === 'z-plus' || rule === 'z-plus-vbias') {
      for (let j = 0; j < t; j++) {
        let den = 0;
        let zsum = 0;
        const P: number[] = [];
        for (let n = 0; n < t; n++) {
          const z = S[n] * ((n === j ? 1 : 0) - S[j]) * x[n];
          zsum += z;
          P.push(Math.max(z, 0));
          den += Math.max(z, 0);
        }
        if (rule === 'z-plus-vbias') den += Math.max(S[j] - zsum, 0);
        for (let n = 0; n < t; n++) RL[i][n] += (P[n] * R[j]) / stab(den);
      }
    }
  }
  const RQ = zeros(t, d);
  const RK = zeros(t, d);
  for (let i = 0; i < t; i++)
    for (let j = 0; j < t; j++) {
      const g = RL[i][j] / stab(2 * L[i][j]);
      for (let c = 0; c < d; c++) {
        RQ[i][c] += Q[i][c] * s * g * K[j][c];
        RK[j][c] += K[j][c] * s * g * Q[i][c];
      }
    }
  const head = RA.reduce((acc, row) => acc + Math.abs(row.reduce((a, b) => a + b, 0)), 0);
  return { RQ, RK, RV, head };
}

const N = 2;
const T = 3;
const HEADS = 2;
const HEAD_DIM = 2;
const W = HEADS * HEAD_DIM;

function randomArray(rng: () => number, n: number, scale = 2): Float32Array {
  return Float32Array.from({ length: n }, () => (rng() - 0.5) * scale);
}

/** Slice of a [N, T, W] array for one sample and head, as a T×d matrix. */
const headOf = (a: Float32Array | number[], s: number, h: number): M =>
  Array.from({ length: T }, (_, i) =>
    Array.from({ length: HEAD_DIM }, (_, c) => a[(s * T + i) * W + h * HEAD_DIM + c]),
  );

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-4): void {
  assert.equal(actual.length, expected.length);
  const scale = Math.max(1e-3, ...Array.from(expected, Math.abs));
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * scale, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

const sum = (t: tf.Tensor) => tf.sum(t).dataSync()[0];

describe('attention LRP (method.md §3)', () => {
  before(async () => {
    await useDefaultBackend();
  });

  for (const rule of ['epsilon', 'z-plus', 'z-plus-vbias', 'cp'] as SoftmaxRule[]) {
    it(`softmax rule ${rule} matches a plain-loop reference on 3 tokens, width 4, 2 heads`, () => {
      const rng = mulberry32(7);
      const [q, k, v, r] = [0, 1, 2, 3].map(() => randomArray(rng, N * T * W, 3));
      const tensors = [q, k, v, r].map((a) => tf.tensor(a, [N, T, W]));
      const out = attentionRelevance(
        tfAlgebra,
        { heads: HEADS, headDim: HEAD_DIM },
        tensors[0],
        tensors[1],
        tensors[2],
        tensors[3],
        rule,
      );
      const got = { q: out.q.dataSync(), k: out.k.dataSync(), v: out.v.dataSync(), heads: out.heads.dataSync() };
      const want = {
        q: new Float64Array(N * T * W),
        k: new Float64Array(N * T * W),
        v: new Float64Array(N * T * W),
        heads: new Float64Array(N * HEADS),
      };
      for (let s = 0; s < N; s++)
        for (let h = 0; h < HEADS; h++) {
          const ref = referenceHead(headOf(q, s, h), headOf(k, s, h), headOf(v, s, h), headOf(r, s, h), rule);
          for (let i = 0; i < T; i++)
            for (let c = 0; c < HEAD_DIM; c++) {
              const at = (s * T + i) * W + h * HEAD_DIM + c;
              want.q[at] = ref.RQ[i][c];
              want.k[at] = ref.RK[i][c];
              want.v[at] = ref.RV[i][c];
            }
          want.heads[s * HEADS + h] = ref.head;
        }
      assertClose(got.q, want.q, 'R_Q');
      assertClose(got.k, want.k, 'R_K');
      assertClose(got.v, want.v, 'R_V');
      assertClose(got.heads, want.heads, 'head relevance');
      if (rule === 'cp')
        assert.ok(
          Array.from(got.q).every((x) => x === 0) && Array.from(got.k).every((x) => x === 0),
          'cp sends nothing into the softmax',
        );
      tf.dispose([...tensors, out.q, out.k, out.v, out.heads]);
    });
  }

  it('the uniform rule conserves relevance through Q·Kᵀ and A·V', () => {
    const rng = mulberry32(3);
    tf.tidy(() => {
      const [q, k, v] = [0, 1, 2].map(() => tf.tensor(randomArray(rng, 4 * T * HEAD_DIM), [4, T, HEAD_DIM]));
      const s = 1 / Math.sqrt(HEAD_DIM);
      const l = tf.mul(tf.matMul(q, k, false, true), s);
      const rL = tf.tensor(randomArray(rng, 4 * T * T), [4, T, T]);
      const qk = scoresProductRelevance(tfAlgebra, q, k, l, rL, s, 1e-12);
      const a = tf.softmax(l);
      const o = tf.matMul(a, v);
      const rO = tf.tensor(randomArray(rng, 4 * T * HEAD_DIM), [4, T, HEAD_DIM]);
      const av = contextProductRelevance(tfAlgebra, a, v, o, rO, 'uniform', 1e-12);
      const rel = (x: number, y: number) => Math.abs(x - y) / Math.max(1e-12, Math.abs(y));
      assert.ok(rel(sum(qk.q) + sum(qk.k), sum(rL)) <= 1e-5, `Q·Kᵀ: ${sum(qk.q) + sum(qk.k)} vs ${sum(rL)}`);
      assert.ok(rel(sum(av.a) + sum(av.v), sum(rO)) <= 1e-5, `A·V: ${sum(av.a) + sum(av.v)} vs ${sum(rO)}`);
      // Each factor gets half of every product's relevance.
      assert.ok(rel(sum(qk.q), sum(qk.k)) <= 1e-5);
    });
  });

  it('cp conserves relevance through the attention core: all of R_O reaches V', () => {
    const rng = mulberry32(5);
    tf.tidy(() => {
      const [q, k, v, r] = [0, 1, 2, 3].map(() => tf.tensor(randomArray(rng, N * T * W, 3), [N, T, W]));
      const out = attentionRelevance(tfAlgebra, { heads: HEADS, headDim: HEAD_DIM }, q, k, v, r, 'cp');
      const perSample = (t: tf.Tensor) => tf.sum(t, [1, 2]).dataSync();
      const got = perSample(out.v);
      const want = perSample(r);
      for (let s = 0; s < N; s++)
        assert.ok(Math.abs(got[s] - want[s]) <= 1e-5 * Math.abs(want[s]), `sample ${s}: ${got[s]} vs ${want[s]}`);
    });
  });

  it('conserves relevance through the positional add and LayerNorm (zero β)', () => {
    tf.tidy(() => {
      const rng = mulberry32(9);
      const x = tf.tensor(randomArray(rng, N * T * W, 4), [N, T, W]);
      const r = tf.tensor(randomArray(rng, N * T * W, 1), [N, T, W]);
      const gamma = tf.tensor(Float32Array.from({ length: W }, () => 0.5 + rng()));
      const { mean, variance } = tf.moments(x, -1, true);
      const y = tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-6))), gamma);
      const rx = layerNormRelevance(tfAlgebra, x, y, r, gamma, 1e-6);
      // Away from a zero sum, where ŝ's fixed ε = 1e-6 would show.
      const stream = tf.add(tf.abs(x), 0.5);
      const pos = tf.tensor(randomArray(rng, T * W, 1), [T, W]);
      const [rAdd, rPos] = normShares(tfAlgebra, [stream, pos], tf.add(stream, pos), r);
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
      assert.ok(rel(sum(rx), sum(r)) <= 1e-5, `LayerNorm: ${sum(rx)} vs ${sum(r)}`);
      assert.ok(rel(sum(rAdd) + sum(rPos), sum(r)) <= 1e-5, `add: ${sum(rAdd) + sum(rPos)} vs ${sum(r)}`);
    });
  });

  it('conserves relevance through a whole ViT with cp, zero biases and ε → 0 (input sums to the target)', () => {
    const model = tinyVit(11, true, 4);
    const composite = parseComposite(
      {
        default: { conv: { rule: 'epsilon', epsilon: 1e-9 }, dense: { rule: 'epsilon', epsilon: 1e-9 } },
        attention: { softmax: 'cp' },
      },
      'test',
    );
    const explainer = new Explainer(model, composite);
    const x = randomInputs([6, 4, 4, 1], 3);
    const before = tf.memory().numTensors;
    const b = explainer.explainBatch(x);
    assert.equal(tf.memory().numTensors, before, 'explaining a batch frees every tensor it made');
    const per = 16;
    for (let s = 0; s < 6; s++) {
      let total = 0;
      for (let i = 0; i < per; i++) total += b.input[s * per + i];
      // LayerNorm and the residual adds divide by the method's fixed ŝ (ε = 1e-6), not by an ε → 0, so entries
      // near zero leak ~1e-5 of the relevance; the ops alone conserve to 1e-5 (above).
      assert.ok(Math.abs(total - 1) <= 5e-5, `sample ${s}: input relevance sums to ${total}`);
    }
    explainer.dispose();
    x.dispose();
    model.dispose();
  });

  it('reports heads and first-MLP neurons as components, not the projections or the second MLP layer', async () => {
    const model = tinyVit(2);
    const composite = parseComposite(
      { layers: { 'block1_attn/q': { rule: 'z-plus' } }, attention: { softmax: 'z-plus-vbias' } },
      'test',
      ['block1_attn/q'],
    );
    const x = randomInputs([3, 4, 4, 1], 4);
    const r = await attribute(model, composite, x.dataSync() as Float32Array, x.shape, { executor: 'auto' });
    assert.deepEqual(
      r.layers.map((l) => [l.name, l.kind, l.relevance[0].length]),
      [
        ['block1_attn', 'head', 2],
        ['block1_mlp1', 'neuron', 6],
      ],
    );
    // Σ_tokens |R| and Σ_queries |Σ_keys R_A| are non-negative per sample.
    for (const l of r.layers) for (const row of l.relevance) assert.ok(row.every((v) => v >= 0));
    // The projections get their rules from the composite: the default dense rule, or their own name's.
    const rules = Object.fromEntries(r.layerRules.map((l) => [l.name, l.rule]));
    assert.equal(rules['block1_attn/q'], 'z-plus');
    assert.equal(rules['block1_attn/k'], 'epsilon(1e-6)');
    assert.equal(rules['block1_mlp2'], 'epsilon(1e-6)');
    const g = graphFromModel(model);
    assert.deepEqual(
      g.nodes.filter((n) => n.op.type === 'attention').map((n) => n.inputs.map((i) => g.nodes[i].name)),
      [['block1_attn/q', 'block1_attn/k', 'block1_attn/v']],
    );
    disposeGraph(g);
    x.dispose();
    model.dispose();
  });

  for (const rule of ['epsilon', 'z-plus', 'z-plus-vbias', 'cp'] as SoftmaxRule[]) {
    it(`onnxruntime and tfjs give the same ViT relevance (softmax ${rule})`, async function () {
      requireOnnxRuntime(this);
      const model = tinyVit(6);
      const composite = parseComposite(
        { default: { dense: { rule: 'z-plus' } }, first: { rule: 'flat' }, attention: { softmax: rule } },
        'test',
      );
      const x = randomInputs([4, 4, 4, 1], 7);
      const args = [model, composite, x.dataSync() as Float32Array, x.shape] as const;
      const onnx = await attribute(...args, { executor: 'onnx' });
      const tfjs = await attribute(...args, { executor: 'tfjs' });
      assert.equal(onnx.executor, 'onnx');
      assert.ok(
        Math.max(...Array.from(tfjs.input, Math.abs)) > 1e-3 &&
          tfjs.layers.every((l) => l.relevance.some((row) => row.some((v) => v > 1e-4))),
        'relevance reaches the input and every component layer',
      );
      assertClose(onnx.input, tfjs.input, 'input relevance', 1e-3);
      onnx.layers.forEach((l, i) =>
        l.relevance.forEach((row, s) => assertClose(row, tfjs.layers[i].relevance[s], `${l.name} sample ${s}`, 1e-3)),
      );
      x.dispose();
      model.dispose();
    });
  }
});
