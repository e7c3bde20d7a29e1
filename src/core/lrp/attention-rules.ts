/**
 * LRP through the attention core (method.md §3, after AttnLRP): the scores L = s·Q·Kᵀ and the context O = A·V are
 * products of two activations, A = softmax(L) per query row. A softmax rule is a declaration of how R_A reaches L
 * and which rule the A·V product uses; the products' rules are fixed (uniform: each factor half; epsilon: each
 * factor the full share, used by cp where nothing enters the softmax). Everything is per (sample, head). This is
 * the tfjs implementation; onnx-algebra.ts emits the same formulas (tested equal).
 */
import * as tf from '@tensorflow/tfjs';
import { attentionScale, attentionScores, mergeHeads, splitHeads } from '../graph/attention';
import type { SoftmaxRule } from './composites';
import { DEFAULT_STABILIZER, stabilize } from './stabilizer';

type Tensor = tf.Tensor;

interface SoftmaxRuleDecl {
  /** How the A·V product splits R_O: 'uniform' (G = R_O/ŝ(2O)) or 'epsilon' (G = R_O/ŝ(O), no halving). */
  product: 'uniform' | 'epsilon';
  /** R_L from one row per query: x = L, s = A = softmax(x), r = R_A; all [B, T, T] (B = samples × heads). */
  softmax(x: Tensor, s: Tensor, r: Tensor): Tensor;
}

/**
 * z-plus on the softmax's linearisation: z[n, j] = J_nj·x_n with J_nj = S_n(δ_nj − S_j); relevance R_j flows to the
 * positive contributions P = max(z, 0) in proportion. With vbias, max(S_j − Σ_n z_nj, 0) joins each denominator.
 */
function softmaxZPlus(vbias: boolean) {
  return (x: Tensor, s: Tensor, r: Tensor): Tensor =>
    tf.tidy(() => {
      const t = x.shape[2]!;
      const sN = s.expandDims(3); // [B, i, n, 1]
      const sJ = s.expandDims(2); // [B, i, 1, j]
      const z = tf.mul(tf.mul(sN, tf.sub(tf.eye(t), sJ)), x.expandDims(3)); // [B, i, n, j]
      const p = tf.relu(z);
      let denom = tf.sum(p, 2, true); // [B, i, 1, j]
      if (vbias) denom = tf.add(denom, tf.relu(tf.sub(sJ, tf.sum(z, 2, true))));
      const g = tf.div(r.expandDims(2), stabilize(denom, DEFAULT_STABILIZER));
      return tf.sum(tf.mul(p, g), 3);
    });
}

export const SOFTMAX_RULES: Record<SoftmaxRule, SoftmaxRuleDecl> = {
  // The softmax's Taylor expansion at x: R_x = x ⊙ (R_S − S·Σ R_S); not conservative (method.md §3).
  epsilon: { product: 'uniform', softmax: (x, s, r) => tf.tidy(() => tf.mul(x, tf.sub(r, tf.mul(s, tf.sum(r, -1, true))))) },
  'z-plus': { product: 'uniform', softmax: softmaxZPlus(false) },
  'z-plus-vbias': { product: 'uniform', softmax: softmaxZPlus(true) },
  // Conservative propagation: the attention weights are treated as constants, so Q and K get nothing.
  cp: { product: 'epsilon', softmax: (x) => tf.zerosLike(x) },
};

/** Uniform rule for s·Q·Kᵀ: G = R_L/ŝ(2L); each factor gets its half. (`epsilon` only varies in tests: ε → 0.) */
export function scoresProductRelevance(q: Tensor, k: Tensor, l: Tensor, rL: Tensor, scale: number, epsilon = DEFAULT_STABILIZER): { q: Tensor; k: Tensor } {
  return tf.tidy(() => {
    const g = tf.mul(tf.div(rL, stabilize(tf.mul(l, 2), epsilon)), scale);
    return { q: tf.mul(q, tf.matMul(g, k)), k: tf.mul(k, tf.matMul(g, q, true, false)) };
  });
}

/** A·V: R_A = A ⊙ (G·Vᵀ), R_V = V ⊙ (Aᵀ·G) with G = R_O/ŝ(2O) (uniform) or R_O/ŝ(O) (epsilon). */
export function contextProductRelevance(a: Tensor, v: Tensor, o: Tensor, rO: Tensor, rule: 'uniform' | 'epsilon', epsilon = DEFAULT_STABILIZER): { a: Tensor; v: Tensor } {
  return tf.tidy(() => {
    const g = tf.div(rO, stabilize(rule === 'uniform' ? tf.mul(o, 2) : o, epsilon));
    return { a: tf.mul(a, tf.matMul(g, v, false, true)), v: tf.mul(v, tf.matMul(a, g, true, false)) };
  });
}

export interface AttentionRelevance {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  /** Per sample and head: Σ_queries |Σ_keys R_A| ([N, heads]), the head's component relevance. */
  heads: Tensor;
}

/** Relevance of q, k, v ([N, T, H·d]) given R at the merged context O. */
export function attentionRelevance(q: Tensor, k: Tensor, v: Tensor, r: Tensor, heads: number, headDim: number, rule: SoftmaxRule): AttentionRelevance {
  return tf.tidy(() => {
    const decl = SOFTMAX_RULES[rule];
    const n = q.shape[0]!;
    const [qh, kh, vh, rh] = [q, k, v, r].map((t) => splitHeads(t, heads, headDim));
    const l = attentionScores(q, k, heads, headDim);
    const a = tf.softmax(l);
    const o = tf.matMul(a, vh);
    const av = contextProductRelevance(a, vh, o, rh, decl.product);
    const rL = decl.softmax(l, a, av.a);
    const qk = scoresProductRelevance(qh, kh, l, rL, attentionScale(headDim));
    const headRel = tf.sum(tf.abs(tf.sum(av.a, 2)), 1).reshape([n, heads]);
    return { q: mergeHeads(qk.q, heads), k: mergeHeads(qk.k, heads), v: mergeHeads(av.v, heads), heads: headRel };
  });
}
