/**
 * The window geometry of a conv or pool over an NHWC input, as TF/Keras define it ('same' pads the extra row or
 * column at the end): pad amounts, output size, and what the transposed op needs to give back the input's size.
 * The tfjs forward (ops.ts), the ONNX algebra and the ONNX training step all read it here.
 */

import type { Padding } from './graph';

export interface WindowOp {
  strides: [number, number];
  /** 'same', 'valid', or explicit [[top, bottom], [left, right]] (models from PyTorch). */
  padding: Padding;
  dilations?: [number, number];
}

export interface ConvGeometry {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** ONNX order: [top, left, bottom, right]. */
  pads: [number, number, number, number];
  inH: number;
  inW: number;
  outH: number;
  outW: number;
}

/** TF-style 'same' padding for one axis: [before, after]. */
export function samePads(inSize: number, k: number, s: number, d: number): [number, number] {
  const out = Math.ceil(inSize / s);
  const total = Math.max((out - 1) * s + (k - 1) * d + 1 - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Geometry of `op` with a k[0]×k[1] window over an input of logical shape [N, H, W, C]. */
export function convGeometry(op: WindowOp, inShape: number[], k: [number, number]): ConvGeometry {
  const d = op.dilations ?? [1, 1];
  const [inH, inW] = [inShape[1], inShape[2]];
  const [ph, pw] = Array.isArray(op.padding)
    ? op.padding
    : op.padding === 'same'
      ? [samePads(inH, k[0], op.strides[0], d[0]), samePads(inW, k[1], op.strides[1], d[1])]
      : [
          [0, 0],
          [0, 0],
        ];
  const outH = Math.floor((inH + ph[0] + ph[1] - ((k[0] - 1) * d[0] + 1)) / op.strides[0]) + 1;
  const outW = Math.floor((inW + pw[0] + pw[1] - ((k[1] - 1) * d[1] + 1)) / op.strides[1]) + 1;
  return { kernel: k, strides: op.strides, dilations: d, pads: [ph[0], pw[0], ph[1], pw[1]], inH, inW, outH, outW };
}

/**
 * ConvTranspose's output_padding: it gives (out−1)·s + (k−1)·d + 1 − pads rows, and the forward's stride may have
 * skipped some rows at the end of the input; output_padding adds them back.
 */
export function transposeOutputPadding(g: ConvGeometry): [number, number] {
  const span = (i: 0 | 1) => (g.kernel[i] - 1) * g.dilations[i] + 1;
  return [
    g.inH - ((g.outH - 1) * g.strides[0] + span(0) - g.pads[0] - g.pads[2]),
    g.inW - ((g.outW - 1) * g.strides[1] + span(1) - g.pads[1] - g.pads[3]),
  ];
}

/** Pads of a stride-1 (undilated) transposed conv written as a conv with the flipped kernel: k − 1 − the forward's. */
export function flippedConvPads(g: ConvGeometry): [number, number, number, number] {
  const [kh, kw] = g.kernel;
  return [kh - 1 - g.pads[0], kw - 1 - g.pads[1], kh - 1 - g.pads[2], kw - 1 - g.pads[3]];
}
