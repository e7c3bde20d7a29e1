/**
 * One training step (forward in training mode, softmax cross-entropy, backward to every parameter) compiled into an
 * ONNX inference graph, so onnxruntime's convolutions do the work. Parameters, dropout masks and labels are inputs;
 * the loss, the logits, the gradients and the batch-norm batch statistics are outputs; the optimizer runs in JS.
 * Ops: conv2d, dense (on rank 2 or 3), batch norm, ReLU, max pooling, global average pooling, flatten, zero padding,
 * residual adds, dropout, and the ViT's: patches, LayerNorm, GELU, attention, class token, position table, token
 * take. Anything else throws OnnxUnsupported and training stays on tfjs.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Graph } from '../graph/graph';
import { OnnxGraphBuilder } from '../onnx/graph-builder';
import { samePads } from '../graph/conv-geometry';
import { OnnxUnsupported } from '../onnx/onnx-algebra';
import { explainedNode } from '../prune/catalogue';

/** The Graph op field a parameter comes from: a layer's kernel, bias, γ, β, a class token or a position table. */
export type ParamKey = 'kernel' | 'bias' | 'gamma' | 'beta' | 'token' | 'weight';

export interface TrainParam {
  node: number;
  key: ParamKey;
  /** Logical shape (tfjs layout: conv [kh, kw, ci, co], dense [din, dout]). */
  shape: number[];
  input: string;
  grad: string;
}

export interface CompiledTrainStep {
  bytes: Uint8Array;
  params: TrainParam[];
  dropout: { node: number; rate: number; input: string; shape: number[] }[];
  batchStats: { node: number; mean: string; variance: string; channels: number }[];
  loss: string;
  logits: string;
  classes: number;
}

interface Value {
  name: string;
  /** Logical shape including the batch. */
  shape: number[];
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

export function compileTrainStep(graph: Graph, inputShape: number[], batch: number): CompiledTrainStep {
  const b = new OnnxGraphBuilder();
  const ints = (v: number[]) => b.ints(v);
  const scalar = (v: number) => b.scalar(v);
  const phys = (shape: number[]) => (shape.length === 4 ? [shape[0], shape[3], shape[1], shape[2]] : shape);
  const params: TrainParam[] = [];
  const dropout: CompiledTrainStep['dropout'] = [];
  const batchStats: CompiledTrainStep['batchStats'] = [];
  const param = (node: number, key: ParamKey, t: tf.Tensor): string => {
    const input = b.input({ name: `p${node}_${key}`, dtype: 'float32', shape: t.shape });
    params.push({ node, key, shape: t.shape, input, grad: '' });
    return input;
  };
  const explained = explainedNode(graph);
  const outs: Value[] = [];
  // What the backward pass needs from the forward one, per node.
  const saved = new Map<number, Record<string, string>>();

  /**
   * Batch norm in training mode and LayerNorm share one normalization: x̂ = (x − mean) / √(variance + ε) with the
   * statistics over `axes`, then ·γ + β (reshaped to `paramShape` to broadcast, when given).
   */
  const normalize = (i: number, x: string, axes: number[], op: { epsilon: number; gamma?: tf.Tensor1D; beta?: tf.Tensor1D }, paramShape?: number[]) => {
    // ReduceMean takes its axes as an attribute in opset 17 (ReduceSum as an input).
    const mean = b.op('ReduceMean', [x], { axes, keepdims: 1 });
    const centered = b.op('Sub', [x, mean]);
    const variance = b.op('ReduceMean', [b.op('Mul', [centered, centered])], { axes, keepdims: 1 });
    const invStd = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [variance, scalar(op.epsilon)])])]);
    const xhat = b.op('Mul', [centered, invStd]);
    const shaped = (p: string) => (paramShape ? b.op('Reshape', [p, ints(paramShape)]) : p);
    const keep: Record<string, string> = { xhat, invStd };
    let y = xhat;
    if (op.gamma) {
      keep.gamma = shaped(param(i, 'gamma', op.gamma));
      y = b.op('Mul', [y, keep.gamma]);
    }
    if (op.beta) y = b.op('Add', [y, shaped(param(i, 'beta', op.beta))]);
    return { y, mean, variance, keep };
  };
  /** Its backward: γ and β summed over `paramAxes`; the input gradient (when wanted), with means over `axes`. */
  const normalizeBackward = (i: number, op: { gamma?: tf.Tensor1D; beta?: tf.Tensor1D }, g: string, keep: Record<string, string>, axes: number[], paramAxes: number[], needInput: boolean): string | undefined => {
    const mean = (t: string) => b.op('ReduceMean', [t], { axes, keepdims: 1 });
    if (op.gamma) paramGrad(i, 'gamma', b.op('ReduceSum', [b.op('Mul', [g, keep.xhat]), ints(paramAxes)], { keepdims: 0 }));
    if (op.beta) paramGrad(i, 'beta', b.op('ReduceSum', [g, ints(paramAxes)], { keepdims: 0 }));
    if (!needInput) return undefined;
    const dxhat = keep.gamma ? b.op('Mul', [g, keep.gamma]) : g;
    const inner = b.op('Sub', [b.op('Sub', [dxhat, mean(dxhat)]), b.op('Mul', [keep.xhat, mean(b.op('Mul', [dxhat, keep.xhat]))])]);
    return b.op('Mul', [inner, keep.invStd]);
  };
  const x0 = b.input({ name: 'x', dtype: 'float32', shape: [batch, ...inputShape] });
  for (const [i, node] of graph.nodes.entries()) {
    if (i > explained) break;
    const op = node.op;
    const x = node.inputs.length ? outs[node.inputs[0]] : undefined;
    const put = (name: string, shape: number[], keep: Record<string, string> = {}) => {
      outs[i] = { name, shape };
      saved.set(i, keep);
    };
    switch (op.type) {
      case 'input':
        put(inputShape.length === 3 ? b.op('Transpose', [x0], { perm: [0, 3, 1, 2] }) : x0, [batch, ...inputShape]);
        break;
      case 'conv2d': {
        if (op.dilations[0] !== 1 || op.dilations[1] !== 1) throw new OnnxUnsupported('training a dilated conv');
        const [kh, kw, , co] = op.kernel.shape as number[];
        const w = param(i, 'kernel', op.kernel);
        const wt = b.op('Transpose', [w], { perm: [3, 2, 0, 1] });
        const ph = op.padding === 'same' ? samePads(x!.shape[1], kh, op.strides[0], 1) : [0, 0];
        const pw = op.padding === 'same' ? samePads(x!.shape[2], kw, op.strides[1], 1) : [0, 0];
        const pads = [ph[0], pw[0], ph[1], pw[1]];
        const inputs = [x!.name, wt];
        if (op.bias) inputs.push(param(i, 'bias', op.bias));
        const oh = Math.floor((x!.shape[1] + ph[0] + ph[1] - kh) / op.strides[0]) + 1;
        const ow = Math.floor((x!.shape[2] + pw[0] + pw[1] - kw) / op.strides[1]) + 1;
        put(b.op('Conv', inputs, { kernel_shape: [kh, kw], strides: op.strides, pads }), [batch, oh, ow, co], { wt, pads: pads.join(',') });
        break;
      }
      case 'dense': {
        // Rank 2, or rank 3 (tokens): MatMul broadcasts over the leading axes.
        const w = param(i, 'kernel', op.kernel);
        let z = b.op('MatMul', [x!.name, w]);
        if (op.bias) z = b.op('Add', [z, param(i, 'bias', op.bias)]);
        put(z, [...x!.shape.slice(0, -1), op.kernel.shape[1]], { w });
        break;
      }
      case 'layernorm': {
        // Over the last axis, as tfjs; γ and β [D] broadcast as they are.
        const { y, keep } = normalize(i, x!.name, [-1], op);
        put(y, x!.shape, keep);
        break;
      }
      case 'patches': {
        // Stored NCHW → [N, H/p, W/p, p, p, C] → tokens of p·p·C values, as the inference graphs do.
        const [n, h, w, c] = x!.shape;
        const p = op.size;
        const moved = b.op('Transpose', [b.op('Reshape', [x!.name, ints([n, c, h / p, p, w / p, p])])], { perm: [0, 2, 4, 3, 5, 1] });
        put(b.op('Reshape', [moved, ints([n, (h / p) * (w / p), p * p * c])]), [n, (h / p) * (w / p), p * p * c]);
        break;
      }
      case 'classtoken': {
        const [n, t, d] = x!.shape;
        const token = b.op('Expand', [b.op('Reshape', [param(i, 'token', op.token), ints([1, 1, d])]), ints([n, 1, d])]);
        put(b.op('Concat', [token, x!.name], { axis: 1 }), [n, t + 1, d]);
        break;
      }
      case 'addweight':
        put(b.op('Add', [x!.name, param(i, 'weight', op.weight)]), x!.shape);
        break;
      case 'taketoken': {
        const [n, , d] = x!.shape;
        put(b.op('Reshape', [b.op('Gather', [x!.name, ints([op.index])], { axis: 1 }), ints([n, d])]), [n, d]);
        break;
      }
      case 'attention': {
        // Per head on [N, H, T, d]: A = softmax(s·Q·Kᵀ), out = A·V, heads merged back to [N, T, H·d].
        const [n, t, inner] = x!.shape;
        const split = (v: string, perm: number[]) => b.op('Transpose', [b.op('Reshape', [v, ints([n, t, op.heads, op.headDim])])], { perm });
        const q = split(outs[node.inputs[0]].name, [0, 2, 1, 3]);
        const kT = split(outs[node.inputs[1]].name, [0, 2, 3, 1]);
        const v = split(outs[node.inputs[2]].name, [0, 2, 1, 3]);
        const a = b.op('Softmax', [b.op('Mul', [b.op('MatMul', [q, kT]), scalar(1 / Math.sqrt(op.headDim))])], { axis: -1 });
        const out = b.op('Reshape', [b.op('Transpose', [b.op('MatMul', [a, v])], { perm: [0, 2, 1, 3] }), ints([n, t, inner])]);
        put(out, [n, t, inner], { q, kT, v, a });
        break;
      }
      case 'batchnorm': {
        const c = x!.shape[x!.shape.length - 1];
        const axes = x!.shape.length === 4 ? [0, 2, 3] : [0];
        const { y, mean, variance, keep } = normalize(i, x!.name, axes, op, x!.shape.length === 4 ? [1, c, 1, 1] : [1, c]);
        const meanOut = b.op('Reshape', [mean, ints([c])]);
        const varOut = b.op('Reshape', [variance, ints([c])]);
        b.output(meanOut, { dtype: 'float32', shape: [c] });
        b.output(varOut, { dtype: 'float32', shape: [c] });
        batchStats.push({ node: i, mean: meanOut, variance: varOut, channels: c });
        put(y, x!.shape, keep);
        break;
      }
      case 'activation':
        if (op.fn === 'linear') put(x!.name, x!.shape);
        else if (op.fn === 'relu') put(b.op('Relu', [x!.name]), x!.shape, { x: x!.name });
        else if (op.fn === 'gelu') {
          // 0.5·x·(1 + erf(x/√2)), the exact GELU tfjs computes.
          const cdf = b.op('Mul', [b.op('Add', [b.op('Erf', [b.op('Div', [x!.name, scalar(Math.SQRT2)])]), scalar(1)]), scalar(0.5)]);
          put(b.op('Mul', [x!.name, cdf]), x!.shape, { geluX: x!.name, cdf });
        }
        else if (op.fn === 'softmax' && i === graph.output) put(x!.name, x!.shape);
        else throw new OnnxUnsupported(`training through activation ${op.fn}`);
        break;
      case 'maxpool': {
        const ph = op.padding === 'same' ? samePads(x!.shape[1], op.pool[0], op.strides[0], 1) : [0, 0];
        const pw = op.padding === 'same' ? samePads(x!.shape[2], op.pool[1], op.strides[1], 1) : [0, 0];
        const pads = [ph[0], pw[0], ph[1], pw[1]];
        const [y, indices] = b.opN('MaxPool', [x!.name], 2, { kernel_shape: op.pool, strides: op.strides, pads });
        const oh = Math.floor((x!.shape[1] + ph[0] + ph[1] - op.pool[0]) / op.strides[0]) + 1;
        const ow = Math.floor((x!.shape[2] + pw[0] + pw[1] - op.pool[1]) / op.strides[1]) + 1;
        const overlapping = op.strides[0] < op.pool[0] || op.strides[1] < op.pool[1];
        put(y, [batch, oh, ow, x!.shape[3]], { indices, pads: pads.join(','), overlapping: String(overlapping) });
        break;
      }
      case 'globalavgpool':
        put(b.op('Reshape', [b.op('GlobalAveragePool', [x!.name]), ints([batch, x!.shape[3]])]), [batch, x!.shape[3]]);
        break;
      case 'flatten': {
        const t = x!.shape.length === 4 ? b.op('Transpose', [x!.name], { perm: [0, 2, 3, 1] }) : x!.name;
        put(b.op('Reshape', [t, ints([batch, prod(x!.shape.slice(1))])]), [batch, prod(x!.shape.slice(1))]);
        break;
      }
      case 'zeropad': {
        const [[t, bo], [l, r]] = op.padding;
        put(b.op('Pad', [x!.name, ints([0, 0, t, l, 0, 0, bo, r])]), [batch, x!.shape[1] + t + bo, x!.shape[2] + l + r, x!.shape[3]]);
        break;
      }
      case 'identity':
        if (op.dropoutRate) {
          const mask = b.input({ name: `drop${i}`, dtype: 'float32', shape: phys(x!.shape) });
          dropout.push({ node: i, rate: op.dropoutRate, input: mask, shape: x!.shape });
          put(b.op('Mul', [x!.name, mask]), x!.shape, { mask });
        } else put(x!.name, x!.shape);
        break;
      case 'add':
        put(node.inputs.slice(1).reduce((acc, j) => b.op('Add', [acc, outs[j].name]), x!.name), x!.shape);
        break;
      default:
        throw new OnnxUnsupported(`training through ${op.type}`);
    }
  }

  const logits = outs[explained];
  const classes = logits.shape[1];
  const onehot = b.input({ name: 'onehot', dtype: 'float32', shape: [batch, classes] });
  const loss = b.op('Div', [b.op('Neg', [b.op('ReduceSum', [b.op('Mul', [onehot, b.op('LogSoftmax', [logits.name], { axis: 1 })]), ints([0, 1])], { keepdims: 0 })]), scalar(batch)]);
  b.output(loss, { dtype: 'float32', shape: [] });
  b.output(logits.name, { dtype: 'float32', shape: [batch, classes] });

  // Backward: gradients flow in reverse topological order; a value read twice gets the sum.
  const grads: (string | undefined)[] = new Array(graph.nodes.length);
  grads[explained] = b.op('Div', [b.op('Sub', [b.op('Softmax', [logits.name], { axis: 1 }), onehot]), scalar(batch)]);
  const addGrad = (j: number, g: string) => {
    grads[j] = grads[j] === undefined ? g : b.op('Add', [grads[j]!, g]);
  };
  const paramGrad = (node: number, key: ParamKey, g: string) => {
    const p = params.find((q) => q.node === node && q.key === key)!;
    p.grad = g;
    b.output(g, { dtype: 'float32', shape: p.shape });
  };
  /**
   * dW[dy, dx, c, o] = Σ_{n,y,x} xpad[n, c, y·s + dy, x·s + dx] · g[n, o, y, x]: the input's kh·kw shifted (strided)
   * views stacked as rows, times g, one GEMM per sample over the positions, summed over the batch; the result is
   * already in the kernel's [kh, kw, ci, co] order. As a Conv whose kernel is the whole output map (the textbook
   * form) onnxruntime ran it at ~9 GMAC/s; this takes the step from ~84 to ~67 ms (VGG-style, batch 64). The copies
   * of the views bound it (shifting g instead, or slicing flattened rows, measured no faster).
   */
  const kernelGradient = (x: string, g: string, k: { ci: number; co: number; kh: number; kw: number; oh: number; ow: number; pads: number[]; strides: [number, number] }): string => {
    const { ci, co, kh, kw, oh, ow, pads } = k;
    const stack = (parts: string[]) => (parts.length > 1 ? b.op('Concat', parts, { axis: 1 }) : parts[0]);
    const perSample = (a: string, bT: string) => b.op('ReduceSum', [b.op('MatMul', [a, b.op('Transpose', [bT], { perm: [0, 2, 1] })]), ints([0])], { keepdims: 0 });
    const [sh, sw] = k.strides;
    const xp = pads.some((v) => v > 0) ? b.op('Pad', [x, ints([0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]])]) : x;
    const taps: string[] = [];
    for (let dy = 0; dy < kh; dy++)
      for (let dx = 0; dx < kw; dx++) taps.push(b.op('Slice', [xp, ints([dy, dx]), ints([dy + (oh - 1) * sh + 1, dx + (ow - 1) * sw + 1]), ints([2, 3]), ints([sh, sw])]));
    const a = b.op('Reshape', [stack(taps), ints([batch, kh * kw * ci, oh * ow])]);
    return b.op('Reshape', [perSample(a, b.op('Reshape', [g, ints([batch, co, oh * ow])])), ints([kh, kw, ci, co])]);
  };
  for (let i = explained; i >= 0; i--) {
    const g = grads[i];
    const node = graph.nodes[i];
    if (g === undefined || node.op.type === 'input') continue;
    const op = node.op;
    const keep = saved.get(i) ?? {};
    const x = node.inputs.length ? outs[node.inputs[0]] : undefined;
    const needInput = node.inputs.length > 0 && graph.nodes[node.inputs[0]].op.type !== 'input';
    switch (op.type) {
      case 'conv2d': {
        const [kh, kw, ci, co] = op.kernel.shape as number[];
        const pads = keep.pads.split(',').map(Number);
        const [oh, ow] = [outs[i].shape[1], outs[i].shape[2]];
        if (needInput) {
          const back = [kh - 1 - pads[0], kw - 1 - pads[1], kh - 1 - pads[2], kw - 1 - pads[3]];
          if (op.strides[0] === 1 && op.strides[1] === 1 && back.every((v) => v >= 0)) {
            // Stride 1: the transposed conv is a conv with the kernel flipped and in/out swapped, which onnxruntime
            // runs faster than its ConvTranspose (~18 → ~9 ms of the VGG step). The flip is of the weights only.
            const flipped = b.op('Slice', [b.op('Transpose', [keep.wt], { perm: [1, 0, 2, 3] }), ints([kh - 1, kw - 1]), ints([-kh - 1, -kw - 1]), ints([2, 3]), ints([-1, -1])]);
            addGrad(node.inputs[0], b.op('Conv', [g, flipped], { kernel_shape: [kh, kw], strides: [1, 1], pads: back }));
          } else {
            const outPad = [x!.shape[1] - ((oh - 1) * op.strides[0] + kh - pads[0] - pads[2]), x!.shape[2] - ((ow - 1) * op.strides[1] + kw - pads[1] - pads[3])];
            addGrad(node.inputs[0], b.op('ConvTranspose', [g, keep.wt], { kernel_shape: [kh, kw], strides: op.strides, pads, output_padding: outPad }));
          }
        }
        paramGrad(i, 'kernel', kernelGradient(x!.name, g, { ci, co, kh, kw, oh, ow, pads, strides: op.strides }));
        if (op.bias) paramGrad(i, 'bias', b.op('ReduceSum', [g, ints([0, 2, 3])], { keepdims: 0 }));
        break;
      }
      case 'dense': {
        if (needInput) addGrad(node.inputs[0], b.op('MatMul', [g, b.op('Transpose', [keep.w], { perm: [1, 0] })]));
        // Tokens: the leading axes flattened into rows, so dW = Σ_rows xᵀ·g is one GEMM.
        const [din, dout] = op.kernel.shape;
        const rows = (t: string, cols: number) => (x!.shape.length > 2 ? b.op('Reshape', [t, ints([-1, cols])]) : t);
        const g2 = rows(g, dout);
        paramGrad(i, 'kernel', b.op('MatMul', [b.op('Transpose', [rows(x!.name, din)], { perm: [1, 0] }), g2]));
        if (op.bias) paramGrad(i, 'bias', b.op('ReduceSum', [g2, ints([0])], { keepdims: 0 }));
        break;
      }
      case 'layernorm': {
        const dx = normalizeBackward(i, op, g, keep, [-1], x!.shape.slice(0, -1).map((_, k) => k), needInput);
        if (dx) addGrad(node.inputs[0], dx);
        break;
      }
      case 'patches': {
        if (!needInput) break;
        const [n, h, w, c] = x!.shape;
        const p = op.size;
        const six = b.op('Reshape', [g, ints([n, h / p, w / p, p, p, c])]);
        addGrad(node.inputs[0], b.op('Reshape', [b.op('Transpose', [six], { perm: [0, 5, 1, 3, 2, 4] }), ints([n, c, h, w])]));
        break;
      }
      case 'classtoken': {
        const t = x!.shape[1];
        paramGrad(i, 'token', b.op('ReduceSum', [b.op('Slice', [g, ints([0]), ints([1]), ints([1])]), ints([0, 1])], { keepdims: 0 }));
        if (needInput) addGrad(node.inputs[0], b.op('Slice', [g, ints([1]), ints([t + 1]), ints([1])]));
        break;
      }
      case 'addweight':
        paramGrad(i, 'weight', b.op('ReduceSum', [g, ints([0])], { keepdims: 0 }));
        if (needInput) addGrad(node.inputs[0], g);
        break;
      case 'taketoken': {
        const [n, t, d] = x!.shape;
        // The taken token's gradient, zeros for the others.
        if (needInput) addGrad(node.inputs[0], b.op('Pad', [b.op('Reshape', [g, ints([n, 1, d])]), ints([0, op.index, 0, 0, t - 1 - op.index, 0])]));
        break;
      }
      case 'attention': {
        const [n, t, inner] = x!.shape;
        const s = 1 / Math.sqrt(op.headDim);
        const swap = (m: string) => b.op('Transpose', [m], { perm: [0, 1, 3, 2] });
        const merge = (m: string) => b.op('Reshape', [b.op('Transpose', [m], { perm: [0, 2, 1, 3] }), ints([n, t, inner])]);
        const dOut = b.op('Transpose', [b.op('Reshape', [g, ints([n, t, op.heads, op.headDim])])], { perm: [0, 2, 1, 3] });
        const dA = b.op('MatMul', [dOut, swap(keep.v)]);
        const dV = b.op('MatMul', [swap(keep.a), dOut]);
        // Softmax backward along the keys: dS = A ⊙ (dA − Σ_keys dA ⊙ A).
        const dS = b.op('Mul', [keep.a, b.op('Sub', [dA, b.op('ReduceSum', [b.op('Mul', [dA, keep.a]), ints([3])], { keepdims: 1 })])]);
        const dQ = b.op('Mul', [b.op('MatMul', [dS, swap(keep.kT)]), scalar(s)]);
        const dK = b.op('Mul', [b.op('MatMul', [swap(dS), keep.q]), scalar(s)]);
        addGrad(node.inputs[0], merge(dQ));
        addGrad(node.inputs[1], merge(dK));
        addGrad(node.inputs[2], merge(dV));
        break;
      }
      case 'batchnorm': {
        const axes = x!.shape.length === 4 ? [0, 2, 3] : [0];
        const dx = normalizeBackward(i, op, g, keep, axes, axes, needInput);
        if (dx) addGrad(node.inputs[0], dx);
        break;
      }
      case 'activation':
        if (!needInput) break;
        if (keep.geluX) {
          // d/dx 0.5·x·(1 + erf(x/√2)) = Φ(x) + x·φ(x).
          const pdf = b.op('Mul', [b.op('Exp', [b.op('Mul', [b.op('Mul', [keep.geluX, keep.geluX]), scalar(-0.5)])]), scalar(1 / Math.sqrt(2 * Math.PI))]);
          addGrad(node.inputs[0], b.op('Mul', [g, b.op('Add', [keep.cdf, b.op('Mul', [keep.geluX, pdf])])]));
        } else addGrad(node.inputs[0], keep.x ? b.op('Mul', [g, b.op('Cast', [b.op('Greater', [keep.x, scalar(0)])], { to: 1 })]) : g);
        break;
      case 'maxpool': {
        const pads = keep.pads.split(',').map(Number);
        if (keep.overlapping === 'true') {
          const flat = (t: string) => b.op('Reshape', [t, ints([-1])]);
          const zeros = b.op('Expand', [scalar(0), ints([prod(x!.shape)])]);
          addGrad(node.inputs[0], b.op('Reshape', [b.op('ScatterElements', [zeros, flat(keep.indices), flat(g)], { axis: 0, reduction: 'add' }), ints(phys(x!.shape))]));
        } else {
          addGrad(node.inputs[0], b.op('MaxUnpool', [g, keep.indices, ints(phys(x!.shape))], { kernel_shape: op.pool, strides: op.strides, pads }));
        }
        break;
      }
      case 'globalavgpool': {
        const [n, h, w, c] = x!.shape;
        const g4 = b.op('Reshape', [g, ints([n, c, 1, 1])]);
        addGrad(node.inputs[0], b.op('Expand', [b.op('Mul', [g4, scalar(1 / (h * w))]), ints(phys(x!.shape))]));
        break;
      }
      case 'flatten': {
        if (x!.shape.length === 4) {
          const [n, h, w, c] = x!.shape;
          addGrad(node.inputs[0], b.op('Transpose', [b.op('Reshape', [g, ints([n, h, w, c])])], { perm: [0, 3, 1, 2] }));
        } else addGrad(node.inputs[0], g);
        break;
      }
      case 'zeropad': {
        const [n, h, w, c] = x!.shape;
        const [[t], [l]] = op.padding;
        addGrad(node.inputs[0], b.op('Slice', [g, ints([0, 0, t, l]), ints([n, c, t + h, l + w])]));
        break;
      }
      case 'identity':
        addGrad(node.inputs[0], keep.mask ? b.op('Mul', [g, keep.mask]) : g);
        break;
      case 'add':
        for (const j of node.inputs) if (graph.nodes[j].op.type !== 'input') addGrad(j, g);
        break;
      default:
        throw new OnnxUnsupported(`training through ${op.type}`);
    }
  }
  for (const p of params) if (!p.grad) throw new OnnxUnsupported(`parameter ${p.key} of node ${p.node} gets no gradient`);
  return { bytes: b.encode(), params, dropout, batchStats, loss, logits: logits.name, classes };
}
