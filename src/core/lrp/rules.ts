/**
 * LRP rules for linear layers (dense, conv, depthwise) as declarations over one modified-gradient mechanism, after
 * zennit's BasicHook: each rule lists terms (how it modifies the layer's input, weights and bias), maps the upper
 * relevance R to one output gradient per term (R over the stabilized, modified outputs), and reduces the terms'
 * input gradients to the lower relevance. Formulas: method.md §2. Rules are written against an Algebra, so the same
 * declarations run on tfjs and compile to ONNX. Their names and parameters in composites: rule-table.ts.
 */
import type { Algebra, LinearOp } from '../graph/algebra';
import { divideStabilized } from './stabilizer';

type Modifier = <T>(A: Algebra<T>, t: T) => T;

export interface RuleTerm {
  input: Modifier;
  weight: Modifier;
  /** The modified bias, or null for none. */
  bias: Modifier | null;
  /** The term is the layer itself (nothing modified): its output is z, which the forward pass computed. */
  isLayer?: true;
  /** The term is exactly zero when the layer input has no negative entry (built on x⁻, no bias): it may be skipped. */
  vanishesForNonNegativeInput?: true;
}

export interface LinearRule {
  name: string;
  terms: RuleTerm[];
  /** One output gradient per term, from the upper relevance, the terms' outputs and the unmodified output z. */
  gradients<T>(A: Algebra<T>, r: T, outputs: T[], z: T): T[];
  /** Lower relevance from the terms' (modified) inputs and their input gradients. */
  reduce<T>(A: Algebra<T>, inputs: T[], grads: T[]): T;
}

const same: Modifier = (_A, t) => t;
const positive: Modifier = (A, t) => A.relu(t);
const negative: Modifier = (A, t) => A.minZero(t);
const ones: Modifier = (A, t) => A.fillLike(t, 1);
const fill =
  (value: number | number[]): Modifier =>
  (A, t) =>
    A.fillLike(t, value);
const squared: Modifier = (A, t) => A.square(t);
const plusGamma =
  (gamma: number, part: Modifier): Modifier =>
  (A, t) =>
    A.add(t, A.mul(part(A, t), gamma));
const layerItself: RuleTerm = { input: same, weight: same, bias: same, isLayer: true };
/** A term on x⁻ without bias: zero behind a ReLU, which halves the cost of z-plus, alpha-beta and gamma there. */
const onNegativeInput = (weight: Modifier): RuleTerm => ({
  input: negative,
  weight,
  bias: null,
  vanishesForNonNegativeInput: true,
});
/** R over the stabilized denominator: every rule divides through the one stabilizer. */
const over = divideStabilized;
const xTimesGrad = <T>(A: Algebra<T>, inputs: T[], grads: T[]) => A.addN(inputs.map((x, i) => A.mul(x, grads[i])));

export const epsilonRule = (epsilon: number): LinearRule => ({
  name: `epsilon(${epsilon})`,
  terms: [layerItself],
  gradients: (A, r, [out]) => [over(A, r, out, epsilon)],
  reduce: xTimesGrad,
});

export const zPlusRule = (): LinearRule => ({
  name: 'z-plus',
  terms: [{ input: positive, weight: positive, bias: positive }, onNegativeInput(negative)],
  gradients: (A, r, outs) => {
    const g = over(A, r, A.add(outs[0], outs[1]));
    return [g, g];
  },
  reduce: xTimesGrad,
});

export const alphaBetaRule = (alpha: number, beta: number): LinearRule => ({
  name: `alpha-beta(${alpha}, ${beta})`,
  terms: [
    { input: positive, weight: positive, bias: positive },
    onNegativeInput(negative),
    { input: positive, weight: negative, bias: negative },
    onNegativeInput(positive),
  ],
  gradients: (A, r, outs) => {
    const p = over(A, r, A.add(outs[0], outs[1]));
    const n = over(A, r, A.add(outs[2], outs[3]));
    return [p, p, n, n];
  },
  reduce: (A, inputs, grads) =>
    A.sub(
      A.mul(xTimesGrad(A, inputs.slice(0, 2), grads.slice(0, 2)), alpha),
      A.mul(xTimesGrad(A, inputs.slice(2), grads.slice(2)), beta),
    ),
});

/** Generalized gamma: z > 0 outputs take the positive-leaning terms, z < 0 the negative-leaning ones, z = 0 none. */
export const gammaRule = (gamma: number): LinearRule => ({
  name: `gamma(${gamma})`,
  terms: [
    { input: positive, weight: plusGamma(gamma, positive), bias: plusGamma(gamma, positive) },
    onNegativeInput(plusGamma(gamma, negative)),
    { input: positive, weight: plusGamma(gamma, negative), bias: plusGamma(gamma, negative) },
    onNegativeInput(plusGamma(gamma, positive)),
  ],
  gradients: (A, r, outs, z) => {
    const up = A.mul(A.positiveMask(z), over(A, r, A.add(outs[0], outs[1])));
    const down = A.mul(A.negativeMask(z), over(A, r, A.add(outs[2], outs[3])));
    return [up, up, down, down];
  },
  reduce: xTimesGrad,
});

/** Flat: inputs and weights replaced by ones, no bias: equal shares over the receptive field. */
export const flatRule = (): LinearRule => ({
  name: 'flat',
  terms: [{ input: ones, weight: ones, bias: null }],
  gradients: (A, r, [out]) => [over(A, r, out)],
  reduce: (_A, _inputs, [g]) => g,
});

export const wSquareRule = (): LinearRule => ({
  name: 'w-square',
  terms: [{ input: ones, weight: squared, bias: squared }],
  gradients: (A, r, [out]) => [over(A, r, out)],
  reduce: (_A, _inputs, [g]) => g,
});

/**
 * z-box for inputs bounded by [low, high]: the bounds' contributions are subtracted from x·w. Bounds may be given per
 * input channel (a normalized image: pixels in [0, 1] are [(0 − mean)/std, (1 − mean)/std] per channel).
 */
export const zBoxRule = (low: number | number[], high: number | number[]): LinearRule => ({
  name: `z-box(${low}, ${high})`,
  terms: [
    layerItself,
    { input: fill(low), weight: positive, bias: positive },
    { input: fill(high), weight: negative, bias: negative },
  ],
  gradients: (A, r, outs) => {
    const g = over(A, r, A.sub(A.sub(outs[0], outs[1]), outs[2]));
    return [g, g, g];
  },
  reduce: (A, inputs, grads) =>
    A.sub(A.sub(A.mul(inputs[0], grads[0]), A.mul(inputs[1], grads[1])), A.mul(inputs[2], grads[2])),
});

/**
 * The generic mechanism: for each term, run the layer on the modified input with the modified parameters, turn the
 * upper relevance into an output gradient, take the input gradient through the modified weights, and reduce.
 * When the input has no negative entry (behind a ReLU), the terms declared to vanish then are skipped.
 */
export function applyLinearRule<T>(A: Algebra<T>, rule: LinearRule, op: LinearOp, x: T, z: T, r: T): T {
  return A.scope(() => {
    const xNonNegative = rule.terms.some((t) => t.vanishesForNonNegativeInput) && A.isNonNegative(x);
    const skip = rule.terms.map((t) => xNonNegative && t.vanishesForNonNegativeInput === true);
    const kernel = A.weight(op.kernel);
    const bias = op.bias ? A.weight(op.bias) : undefined;
    const zero = skip.some(Boolean) ? A.fillLike(x, 0) : undefined;
    const inputs = rule.terms.map((t, i) => (skip[i] ? zero! : t.input(A, x)));
    const weights = rule.terms.map((t) => t.weight(A, kernel));
    // A skipped term's output is zero.
    const outputs = rule.terms.map((t, i) =>
      skip[i]
        ? A.fillLike(z, 0)
        : t.isLayer
          ? z
          : A.linearForward(op, inputs[i], weights[i], bias && t.bias ? t.bias(A, bias) : undefined),
    );
    const grads = rule
      .gradients(A, r, outputs, z)
      .map((g, i) => (skip[i] ? zero! : A.linearInputGradient(op, g, weights[i], x)));
    return rule.reduce(A, inputs, grads);
  });
}

/** Element-wise sums (residual adds) and average pooling: the epsilon rule on the op itself (zennit's Norm). */
export function normShares<T>(A: Algebra<T>, inputs: T[], out: T, r: T): T[] {
  const g = divideStabilized(A, r, out);
  return inputs.map((x) => A.mul(x, g));
}
