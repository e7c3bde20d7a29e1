/** Pooling and reshaping of feature maps in the training step: max pooling, global average pooling, flatten, zero padding. */
import { type ConvGeometry, convGeometry } from '../../graph/conv-geometry';
import { type OpOf, prod, type TrainOp } from '../step-context';

/** Gradients go to each window's first maximum (the forward's indices, as PyTorch does). Pool ops share one Op type. */
export const maxpool: TrainOp<OpOf<'maxpool' | 'avgpool'>, { indices: string; geo: ConvGeometry }> = {
  forward(s, { op, x }) {
    const geo = convGeometry(op, x.shape, op.pool);
    const [y, indices] = s.b.opN('MaxPool', [x.name], 2, {
      kernel_shape: op.pool,
      strides: op.strides,
      pads: geo.pads,
    });
    return { out: { name: y, shape: [s.batch, geo.outH, geo.outW, x.shape[3]] }, keep: { indices, geo } };
  },
  backward(s, { node, op, x }, g, { indices, geo }) {
    const overlapping = op.strides[0] < op.pool[0] || op.strides[1] < op.pool[1];
    if (overlapping) {
      const flat = (t: string) => s.b.op('Reshape', [t, s.ints([-1])]);
      const zeros = s.b.op('Expand', [s.scalar(0), s.ints([prod(x.shape)])]);
      s.addGrad(
        node.inputs[0],
        s.b.op('Reshape', [
          s.b.op('ScatterElements', [zeros, flat(indices), flat(g)], { axis: 0, reduction: 'add' }),
          s.ints(s.phys(x.shape)),
        ]),
      );
    } else {
      s.addGrad(
        node.inputs[0],
        s.b.op('MaxUnpool', [g, indices, s.ints(s.phys(x.shape))], {
          kernel_shape: op.pool,
          strides: op.strides,
          pads: geo.pads,
        }),
      );
    }
  },
};

export const globalavgpool: TrainOp<OpOf<'globalavgpool' | 'globalmaxpool'>, undefined> = {
  forward(s, { x }) {
    const y = s.b.op('Reshape', [s.b.op('GlobalAveragePool', [x.name]), s.ints([s.batch, x.shape[3]])]);
    return { out: { name: y, shape: [s.batch, x.shape[3]] }, keep: undefined };
  },
  backward(s, { node, x }, g) {
    const [n, h, w, c] = x.shape;
    const g4 = s.b.op('Reshape', [g, s.ints([n, c, 1, 1])]);
    s.addGrad(node.inputs[0], s.b.op('Expand', [s.b.op('Mul', [g4, s.scalar(1 / (h * w))]), s.ints(s.phys(x.shape))]));
  },
};

/** Keras flattens NHWC, so a stored NCHW map is transposed back first. */
export const flatten: TrainOp<OpOf<'flatten'>, undefined> = {
  forward(s, { x }) {
    const t = x.shape.length === 4 ? s.b.op('Transpose', [x.name], { perm: [0, 2, 3, 1] }) : x.name;
    const y = s.b.op('Reshape', [t, s.ints([s.batch, prod(x.shape.slice(1))])]);
    return { out: { name: y, shape: [s.batch, prod(x.shape.slice(1))] }, keep: undefined };
  },
  backward(s, { node, x }, g) {
    if (x.shape.length === 4) {
      const [n, h, w, c] = x.shape;
      s.addGrad(
        node.inputs[0],
        s.b.op('Transpose', [s.b.op('Reshape', [g, s.ints([n, h, w, c])])], { perm: [0, 3, 1, 2] }),
      );
    } else s.addGrad(node.inputs[0], g);
  },
};

export const zeropad: TrainOp<OpOf<'zeropad'>, undefined> = {
  forward(s, { op, x }) {
    const [[t, bo], [l, r]] = op.padding;
    const y = s.b.op('Pad', [x.name, s.ints([0, 0, t, l, 0, 0, bo, r])]);
    return { out: { name: y, shape: [s.batch, x.shape[1] + t + bo, x.shape[2] + l + r, x.shape[3]] }, keep: undefined };
  },
  backward(s, { node, op, x }, g) {
    const [n, h, w, c] = x.shape;
    const [[t], [l]] = op.padding;
    s.addGrad(node.inputs[0], s.b.op('Slice', [g, s.ints([0, 0, t, l]), s.ints([n, c, t + h, l + w])]));
  },
};
