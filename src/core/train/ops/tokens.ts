/** The ViT's token ops in the training step: patches, class token, position table (addweight), token take. */
import type { OpOf, TrainOp } from '../step-context';

/** Stored NCHW → [N, H/p, W/p, p, p, C] → tokens of p·p·C values, as the inference graphs do. */
export const patches: TrainOp<OpOf<'patches'>, undefined> = {
  forward(s, { op, x }) {
    const [n, h, w, c] = x.shape;
    const p = op.size;
    const moved = s.b.op('Transpose', [s.b.op('Reshape', [x.name, s.ints([n, c, h / p, p, w / p, p])])], {
      perm: [0, 2, 4, 3, 5, 1],
    });
    return {
      out: {
        name: s.b.op('Reshape', [moved, s.ints([n, (h / p) * (w / p), p * p * c])]),
        shape: [n, (h / p) * (w / p), p * p * c],
      },
      keep: undefined,
    };
  },
  backward(s, { node, op, x, needInput }, g) {
    if (!needInput) return;
    const [n, h, w, c] = x.shape;
    const p = op.size;
    const six = s.b.op('Reshape', [g, s.ints([n, h / p, w / p, p, p, c])]);
    s.addGrad(
      node.inputs[0],
      s.b.op('Reshape', [s.b.op('Transpose', [six], { perm: [0, 5, 1, 3, 2, 4] }), s.ints([n, c, h, w])]),
    );
  },
};

/** A learned token put before the others. */
export const classtoken: TrainOp<OpOf<'classtoken'>, undefined> = {
  forward(s, { i, op, x }) {
    const [n, t, d] = x.shape;
    const token = s.b.op('Expand', [
      s.b.op('Reshape', [s.param(i, 'token', op.token), s.ints([1, 1, d])]),
      s.ints([n, 1, d]),
    ]);
    return { out: { name: s.b.op('Concat', [token, x.name], { axis: 1 }), shape: [n, t + 1, d] }, keep: undefined };
  },
  backward(s, { i, node, x, needInput }, g) {
    const t = x.shape[1];
    s.paramGrad(
      i,
      'token',
      s.b.op('ReduceSum', [s.b.op('Slice', [g, s.ints([0]), s.ints([1]), s.ints([1])]), s.ints([0, 1])], {
        keepdims: 0,
      }),
    );
    if (needInput) s.addGrad(node.inputs[0], s.b.op('Slice', [g, s.ints([1]), s.ints([t + 1]), s.ints([1])]));
  },
};

/** A learned table added to every sample (the position embedding). */
export const addweight: TrainOp<OpOf<'addweight'>, undefined> = {
  forward(s, { i, op, x }) {
    return { out: { name: s.b.op('Add', [x.name, s.param(i, 'weight', op.weight)]), shape: x.shape }, keep: undefined };
  },
  backward(s, { i, node, needInput }, g) {
    s.paramGrad(i, 'weight', s.b.op('ReduceSum', [g, s.ints([0])], { keepdims: 0 }));
    if (needInput) s.addGrad(node.inputs[0], g);
  },
};

/** One token's vector (the class token); the gradient is that token's, zeros for the others. */
export const taketoken: TrainOp<OpOf<'taketoken'>, undefined> = {
  forward(s, { op, x }) {
    const [n, , d] = x.shape;
    return {
      out: {
        name: s.b.op('Reshape', [s.b.op('Gather', [x.name, s.ints([op.index])], { axis: 1 }), s.ints([n, d])]),
        shape: [n, d],
      },
      keep: undefined,
    };
  },
  backward(s, { node, op, x, needInput }, g) {
    const [n, t, d] = x.shape;
    if (needInput)
      s.addGrad(
        node.inputs[0],
        s.b.op('Pad', [s.b.op('Reshape', [g, s.ints([n, 1, d])]), s.ints([0, op.index, 0, 0, t - 1 - op.index, 0])]),
      );
  },
};
