/** Elementwise ops in the training step: activations (ReLU, exact GELU, identity), dropout with fed masks, adds. */
import { OnnxUnsupported } from '../../onnx/onnx-algebra';
import type { OpOf, TrainOp } from '../step-context';

type ActivationKeep = { fn: 'identity' } | { fn: 'relu'; x: string } | { fn: 'gelu'; x: string; cdf: string };

export const activation: TrainOp<OpOf<'activation'>, ActivationKeep> = {
  forward(s, { i, op, x }) {
    const same = { out: x, keep: { fn: 'identity' } } as const;
    if (op.fn === 'linear') return same;
    if (op.fn === 'relu')
      return { out: { name: s.b.op('Relu', [x.name]), shape: x.shape }, keep: { fn: 'relu', x: x.name } };
    if (op.fn === 'gelu') {
      // 0.5·x·(1 + erf(x/√2)), the exact GELU tfjs computes.
      const cdf = s.b.op('Mul', [
        s.b.op('Add', [s.b.op('Erf', [s.b.op('Div', [x.name, s.scalar(Math.SQRT2)])]), s.scalar(1)]),
        s.scalar(0.5),
      ]);
      return { out: { name: s.b.op('Mul', [x.name, cdf]), shape: x.shape }, keep: { fn: 'gelu', x: x.name, cdf } };
    }
    // The loss takes the logits before a final softmax.
    if (op.fn === 'softmax' && i === s.graph.output) return same;
    throw new OnnxUnsupported(`training through activation ${op.fn}`);
  },
  backward(s, { node, needInput }, g, keep) {
    if (!needInput) return;
    if (keep.fn === 'gelu') {
      // d/dx 0.5·x·(1 + erf(x/√2)) = Φ(x) + x·φ(x).
      const pdf = s.b.op('Mul', [
        s.b.op('Exp', [s.b.op('Mul', [s.b.op('Mul', [keep.x, keep.x]), s.scalar(-0.5)])]),
        s.scalar(1 / Math.sqrt(2 * Math.PI)),
      ]);
      s.addGrad(node.inputs[0], s.b.op('Mul', [g, s.b.op('Add', [keep.cdf, s.b.op('Mul', [keep.x, pdf])])]));
    } else if (keep.fn === 'relu') {
      s.addGrad(
        node.inputs[0],
        s.b.op('Mul', [g, s.b.op('Cast', [s.b.op('Greater', [keep.x, s.scalar(0)])], { to: 1 })]),
      );
    } else s.addGrad(node.inputs[0], g);
  },
};

/** Dropout multiplies by a mask fed per step (0 or 1/(1 − rate), drawn in JS); without a rate it is the identity. */
export const identity: TrainOp<OpOf<'identity'>, { mask?: string }> = {
  forward(s, { i, op, x }) {
    if (!op.dropoutRate) return { out: x, keep: {} };
    const mask = s.b.input({ name: `drop${i}`, dtype: 'float32', shape: s.phys(x.shape) });
    s.dropout.push({ node: i, rate: op.dropoutRate, input: mask, shape: x.shape });
    return { out: { name: s.b.op('Mul', [x.name, mask]), shape: x.shape }, keep: { mask } };
  },
  backward(s, { node }, g, { mask }) {
    s.addGrad(node.inputs[0], mask ? s.b.op('Mul', [g, mask]) : g);
  },
};

export const add: TrainOp<OpOf<'add'>, undefined> = {
  forward(s, { node, x }) {
    return {
      out: {
        name: node.inputs.slice(1).reduce((acc, j) => s.b.op('Add', [acc, s.outs[j].name]), x.name),
        shape: x.shape,
      },
      keep: undefined,
    };
  },
  backward(s, { node }, g) {
    for (const j of node.inputs) if (s.graph.nodes[j].op.type !== 'input') s.addGrad(j, g);
  },
};
