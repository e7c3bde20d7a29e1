/** Multi-head self-attention in the training step (its q, k, v and output projections are dense nodes of their own). */
import type { OpOf, TrainOp } from '../step-context';

/** Per head on [N, H, T, d]; kept for the backward: Q, Kᵀ, V and the attention A. */
export const attention: TrainOp<OpOf<'attention'>, { q: string; kT: string; v: string; a: string }> = {
  forward(s, { node, op, x }) {
    // A = softmax(s·Q·Kᵀ), out = A·V, heads merged back to [N, T, H·d].
    const [n, t, inner] = x.shape;
    const split = (v: string, perm: number[]) =>
      s.b.op('Transpose', [s.b.op('Reshape', [v, s.ints([n, t, op.heads, op.headDim])])], { perm });
    const q = split(s.outs[node.inputs[0]].name, [0, 2, 1, 3]);
    const kT = split(s.outs[node.inputs[1]].name, [0, 2, 3, 1]);
    const v = split(s.outs[node.inputs[2]].name, [0, 2, 1, 3]);
    const a = s.b.op('Softmax', [s.b.op('Mul', [s.b.op('MatMul', [q, kT]), s.scalar(1 / Math.sqrt(op.headDim))])], {
      axis: -1,
    });
    const out = s.b.op('Reshape', [
      s.b.op('Transpose', [s.b.op('MatMul', [a, v])], { perm: [0, 2, 1, 3] }),
      s.ints([n, t, inner]),
    ]);
    return { out: { name: out, shape: [n, t, inner] }, keep: { q, kT, v, a } };
  },
  backward(s, { node, op, x }, g, keep) {
    const [n, t, inner] = x.shape;
    const scale = 1 / Math.sqrt(op.headDim);
    const swap = (m: string) => s.b.op('Transpose', [m], { perm: [0, 1, 3, 2] });
    const merge = (m: string) =>
      s.b.op('Reshape', [s.b.op('Transpose', [m], { perm: [0, 2, 1, 3] }), s.ints([n, t, inner])]);
    const dOut = s.b.op('Transpose', [s.b.op('Reshape', [g, s.ints([n, t, op.heads, op.headDim])])], {
      perm: [0, 2, 1, 3],
    });
    const dA = s.b.op('MatMul', [dOut, swap(keep.v)]);
    const dV = s.b.op('MatMul', [swap(keep.a), dOut]);
    // Softmax backward along the keys: dS = A ⊙ (dA − Σ_keys dA ⊙ A).
    const dS = s.b.op('Mul', [
      keep.a,
      s.b.op('Sub', [dA, s.b.op('ReduceSum', [s.b.op('Mul', [dA, keep.a]), s.ints([3])], { keepdims: 1 })]),
    ]);
    const dQ = s.b.op('Mul', [s.b.op('MatMul', [dS, swap(keep.kT)]), s.scalar(scale)]);
    const dK = s.b.op('Mul', [s.b.op('MatMul', [swap(dS), keep.q]), s.scalar(scale)]);
    s.addGrad(node.inputs[0], merge(dQ));
    s.addGrad(node.inputs[1], merge(dK));
    s.addGrad(node.inputs[2], merge(dV));
  },
};
