/**
 * LRP rules for linear layers (dense, conv, depthwise) as declarations over one modified-gradient mechanism, after
 * zennit's BasicHook: each rule lists terms (how it modifies the layer's input, weights and bias), maps the upper
 * relevance R to one output gradient per term (R over the stabilized, modified outputs), and reduces the terms'
 * input gradients to the lower relevance. Formulas: method.md §2.
 */
import * as tf from '@tensorflow/tfjs';
import type { Op } from '../graph/graph';
import { linearForward, linearInputGradient } from '../graph/ops';
import type { RuleSpec } from './composites';
import { divideStabilized, stabilize } from './stabilizer';

type LinearOp = Extract<Op, { type: 'dense' | 'conv2d' | 'depthwise' }>;
type Modifier = (t: tf.Tensor) => tf.Tensor;

export interface RuleTerm {
  input: Modifier;
  weight: Modifier;
  /** The modified bias, or null for none. */
  bias: Modifier | null;
}

export interface LinearRule {
  name: string;
  terms: RuleTerm[];
  /** One output gradient per term, from the upper relevance, the terms' outputs and the unmodified output z. */
  gradients(r: tf.Tensor, outputs: tf.Tensor[], z: tf.Tensor): tf.Tensor[];
  /** Lower relevance from the terms' (modified) inputs and their input gradients. */
  reduce(inputs: tf.Tensor[], grads: tf.Tensor[]): tf.Tensor;
}

const same: Modifier = (t) => t;
const positive: Modifier = (t) => tf.relu(t);
const negative: Modifier = (t) => tf.minimum(t, 0);
const ones: Modifier = (t) => tf.onesLike(t);
const plusGamma = (gamma: number, part: Modifier): Modifier => (t) => tf.add(t, tf.mul(gamma, part(t)));
const sum = (ts: tf.Tensor[]) => (ts.length === 1 ? ts[0] : tf.addN(ts));
const xTimesGrad = (inputs: tf.Tensor[], grads: tf.Tensor[]) => sum(inputs.map((x, i) => tf.mul(x, grads[i])));

export const epsilonRule = (epsilon: number): LinearRule => ({
  name: `epsilon(${epsilon})`,
  terms: [{ input: same, weight: same, bias: same }],
  gradients: (r, [out]) => [divideStabilized(r, out, epsilon)],
  reduce: xTimesGrad,
});

export const zPlusRule = (): LinearRule => ({
  name: 'z-plus',
  terms: [
    { input: positive, weight: positive, bias: positive },
    { input: negative, weight: negative, bias: null },
  ],
  gradients: (r, outs) => {
    const g = divideStabilized(r, tf.add(outs[0], outs[1]));
    return [g, g];
  },
  reduce: xTimesGrad,
});

export const alphaBetaRule = (alpha: number, beta: number): LinearRule => ({
  name: `alpha-beta(${alpha}, ${beta})`,
  terms: [
    { input: positive, weight: positive, bias: positive },
    { input: negative, weight: negative, bias: null },
    { input: positive, weight: negative, bias: negative },
    { input: negative, weight: positive, bias: null },
  ],
  gradients: (r, outs) => {
    const p = divideStabilized(r, tf.add(outs[0], outs[1]));
    const n = divideStabilized(r, tf.add(outs[2], outs[3]));
    return [p, p, n, n];
  },
  reduce: (inputs, grads) => tf.sub(tf.mul(alpha, xTimesGrad(inputs.slice(0, 2), grads.slice(0, 2))), tf.mul(beta, xTimesGrad(inputs.slice(2), grads.slice(2)))),
});

/** Generalized gamma: z > 0 outputs take the positive-leaning terms, z < 0 the negative-leaning ones, z = 0 none. */
export const gammaRule = (gamma: number): LinearRule => ({
  name: `gamma(${gamma})`,
  terms: [
    { input: positive, weight: plusGamma(gamma, positive), bias: plusGamma(gamma, positive) },
    { input: negative, weight: plusGamma(gamma, negative), bias: null },
    { input: positive, weight: plusGamma(gamma, negative), bias: plusGamma(gamma, negative) },
    { input: negative, weight: plusGamma(gamma, positive), bias: null },
  ],
  gradients: (r, outs, z) => {
    const up = tf.mul(tf.cast(tf.greater(z, 0), 'float32'), divideStabilized(r, tf.add(outs[0], outs[1])));
    const down = tf.mul(tf.cast(tf.less(z, 0), 'float32'), divideStabilized(r, tf.add(outs[2], outs[3])));
    return [up, up, down, down];
  },
  reduce: xTimesGrad,
});

/** Flat: inputs and weights replaced by ones, no bias: equal shares over the receptive field. */
export const flatRule = (): LinearRule => ({
  name: 'flat',
  terms: [{ input: ones, weight: ones, bias: null }],
  gradients: (r, [out]) => [divideStabilized(r, out)],
  reduce: (_inputs, [g]) => g,
});

export const wSquareRule = (): LinearRule => ({
  name: 'w-square',
  terms: [{ input: ones, weight: (w) => tf.square(w), bias: (b) => tf.square(b) }],
  gradients: (r, [out]) => [divideStabilized(r, out)],
  reduce: (_inputs, [g]) => g,
});

/** z-box for inputs bounded by [low, high]: the bounds' contributions are subtracted from x·w. */
export const zBoxRule = (low: number, high: number): LinearRule => ({
  name: `z-box(${low}, ${high})`,
  terms: [
    { input: same, weight: same, bias: same },
    { input: (x) => tf.fill(x.shape, low), weight: positive, bias: positive },
    { input: (x) => tf.fill(x.shape, high), weight: negative, bias: negative },
  ],
  gradients: (r, outs) => {
    const g = divideStabilized(r, tf.sub(tf.sub(outs[0], outs[1]), outs[2]));
    return [g, g, g];
  },
  reduce: (inputs, grads) => tf.sub(tf.sub(tf.mul(inputs[0], grads[0]), tf.mul(inputs[1], grads[1])), tf.mul(inputs[2], grads[2])),
});

export function ruleFromSpec(spec: RuleSpec): LinearRule {
  switch (spec.rule) {
    case 'epsilon':
      return epsilonRule(spec.epsilon);
    case 'z-plus':
      return zPlusRule();
    case 'alpha-beta':
      return alphaBetaRule(spec.alpha, spec.beta);
    case 'gamma':
      return gammaRule(spec.gamma);
    case 'flat':
      return flatRule();
    case 'w-square':
      return wSquareRule();
    case 'z-box':
      return zBoxRule(spec.low, spec.high);
    case 'pass':
      throw new Error('the pass rule keeps relevance unchanged and only fits element-wise layers');
  }
}

/**
 * The generic mechanism: for each term, run the layer on the modified input with the modified parameters, turn the
 * upper relevance into an output gradient, take the input gradient through the modified weights, and reduce.
 */
export function applyLinearRule(rule: LinearRule, op: LinearOp, x: tf.Tensor, z: tf.Tensor, r: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    // Behind a ReLU the input has no negative part: terms built on x⁻ (all without bias) are exactly zero, so
    // their convolutions are skipped. This halves the cost of z-plus, alpha-beta and gamma on most layers.
    const nonNegative = rule.terms.some((t) => t.input === negative) && tf.min(x).dataSync()[0] >= 0;
    const skip = rule.terms.map((t) => nonNegative && t.input === negative && t.bias === null);
    const inputs = rule.terms.map((t, i) => (skip[i] ? tf.zerosLike(x) : t.input(x)));
    const weights = rule.terms.map((t) => t.weight(op.kernel));
    // An unmodified term's output is z itself.
    const outputs = rule.terms.map((t, i) =>
      skip[i] ? tf.zerosLike(z) : t.input === same && t.weight === same && t.bias === same ? z : linearForward(op, inputs[i], weights[i], op.bias && t.bias ? t.bias(op.bias) : undefined),
    );
    const grads = rule.gradients(r, outputs, z).map((g, i) => (skip[i] ? inputs[i] : linearInputGradient(op, g, weights[i], x.shape)));
    return rule.reduce(inputs, grads);
  });
}

/** Element-wise sums (residual adds) and average pooling: the epsilon rule on the op itself (zennit's Norm). */
export function normShares(inputs: tf.Tensor[], out: tf.Tensor, r: tf.Tensor): tf.Tensor[] {
  return tf.tidy(() => {
    const g = divideStabilized(r, out);
    return inputs.map((x) => tf.mul(x, g));
  });
}

export { stabilize };
