/**
 * LRP through LayerNorm (AttnLRP, method.md §3): with σ frozen the map is linear in x (the mean stays part of it),
 * and the epsilon rule on that map gives R_x,m = (x_m/σ)·(w_m G_m − (1/D) Σ_k w_k G_k) with G = R_y / ŝ(y).
 * Declared over the Algebra, so tfjs and the ONNX graph share it.
 */
import type { Algebra } from '../graph/algebra';
import { divideStabilized } from './stabilizer';

export function layerNormRelevance<T>(A: Algebra<T>, x: T, y: T, r: T, gamma: T | undefined, epsilon: number): T {
  const centered = A.sub(x, A.mean(x, -1));
  const sigma = A.sqrt(A.add(A.mean(A.square(centered), -1), epsilon));
  const g = divideStabilized(A, r, y);
  const wg = gamma ? A.mul(g, gamma) : g;
  return A.mul(A.div(x, sigma), A.sub(wg, A.mean(wg, -1)));
}
