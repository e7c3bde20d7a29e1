/**
 * Conv2DBackpropInput as one stride-1 'valid' conv (the transposed conv): dy is zero-inserted by the stride, padded
 * by kh−1−padTop (resp. kw−1−padLeft) in front and to the input size behind, then correlated with the spatially
 * flipped filter whose in/out channels are swapped ([kh, kw, Cout, Cin]).
 */
import * as tf from '@tensorflow/tfjs';
import { anyEmpty, convInfo, dilateAndPad, wrap } from './conv-geometry';

function conv2DBackpropInput({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, filter } = inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const info = convInfo(
    tf.Conv2DBackpropInput,
    inputShape,
    filter.shape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    dataFormat,
  );
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, inHeight: h, inWidth: w } = info;
  const [, oh, ow] = dy.shape;
  const be = backend as tf.KernelBackend;
  if (anyEmpty(dy, filter)) return tf.zeros(inputShape);
  return tf.tidy(() => {
    const top = kh - 1 - info.padInfo.top;
    const left = kw - 1 - info.padInfo.left;
    // A 'valid' kh×kw correlation producing h rows needs h+kh−1 rows; the zero-inserted dy has (oh−1)·sh+1.
    const bottom = h + kh - 1 - top - ((oh - 1) * sh + 1);
    const right = w + kw - 1 - left - ((ow - 1) * sw + 1);
    const d = dilateAndPad(wrap(dy, be), sh, sw, top, bottom, left, right);
    const f = tf.transpose(tf.reverse(wrap(filter, be), [0, 1]), [0, 1, 3, 2]);
    return tf.conv2d(d, f, 1, 'valid');
  });
}

export const conv2DBackpropInputKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: tf.Conv2DBackpropInput,
  kernelFunc: conv2DBackpropInput,
};
