/**
 * Shared helpers for the conv-gradient kernels: geometry (via tfjs's own computeConv2DInfo, so output sizes and
 * 'same'/'valid'/explicit pad amounts agree exactly with the forward op) and the pad/crop/zero-insert reshaping.
 */
import * as tf from '@tensorflow/tfjs';

export type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
export type Rounding = 'floor' | 'round' | 'ceil' | undefined;
type Shape4 = [number, number, number, number];

/** The attributes of a conv-gradient kernel that fix the forward conv's geometry. */
export interface ConvAttrs {
  strides: number | [number, number];
  dilations?: number | [number, number];
  pad: Pad;
  dimRoundingMode?: Rounding;
  dataFormat?: 'NHWC' | 'NCHW';
}

/** Conv geometry as tfjs computes it for the forward op; only NHWC is supported. */
export function convInfo(
  kernelName: string,
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
  depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  const { strides, dilations, pad, dimRoundingMode, dataFormat = 'NHWC' } = attrs;
  if (dataFormat !== 'NHWC') {
    throw new Error(`${kernelName}: dataFormat '${dataFormat}' is not supported by the fast kernel; use 'NHWC'`);
  }
  if (xShape.length !== 4 || filterShape.length !== 4) {
    throw new Error(`${kernelName}: expected rank-4 input and filter shapes, got [${xShape}] and [${filterShape}]`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    depthwise,
    'channelsLast',
  );
  // The inner convs swap strides and dilations; with both > 1 there is no such rewrite (tfjs forbids it too).
  if ((info.strideHeight > 1 || info.strideWidth > 1) && (info.dilationHeight > 1 || info.dilationWidth > 1)) {
    throw new Error(
      `${kernelName}: strides [${info.strideHeight},${info.strideWidth}] together with dilations ` +
        `[${info.dilationHeight},${info.dilationWidth}] are not supported; one of them must be 1`,
    );
  }
  return info;
}

/**
 * Wraps a kernel input (a bare TensorInfo) as a Tensor so tfjs ops can consume it. The backend ref count is raised
 * first because disposing the wrapper lowers it again; without that, disposing would free the caller's data.
 */
export function wrap(info: tf.TensorInfo, backend: tf.KernelBackend): tf.Tensor4D {
  backend.incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info, backend) as tf.Tensor4D;
}

/** True when any tensor has no elements: the gradient is then all zeros, and XNNPACK rejects 0-sized kernels. */
export function anyEmpty(...infos: tf.TensorInfo[]): boolean {
  return infos.some((t) => t.shape.some((d) => d === 0));
}

/** Pads rows/cols of an NHWC tensor with zeros; negative amounts crop (explicit pads can exceed what is read). */
export function padOrCrop(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [n, h, w, c] = t.shape;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const r0 = Math.max(0, -top);
    const c0 = Math.max(0, -left);
    const rows = h - r0 - Math.max(0, -bottom);
    const cols = w - c0 - Math.max(0, -right);
    t = tf.slice(t, [0, r0, c0, 0], [n, rows, cols, c]);
  }
  const pt = Math.max(0, top);
  const pb = Math.max(0, bottom);
  const pl = Math.max(0, left);
  const pr = Math.max(0, right);
  if (pt === 0 && pb === 0 && pl === 0 && pr === 0) return t;
  return tf.pad(t, [
    [0, 0],
    [pt, pb],
    [pl, pr],
    [0, 0],
  ]);
}

/**
 * Inserts (sh−1) zero rows and (sw−1) zero cols between the rows/cols of an NHWC tensor, then pads/crops it.
 * `bottom`/`right` are relative to the zero-inserted size (h−1)·sh+1. Zero insertion uses only rank-4 pads and
 * reshapes, which every backend supports: a size-1 axis next to the row (col) axis is padded to sh (sw).
 */
export function dilateAndPad(
  t: tf.Tensor4D,
  sh: number,
  sw: number,
  top: number,
  bottom: number,
  left: number,
  right: number,
): tf.Tensor4D {
  const [n, h, w, c] = t.shape;
  if (sh > 1) {
    const rows = tf.pad(tf.reshape(t, [n, h, 1, w * c]), [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
    ]);
    t = tf.reshape(rows, [n, h * sh, w, c]);
    // The last row now carries sh−1 trailing zero rows that the caller did not ask for.
    bottom -= sh - 1;
  }
  const h2 = t.shape[1];
  if (sw > 1) {
    const cols = tf.pad(tf.reshape(t, [n * h2, w, 1, c]), [
      [0, 0],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
    t = tf.reshape(cols, [n, h2, w * sw, c]);
    right -= sw - 1;
  }
  return padOrCrop(t, top, bottom, left, right);
}

/**
 * The forward input's rows and cols exactly as the conv read them (pad rows added, unread ones cropped), so the
 * filter gradient's inner conv over it yields kh×kw outputs and nothing to slice. `oh`/`ow`: the output size.
 */
export function inputAsRead(x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, oh: number, ow: number): tf.Tensor4D {
  const needH = (oh - 1) * info.strideHeight + (info.filterHeight - 1) * info.dilationHeight + 1;
  const needW = (ow - 1) * info.strideWidth + (info.filterWidth - 1) * info.dilationWidth + 1;
  const { top, left } = info.padInfo;
  return padOrCrop(x, top, needH - info.inHeight - top, left, needW - info.inWidth - left);
}

/**
 * dy zero-inserted by the stride and padded so that a 'valid' (dilated) correlation with the flipped filter gives
 * the input size: (kh−1)·dh−padTop rows in front; a correlation giving h rows needs h+(kh−1)·dh rows, and the
 * zero-inserted dy has (oh−1)·sh+1.
 */
export function dyForTransposedConv(dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { filterHeight: kh, filterWidth: kw, inHeight: h, inWidth: w } = info;
  const [, oh, ow] = dy.shape;
  const top = (kh - 1) * dh - info.padInfo.top;
  const left = (kw - 1) * dw - info.padInfo.left;
  const bottom = h + (kh - 1) * dh - top - ((oh - 1) * sh + 1);
  const right = w + (kw - 1) * dw - left - ((ow - 1) * sw + 1);
  return dilateAndPad(dy, sh, sw, top, bottom, left, right);
}
