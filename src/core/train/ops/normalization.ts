/**
 * Batch norm in training mode and LayerNorm share one normalization: x̂ = (x − mean) / √(variance + ε) with the
 * statistics over some axes, then ·γ + β. Batch norm also outputs its batch statistics for the moving averages.
 */
import type * as tf from '@tensorflow/tfjs';
import type { OpOf, StepContext, TrainOp } from '../step-context';

interface Affine {
  epsilon: number;
  gamma?: tf.Tensor1D;
  beta?: tf.Tensor1D;
}

interface Kept {
  xhat: string;
  invStd: string;
  /** γ, shaped to broadcast. */
  gamma?: string;
}

/** The forward over `axes`; γ and β are reshaped to `paramShape` to broadcast, when given. */
function normalize(s: StepContext, i: number, x: string, axes: number[], op: Affine, paramShape?: number[]) {
  const { b } = s;
  // ReduceMean takes its axes as an attribute in opset 17 (ReduceSum as an input).
  const mean = b.op('ReduceMean', [x], { axes, keepdims: 1 });
  const centered = b.op('Sub', [x, mean]);
  const variance = b.op('ReduceMean', [b.op('Mul', [centered, centered])], { axes, keepdims: 1 });
  const invStd = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [variance, s.scalar(op.epsilon)])])]);
  const xhat = b.op('Mul', [centered, invStd]);
  const shaped = (p: string) => (paramShape ? b.op('Reshape', [p, s.ints(paramShape)]) : p);
  const keep: Kept = { xhat, invStd };
  let y = xhat;
  if (op.gamma) {
    keep.gamma = shaped(s.param(i, 'gamma', op.gamma));
    y = b.op('Mul', [y, keep.gamma]);
  }
  if (op.beta) y = b.op('Add', [y, shaped(s.param(i, 'beta', op.beta))]);
  return { y, mean, variance, keep };
}

/** Its backward: γ and β summed over `paramAxes`; the input gradient (when wanted), with means over `axes`. */
function normalizeBackward(
  s: StepContext,
  i: number,
  op: Affine,
  g: string,
  keep: Kept,
  axes: number[],
  paramAxes: number[],
  needInput: boolean,
): string | undefined {
  const { b } = s;
  const mean = (t: string) => b.op('ReduceMean', [t], { axes, keepdims: 1 });
  if (op.gamma)
    s.paramGrad(i, 'gamma', b.op('ReduceSum', [b.op('Mul', [g, keep.xhat]), s.ints(paramAxes)], { keepdims: 0 }));
  if (op.beta) s.paramGrad(i, 'beta', b.op('ReduceSum', [g, s.ints(paramAxes)], { keepdims: 0 }));
  if (!needInput) return undefined;
  const dxhat = keep.gamma ? b.op('Mul', [g, keep.gamma]) : g;
  const inner = b.op('Sub', [
    b.op('Sub', [dxhat, mean(dxhat)]),
    b.op('Mul', [keep.xhat, mean(b.op('Mul', [dxhat, keep.xhat]))]),
  ]);
  return b.op('Mul', [inner, keep.invStd]);
}

/** Statistics over the batch (and positions, for feature maps), per channel. */
const batchAxes = (x: { shape: number[] }) => (x.shape.length === 4 ? [0, 2, 3] : [0]);

export const batchnorm: TrainOp<OpOf<'batchnorm'>, Kept> = {
  forward(s, { i, op, x }) {
    const c = x.shape[x.shape.length - 1];
    const { y, mean, variance, keep } = normalize(
      s,
      i,
      x.name,
      batchAxes(x),
      op,
      x.shape.length === 4 ? [1, c, 1, 1] : [1, c],
    );
    const meanOut = s.b.op('Reshape', [mean, s.ints([c])]);
    const varOut = s.b.op('Reshape', [variance, s.ints([c])]);
    s.b.output(meanOut, { dtype: 'float32', shape: [c] });
    s.b.output(varOut, { dtype: 'float32', shape: [c] });
    s.batchStats.push({ node: i, mean: meanOut, variance: varOut, channels: c });
    return { out: { name: y, shape: x.shape }, keep };
  },
  backward(s, { i, node, op, x, needInput }, g, keep) {
    const axes = batchAxes(x);
    const dx = normalizeBackward(s, i, op, g, keep, axes, axes, needInput);
    if (dx) s.addGrad(node.inputs[0], dx);
  },
};

/** Over the last axis, as tfjs; γ and β [D] broadcast as they are and sum over all leading axes. */
export const layernorm: TrainOp<OpOf<'layernorm'>, Kept> = {
  forward(s, { i, op, x }) {
    const { y, keep } = normalize(s, i, x.name, [-1], op);
    return { out: { name: y, shape: x.shape }, keep };
  },
  backward(s, { i, node, op, x, needInput }, g, keep) {
    const dx = normalizeBackward(
      s,
      i,
      op,
      g,
      keep,
      [-1],
      x.shape.slice(0, -1).map((_, k) => k),
      needInput,
    );
    if (dx) s.addGrad(node.inputs[0], dx);
  },
};
