/**
 * Conv2DBackpropInput as one stride-1 'valid' conv (the transposed conv): dy is zero-inserted by the stride, padded
 * by kh−1−padTop (resp. kw−1−padLeft) in front and to the input size behind, then correlated with the spatially
 * flipped filter whose in/out channels are swapped ([kh, kw, Cout, Cin]).
 */
import * as tf from '@tensorflow/tfjs';
import { anyEmpty, convInfo, dyForTransposedConv, wrap } from './conv-geometry';

function conv2DBackpropInput({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, filter } = inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const { inputShape } = a;
  const info = convInfo(tf.Conv2DBackpropInput, inputShape, filter.shape, { ...a, dilations: 1 }, false);
  const be = backend as tf.KernelBackend;
  if (anyEmpty(dy, filter)) return tf.zeros(inputShape);
  return tf.tidy(() => {
    const d = dyForTransposedConv(wrap(dy, be), info);
    const f = tf.transpose(tf.reverse(wrap(filter, be), [0, 1]), [0, 1, 3, 2]);
    return tf.conv2d(d, f, 1, 'valid');
  });
}

export const conv2DBackpropInputKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: tf.Conv2DBackpropInput,
  kernelFunc: conv2DBackpropInput,
};
