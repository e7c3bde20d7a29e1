/**
 * Conv2DBackpropFilter as one stride-1 conv: dF[a,b,ci,co] = Σ_{n,i,j} xp[n, i·sh+a, j·sw+b, ci] · dy[n,i,j,co],
 * which is a correlation of x (batch↔channel swapped: [Cin, H, W, N]) with dy used as a filter [oh, ow, N, Cout]
 * dilated by the forward stride. Backends run that through their optimised conv instead of a scalar loop.
 */
import * as tf from '@tensorflow/tfjs';
import { anyEmpty, convInfo, inputAsRead, wrap } from './conv-geometry';

function conv2DBackpropFilter({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, dy } = inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const { filterShape } = a;
  const info = convInfo(tf.Conv2DBackpropFilter, x.shape, filterShape, { ...a, dilations: 1 }, false);
  const { strideHeight: sh, strideWidth: sw } = info;
  const [, oh, ow] = dy.shape;
  const be = backend as tf.KernelBackend;
  if (anyEmpty(x, dy)) return tf.zeros(filterShape);
  return tf.tidy(() => {
    const xp = inputAsRead(wrap(x, be), info, oh, ow);
    const xt = tf.transpose(xp, [3, 1, 2, 0]); // [Cin, H', W', N]
    const g = tf.transpose(wrap(dy, be), [1, 2, 0, 3]); // [oh, ow, N, Cout]
    const out = tf.conv2d(xt, g, 1, 'valid', 'NHWC', [sh, sw]); // [Cin, kh, kw, Cout]
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}

export const conv2DBackpropFilterKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: tf.Conv2DBackpropFilter,
  kernelFunc: conv2DBackpropFilter,
};
