/**
 * DepthwiseConv2dNativeBackpropFilter as one depthwise conv: the batch is folded into the channels
 * (x → [1, H, W, Cin·N], dy → filter [oh, ow, Cin·N, m]), so dF[a,b,c,k] = Σ_n out[a,b,(c,n),k]. Forward strides
 * become the inner dilation and forward dilations the inner stride (tfjs allows only one of them > 1 anyway).
 */
import * as tf from '@tensorflow/tfjs';
import { anyEmpty, convInfo, inputAsRead, wrap } from './conv-geometry';

function depthwiseBackpropFilter({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, dy } = inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const { filterShape } = a;
  const info = convInfo(tf.DepthwiseConv2dNativeBackpropFilter, x.shape, filterShape, a, true);
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const [n, , , c] = x.shape;
  const [, oh, ow] = dy.shape;
  const m = filterShape[3];
  const be = backend as tf.KernelBackend;
  if (anyEmpty(x, dy)) return tf.zeros(filterShape);
  return tf.tidy(() => {
    const xp = inputAsRead(wrap(x, be), info, oh, ow);
    const [, needH, needW] = xp.shape;
    const xt = tf.reshape<tf.Rank.R4>(tf.transpose(xp, [1, 2, 3, 0]), [1, needH, needW, c * n]); // chan c·N + n
    const dy5 = tf.reshape(wrap(dy, be), [n, oh, ow, c, m]);
    const g = tf.reshape<tf.Rank.R4>(tf.transpose(dy5, [1, 2, 3, 0, 4]), [oh, ow, c * n, m]);
    const out = tf.depthwiseConv2d(xt, g, [dh, dw], 'valid', 'NHWC', [sh, sw]); // [1, kh, kw, (c·N + n)·m + k]
    return n === 1 ? tf.reshape(out, [kh, kw, c, m]) : tf.sum(tf.reshape(out, [kh, kw, c, n, m]), 3);
  });
}

export const depthwiseBackpropFilterKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  kernelFunc: depthwiseBackpropFilter,
};
