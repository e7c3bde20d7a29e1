/**
 * Forward computation of each graph op with tfjs ops, and the input-gradient (vector-Jacobian product) of the linear
 * ones. LRP rules call these with modified inputs and weights, so they take weights as arguments rather than reading
 * them from the node.
 */
import * as tf from '@tensorflow/tfjs';
import type { Op } from './graph';
import { selfAttention, toPatches } from './attention';
import { samePads } from './conv-geometry';

type LinearOp = Extract<Op, { type: 'dense' | 'conv2d' | 'depthwise' }>;
type ConvOp = Extract<Op, { type: 'conv2d' | 'depthwise' }>;

/**
 * Explicit pads for a conv whose 'same' padding the wasm backend mishandles: XNNPACK refuses 'same' when a stride
 * exceeds the kernel and leaves the output unwritten. Padding first and running 'valid' avoids it everywhere.
 */
function explicitPads(op: ConvOp, xShape: number[]): [[number, number], [number, number]] | undefined {
  // Explicit pads (models from PyTorch): tfjs mis-sizes numeric conv pads for non-square kernels, so pad first.
  if (Array.isArray(op.padding)) return op.padding;
  if (op.padding !== 'same') return undefined;
  const [kh, kw] = op.kernel.shape;
  if (op.strides[0] <= kh && op.strides[1] <= kw) return undefined;
  return [
    samePads(xShape[1], kh, op.strides[0], op.dilations[0]),
    samePads(xShape[2], kw, op.strides[1], op.dilations[1]),
  ];
}

/** z = linear(x; kernel, bias) for dense (any input rank), conv2d and depthwise. */
export function linearForward(op: LinearOp, x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | undefined): tf.Tensor {
  return tf.tidy(() => {
    let z: tf.Tensor;
    if (op.type === 'dense') {
      const lead = x.shape.slice(0, -1);
      z = tf
        .matMul(x.reshape([-1, x.shape[x.rank - 1]]), kernel as tf.Tensor2D)
        .reshape([...lead, kernel.shape[1] as number]);
    } else if ((op.strides[0] > 1 || op.strides[1] > 1) && (op.dilations[0] > 1 || op.dilations[1] > 1)) {
      // tfjs convolves with a stride or a dilation, not both (PyTorch and ONNX allow both): dilate the kernel instead.
      const dilated = dilateKernel(kernel, op.dilations) as tf.Tensor4D;
      return linearForward({ ...op, kernel: dilated, dilations: [1, 1] }, x, dilated, bias);
    } else {
      const pads = explicitPads(op, x.shape);
      const input = (pads ? tf.pad(x, [[0, 0], pads[0], pads[1], [0, 0]]) : x) as tf.Tensor4D;
      const padding = pads ? 'valid' : (op.padding as 'same' | 'valid');
      z =
        op.type === 'conv2d'
          ? tf.conv2d(input, kernel as tf.Tensor4D, op.strides, padding, 'NHWC', op.dilations)
          : tf.depthwiseConv2d(input, kernel as tf.Tensor4D, op.strides, padding, 'NHWC', op.dilations);
    }
    return bias ? tf.add(z, bias) : z;
  });
}

/** ∂/∂x ⟨linear(x; kernel), g⟩: the input gradient for an output gradient g (independent of x and the bias). */
export function linearInputGradient(op: LinearOp, g: tf.Tensor, kernel: tf.Tensor, xShape: number[]): tf.Tensor {
  return tf.tidy(() => {
    if (op.type !== 'dense' && (op.dilations[0] > 1 || op.dilations[1] > 1)) {
      // tfjs has no gradient for dilated convs; a dilated conv is an undilated one with zeros between the taps.
      return linearInputGradient({ ...op, dilations: [1, 1] }, g, dilateKernel(kernel, op.dilations), xShape);
    }
    if (op.type === 'dense') {
      return tf.matMul(g.reshape([-1, g.shape[g.rank - 1]]), kernel as tf.Tensor2D, false, true).reshape(xShape);
    }
    const pads = explicitPads(op, xShape);
    const paddedShape: number[] = pads
      ? [xShape[0], xShape[1] + pads[0][0] + pads[0][1], xShape[2] + pads[1][0] + pads[1][1], xShape[3]]
      : xShape;
    let dx: tf.Tensor;
    if (op.type === 'conv2d') {
      dx = tf.conv2dTranspose(
        g as tf.Tensor4D,
        kernel as tf.Tensor4D,
        paddedShape as [number, number, number, number],
        op.strides,
        pads ? 'valid' : (op.padding as 'same' | 'valid'),
      );
    } else {
      // Depthwise: the gradient of the (linear) forward map, by autodiff.
      const zeros = tf.zeros(xShape);
      dx = tf.grad((t: tf.Tensor) => linearForward(op, t, kernel, undefined))(zeros, g);
      return dx;
    }
    return pads ? tf.slice(dx, [0, pads[0][0], pads[1][0], 0], xShape) : dx;
  });
}

/** [kh, kw, a, b] → [(kh−1)·dh+1, (kw−1)·dw+1, a, b] with zeros between the original taps. */
export function dilateKernel(kernel: tf.Tensor, [dh, dw]: [number, number]): tf.Tensor {
  return tf.tidy(() => {
    const [kh, kw, a, b] = kernel.shape as number[];
    const spread = tf.pad(kernel.reshape([kh, 1, kw, 1, a, b]), [
      [0, 0],
      [0, dh - 1],
      [0, 0],
      [0, dw - 1],
      [0, 0],
      [0, 0],
    ]);
    return tf.slice(
      spread.reshape([kh * dh, kw * dw, a, b]),
      [0, 0, 0, 0],
      [(kh - 1) * dh + 1, (kw - 1) * dw + 1, a, b],
    );
  });
}

export function activationForward(op: Extract<Op, { type: 'activation' }>, x: tf.Tensor): tf.Tensor {
  switch (op.fn) {
    case 'linear':
      return x.clone();
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return op.maxValue != null && op.maxValue !== 6 ? tf.clipByValue(x, 0, op.maxValue) : tf.relu6(x);
    case 'leakyRelu':
      return tf.leakyRelu(x, op.alpha ?? 0.3);
    case 'elu':
      return op.alpha == null || op.alpha === 1
        ? tf.elu(x)
        : tf.tidy(() => tf.where(tf.greater(x, 0), x, tf.mul(op.alpha!, tf.sub(tf.exp(x), 1))));
    case 'gelu':
      return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))));
    case 'gelu_new':
      return tf.tidy(() =>
        tf.mul(
          tf.mul(x, 0.5),
          tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))),
        ),
      );
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'softmax':
      return tf.softmax(x);
    case 'swish':
      return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
    default:
      throw new Error(`activation '${op.fn}' has no forward implementation`);
  }
}

/**
 * Max and average pooling. Explicit pads (PyTorch's 3×3/2 max pool with pad 1) are applied first, with −∞ for max
 * pooling so a pad never wins a window; average pooling with explicit pads is not imported.
 */
export function poolForward(op: Extract<Op, { type: 'maxpool' | 'avgpool' }>, x: tf.Tensor4D): tf.Tensor4D {
  if (Array.isArray(op.padding)) {
    if (op.type === 'avgpool') throw new Error('average pooling with explicit pads is not supported');
    const [[t, b], [l, r]] = op.padding;
    return tf.tidy(() =>
      tf.maxPool(
        tf.pad(
          x,
          [
            [0, 0],
            [t, b],
            [l, r],
            [0, 0],
          ],
          -Infinity,
        ),
        op.pool,
        op.strides,
        'valid',
      ),
    );
  }
  return op.type === 'maxpool'
    ? tf.maxPool(x, op.pool, op.strides, op.padding)
    : tf.avgPool(x, op.pool, op.strides, op.padding);
}

/** Output of one op given its inputs' outputs. */
export function opForward(op: Op, inputs: tf.Tensor[]): tf.Tensor {
  const x = inputs[0];
  switch (op.type) {
    case 'input':
      return x.clone();
    case 'dense':
    case 'conv2d':
    case 'depthwise':
      return linearForward(op, x, op.kernel, op.bias);
    case 'batchnorm':
      return tf.batchNorm(
        x,
        op.mean,
        op.variance,
        op.beta ?? tf.zerosLike(op.mean),
        op.gamma ?? tf.onesLike(op.mean),
        op.epsilon,
      );
    case 'layernorm':
      return tf.tidy(() => {
        const { mean, variance } = tf.moments(x, -1, true);
        let y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, op.epsilon)));
        if (op.gamma) y = tf.mul(y, op.gamma);
        return op.beta ? tf.add(y, op.beta) : y;
      });
    case 'activation':
      return activationForward(op, x);
    case 'maxpool':
    case 'avgpool':
      return poolForward(op, x as tf.Tensor4D);
    case 'globalavgpool':
      return tf.mean(x, [1, 2]);
    case 'globalmaxpool':
      return tf.max(x, [1, 2]);
    case 'flatten':
      return x.reshape([x.shape[0], -1]);
    case 'reshape':
      return x.reshape([x.shape[0], ...op.targetShape]);
    case 'zeropad':
      return tf.pad(x, [[0, 0], op.padding[0], op.padding[1], [0, 0]]);
    case 'identity':
      return x.clone();
    case 'add':
      return tf.addN(inputs);
    case 'concat':
      return tf.concat(inputs, op.axis);
    case 'attention':
      return selfAttention(inputs[0], inputs[1], inputs[2], op.heads, op.headDim);
    case 'patches':
      return toPatches(x, op.size);
    case 'classtoken':
      return tf.tidy(() => {
        const [n, , d] = x.shape as number[];
        return tf.concat([tf.broadcastTo(op.token.reshape([1, 1, d]), [n, 1, d]), x], 1);
      });
    case 'addweight':
      return tf.add(x, op.weight);
    case 'taketoken':
      return tf.tidy(() => {
        const [n, , d] = x.shape as number[];
        return tf.slice(x, [0, op.index, 0], [n, 1, d]).reshape([n, d]);
      });
  }
}
