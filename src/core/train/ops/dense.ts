/** Dense layers in the training step, on rank 2 or rank 3 (tokens): MatMul broadcasts over the leading axes. */
import type { OpOf, TrainOp } from '../step-context';

export const dense: TrainOp<OpOf<'dense'>, { w: string }> = {
  forward(s, { i, op, x }) {
    const w = s.param(i, 'kernel', op.kernel);
    let z = s.b.op('MatMul', [x.name, w]);
    if (op.bias) z = s.b.op('Add', [z, s.param(i, 'bias', op.bias)]);
    return { out: { name: z, shape: [...x.shape.slice(0, -1), op.kernel.shape[1]] }, keep: { w } };
  },
  backward(s, { i, node, op, x, needInput }, g, { w }) {
    if (needInput) s.addGrad(node.inputs[0], s.b.op('MatMul', [g, s.b.op('Transpose', [w], { perm: [1, 0] })]));
    // Tokens: the leading axes flattened into rows, so dW = Σ_rows xᵀ·g is one GEMM.
    const [din, dout] = op.kernel.shape;
    const rows = (t: string, cols: number) => (x.shape.length > 2 ? s.b.op('Reshape', [t, s.ints([-1, cols])]) : t);
    const g2 = rows(g, dout);
    s.paramGrad(i, 'kernel', s.b.op('MatMul', [s.b.op('Transpose', [rows(x.name, din)], { perm: [1, 0] }), g2]));
    if (op.bias) s.paramGrad(i, 'bias', s.b.op('ReduceSum', [g2, s.ints([0])], { keepdims: 0 }));
  },
};
