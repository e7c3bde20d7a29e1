/**
 * DepthwiseConv2dNativeBackpropInput as one depthwise conv with multiplier 1 over all Cin·m channels of the
 * zero-inserted, padded dy, using the flipped filter reshaped to [kh, kw, Cin·m, 1]; the m products that belong to
 * one input channel are then summed. Forward dilations carry over as the inner conv's dilation.
 */
import * as tf from '@tensorflow/tfjs';
import { anyEmpty, convInfo, dyForTransposedConv, wrap } from './conv-geometry';

function depthwiseBackpropInput({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, filter } = inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const { inputShape } = a;
  const info = convInfo(tf.DepthwiseConv2dNativeBackpropInput, inputShape, filter.shape, a, true);
  const { dilationHeight: dh, dilationWidth: dw, filterHeight: kh, filterWidth: kw, inHeight: h, inWidth: w } = info;
  const [n, , , c] = inputShape;
  const [, , , m] = filter.shape;
  const be = backend as tf.KernelBackend;
  if (anyEmpty(dy, filter)) return tf.zeros(inputShape);
  return tf.tidy(() => {
    const d = dyForTransposedConv(wrap(dy, be), info);
    const f = tf.reshape<tf.Rank.R4>(tf.reverse(wrap(filter, be), [0, 1]), [kh, kw, c * m, 1]);
    const out = tf.depthwiseConv2d(d, f, 1, 'valid', 'NHWC', [dh, dw]); // [N, H, W, c·m + k]
    return m === 1 ? out : tf.sum(tf.reshape(out, [n, h, w, c, m]), 4);
  });
}

export const depthwiseBackpropInputKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  kernelFunc: depthwiseBackpropInput,
};
