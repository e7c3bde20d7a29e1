/**
 * LRP through the attention core (method.md §3, after AttnLRP): the scores L = s·Q·Kᵀ and the context O = A·V are
 * products of two activations, A = softmax(L) per query row. A softmax rule is a declaration of how R_A reaches L
 * and which rule the A·V product uses; the products' rules are fixed (uniform: each factor half; epsilon: each
 * factor the full share, used by cp where nothing enters the softmax). Everything is per (sample, head), on
 * [N, H, T, d] values. Declared once over the Algebra: tfjs runs it, the ONNX algebra compiles it.
 */
import type { Algebra, AttentionOp } from '../graph/algebra';
import { attentionScale } from '../graph/attention';
import type { SoftmaxRule } from './composites';
import { DEFAULT_STABILIZER, divideStabilized } from './stabilizer';

/** R_L from one row per query: x = L, s = A = softmax(x), r = R_A; all [N, H, T, T]. */
type SoftmaxRelevance = <T>(A: Algebra<T>, x: T, s: T, r: T) => T;

interface SoftmaxRuleDecl {
  /** How the A·V product splits R_O: 'uniform' (G = R_O/ŝ(2O)) or 'epsilon' (G = R_O/ŝ(O), no halving). */
  product: 'uniform' | 'epsilon';
  /** null: nothing enters the softmax, so Q and K get no relevance. */
  softmax: SoftmaxRelevance | null;
}

/**
 * z-plus on the softmax's linearisation: z[n, j] = J_nj·x_n with J_nj = S_n(δ_nj − S_j); relevance R_j flows to the
 * positive contributions P = max(z, 0) in proportion. With vbias, max(S_j − Σ_n z_nj, 0) joins each denominator.
 */
function softmaxZPlus(vbias: boolean): SoftmaxRelevance {
  return (A, x, s, r) => {
    const t = A.shape(x).at(-1)!;
    const sN = A.unsqueeze(s, -1); // [.., i, n, 1]
    const sJ = A.unsqueeze(s, -2); // [.., i, 1, j]
    const z = A.mul(A.mul(sN, A.sub(A.eye(t), sJ)), A.unsqueeze(x, -1)); // [.., i, n, j]
    const p = A.relu(z);
    let denom = A.sum(p, -2, true); // [.., i, 1, j]
    if (vbias) denom = A.add(denom, A.relu(A.sub(sJ, A.sum(z, -2, true))));
    return A.sum(A.mul(p, divideStabilized(A, A.unsqueeze(r, -2), denom)), -1);
  };
}

export const SOFTMAX_RULES: Record<SoftmaxRule, SoftmaxRuleDecl> = {
  // The softmax's Taylor expansion at x: R_x = x ⊙ (R_S − S·Σ R_S); not conservative (method.md §3).
  epsilon: { product: 'uniform', softmax: (A, x, s, r) => A.mul(x, A.sub(r, A.mul(s, A.sum(r, -1, true)))) },
  'z-plus': { product: 'uniform', softmax: softmaxZPlus(false) },
  'z-plus-vbias': { product: 'uniform', softmax: softmaxZPlus(true) },
  // Conservative propagation: the attention weights are treated as constants.
  cp: { product: 'epsilon', softmax: null },
};

/** Uniform rule for s·Q·Kᵀ: G = R_L/ŝ(2L); each factor gets its half. (`epsilon` only varies in tests: ε → 0.) */
export function scoresProductRelevance<T>(
  A: Algebra<T>,
  q: T,
  k: T,
  l: T,
  rL: T,
  scale: number,
  epsilon = DEFAULT_STABILIZER,
): { q: T; k: T } {
  const g = A.mul(divideStabilized(A, rL, A.mul(l, 2), epsilon), scale);
  return { q: A.mul(q, A.matMul(g, k)), k: A.mul(k, A.matMul(g, q, true, false)) };
}

/** A·V: R_A = A ⊙ (G·Vᵀ), R_V = V ⊙ (Aᵀ·G) with G = R_O/ŝ(2O) (uniform) or R_O/ŝ(O) (epsilon). */
export function contextProductRelevance<T>(
  A: Algebra<T>,
  a: T,
  v: T,
  o: T,
  rO: T,
  rule: 'uniform' | 'epsilon',
  epsilon = DEFAULT_STABILIZER,
): { a: T; v: T } {
  const g = divideStabilized(A, rO, rule === 'uniform' ? A.mul(o, 2) : o, epsilon);
  return { a: A.mul(a, A.matMul(g, v, false, true)), v: A.mul(v, A.matMul(a, g, true, false)) };
}

export interface AttentionRelevance<T> {
  q: T;
  k: T;
  v: T;
  /** Per sample and head: Σ_queries |Σ_keys R_A| ([N, heads]), the head's component relevance. */
  heads: T;
}

/** Relevance of q, k, v ([N, T, H·d]) given R at the merged context O. */
export function attentionRelevance<T>(
  A: Algebra<T>,
  op: Pick<AttentionOp, 'heads' | 'headDim'>,
  q: T,
  k: T,
  v: T,
  r: T,
  rule: SoftmaxRule,
): AttentionRelevance<T> {
  return A.scope(() => {
    const decl = SOFTMAX_RULES[rule];
    const [qh, kh, vh, rh] = [q, k, v, r].map((t) => A.splitHeads(t, op.heads, op.headDim));
    const scale = attentionScale(op.headDim);
    const l = A.mul(A.matMul(qh, kh, false, true), scale);
    const a = A.softmax(l);
    const av = contextProductRelevance(A, a, vh, A.matMul(a, vh), rh, decl.product);
    const heads = A.sum(A.abs(A.sum(av.a, -1)), -1);
    if (!decl.softmax) return { q: A.fillLike(q, 0), k: A.fillLike(k, 0), v: A.mergeHeads(av.v), heads };
    const qk = scoresProductRelevance(A, qh, kh, l, decl.softmax(A, l, a, av.a), scale);
    return { q: A.mergeHeads(qk.q), k: A.mergeHeads(qk.k), v: A.mergeHeads(av.v), heads };
  });
}
