/**
 * The one stabilizer every rule divides by: s(d) = d + ε·sign(d) with sign(0) = +1, so a zero denominator becomes ε
 * and the sign of the others is kept (zennit's convention, method.md §2). Declared once over the Algebra: tfjs
 * computes it, the ONNX algebra emits it (and, on a d known to be ≥ 0, the select reduces to the constant +ε).
 */
import type { Algebra } from '../graph/algebra';

export const DEFAULT_STABILIZER = 1e-6;

export function stabilize<T>(A: Algebra<T>, d: T, epsilon = DEFAULT_STABILIZER): T {
  // sign(0) = +1: zero takes the +ε side.
  return A.add(d, A.whereNonNegative(d, epsilon, -epsilon));
}

/** R / s(d), the normalised relevance every x·∂-style rule multiplies back. */
export function divideStabilized<T>(A: Algebra<T>, r: T, d: T, epsilon = DEFAULT_STABILIZER): T {
  return A.div(r, stabilize(A, d, epsilon));
}
