/** conv2d in the training step: Conv forward; input gradient as a flipped Conv (stride 1) or ConvTranspose. */
import { type ConvGeometry, convGeometry, flippedConvPads, transposeOutputPadding } from '../../graph/conv-geometry';
import { OnnxUnsupported } from '../../onnx/onnx-algebra';
import type { OpOf, StepContext, TrainOp } from '../step-context';

export const conv2d: TrainOp<OpOf<'conv2d'>, { wt: string; geo: ConvGeometry }> = {
  forward(s, { i, op, x }) {
    if (op.dilations[0] !== 1 || op.dilations[1] !== 1) throw new OnnxUnsupported('training a dilated conv');
    const [kh, kw, , co] = op.kernel.shape as number[];
    const w = s.param(i, 'kernel', op.kernel);
    const wt = s.b.op('Transpose', [w], { perm: [3, 2, 0, 1] });
    const geo = convGeometry(op, x.shape, [kh, kw]);
    const inputs = [x.name, wt];
    if (op.bias) inputs.push(s.param(i, 'bias', op.bias));
    const y = s.b.op('Conv', inputs, { kernel_shape: [kh, kw], strides: op.strides, pads: geo.pads });
    return { out: { name: y, shape: [s.batch, geo.outH, geo.outW, co] }, keep: { wt, geo } };
  },
  backward(s, { i, node, op, x, needInput }, g, { wt, geo }) {
    const [kh, kw, ci, co] = op.kernel.shape as number[];
    if (needInput) {
      const back = flippedConvPads(geo);
      if (op.strides[0] === 1 && op.strides[1] === 1 && back.every((v) => v >= 0)) {
        // Stride 1: the transposed conv is a conv with the kernel flipped and in/out swapped, which onnxruntime
        // runs faster than its ConvTranspose (NOTES.md, Performance). The flip is of the weights only.
        const flipped = s.b.op('Slice', [
          s.b.op('Transpose', [wt], { perm: [1, 0, 2, 3] }),
          s.ints([kh - 1, kw - 1]),
          s.ints([-kh - 1, -kw - 1]),
          s.ints([2, 3]),
          s.ints([-1, -1]),
        ]);
        s.addGrad(
          node.inputs[0],
          s.b.op('Conv', [g, flipped], { kernel_shape: [kh, kw], strides: [1, 1], pads: back }),
        );
      } else {
        s.addGrad(
          node.inputs[0],
          s.b.op('ConvTranspose', [g, wt], {
            kernel_shape: [kh, kw],
            strides: op.strides,
            pads: geo.pads,
            output_padding: transposeOutputPadding(geo),
          }),
        );
      }
    }
    s.paramGrad(i, 'kernel', kernelGradient(s, x.name, g, ci, co, geo));
    if (op.bias) s.paramGrad(i, 'bias', s.b.op('ReduceSum', [g, s.ints([0, 2, 3])], { keepdims: 0 }));
  },
};

/**
 * dW[dy, dx, c, o] = Σ_{n,y,x} xpad[n, c, y·s + dy, x·s + dx] · g[n, o, y, x]: the input's kh·kw shifted (strided)
 * views stacked as rows, times g, one GEMM per sample over the positions, summed over the batch; the result is
 * already in the kernel's [kh, kw, ci, co] order. onnxruntime runs this faster than a Conv whose kernel is the whole
 * output map (the textbook form); the figures, and the variants that measured no faster, are in NOTES.md, Performance.
 */
function kernelGradient(s: StepContext, x: string, g: string, ci: number, co: number, geo: ConvGeometry): string {
  const { b, batch } = s;
  const [kh, kw] = geo.kernel;
  const [sh, sw] = geo.strides;
  const { outH: oh, outW: ow, pads } = geo;
  const stack = (parts: string[]) => (parts.length > 1 ? b.op('Concat', parts, { axis: 1 }) : parts[0]);
  const perSample = (a: string, bT: string) =>
    b.op('ReduceSum', [b.op('MatMul', [a, b.op('Transpose', [bT], { perm: [0, 2, 1] })]), s.ints([0])], {
      keepdims: 0,
    });
  const xp = pads.some((v) => v > 0) ? b.op('Pad', [x, s.ints([0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]])]) : x;
  const taps: string[] = [];
  for (let dy = 0; dy < kh; dy++)
    for (let dx = 0; dx < kw; dx++)
      taps.push(
        b.op('Slice', [
          xp,
          s.ints([dy, dx]),
          s.ints([dy + (oh - 1) * sh + 1, dx + (ow - 1) * sw + 1]),
          s.ints([2, 3]),
          s.ints([sh, sw]),
        ]),
      );
  const a = b.op('Reshape', [stack(taps), s.ints([batch, kh * kw * ci, oh * ow])]);
  return b.op('Reshape', [perSample(a, b.op('Reshape', [g, s.ints([batch, co, oh * ow])])), s.ints([kh, kw, ci, co])]);
}
