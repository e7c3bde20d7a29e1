/**
 * Shapes of every value of an ONNX graph at one input shape, and the values of everything that is constant there:
 * initializers, Constant nodes and the shape arithmetic torch.onnx.export writes (Shape, Gather, Unsqueeze, Concat,
 * Slice, Expand, Where, ConstantOfShape, Cast, …), folded so that the importer sees plain reshape targets and
 * weights. The batch is analysed at one size (the file's static batch, else 1); ops that the engine runs keep only
 * their shapes.
 */
import { PxpError, badInput } from '../../errors';
import type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto } from './onnx-file';
import { type ConstTensor, DTYPE, TensorProto_DataLocation, dtypeName, tensorValues } from './onnx-file';
import { SHAPES_ONLY_FROM, type WeightMode } from './weights';
import {
  axisOf,
  broadcastShapes,
  concatConst,
  elementwise,
  expandConst,
  gatherConst,
  ints,
  resolveReshape,
  size,
  sliceConst,
  sliceRange,
  transposeConst,
  withData,
} from './const-ops';

export interface ValueFacts {
  shape: number[];
  /** Set when the value is the same for every input (weights, folded shape arithmetic). */
  value?: ConstTensor;
}

export interface GraphFacts {
  values: Map<string, ValueFacts>;
  /** The graph input (the one that is not an initializer). */
  input: { name: string; shape: number[]; batchDynamic: boolean; elemType: number };
  output: string;
  /** The batch size the shapes were computed at. */
  batch: number;
  opset: number;
}

export type AttrValue = number | number[] | string | ConstTensor | undefined;

/** A node's attributes by name (ints, floats, strings, lists, tensors). */
export function attributes(node: NodeProto, file: string): Map<string, AttrValue> {
  const out = new Map<string, AttrValue>();
  for (const a of node.attribute) out.set(a.name, attributeValue(a, file));
  return out;
}

function attributeValue(a: AttributeProto, file: string): AttrValue {
  switch (a.type) {
    case 1:
      return a.f;
    case 2:
      return Number(a.i);
    case 3:
      return new TextDecoder().decode(a.s);
    case 4:
      return a.t ? tensorValues(a.t, file) : undefined;
    case 6:
      return [...a.floats];
    case 7:
      return a.ints.map(Number);
    default:
      return undefined;
  }
}

const num = (attrs: Map<string, AttrValue>, name: string, fallback: number) =>
  typeof attrs.get(name) === 'number' ? (attrs.get(name) as number) : fallback;
const list = (attrs: Map<string, AttrValue>, name: string): number[] | undefined =>
  Array.isArray(attrs.get(name)) ? (attrs.get(name) as number[]) : undefined;

/** Conv/pool output size along one axis (ONNX: explicit pads, floor unless ceil_mode). */
export function pooledSize(
  inSize: number,
  k: number,
  stride: number,
  padBefore: number,
  padAfter: number,
  dilation = 1,
  ceil = false,
): number {
  const span = (k - 1) * dilation + 1;
  const v = (inSize + padBefore + padAfter - span) / stride;
  return (ceil ? Math.ceil(v) : Math.floor(v)) + 1;
}

/** The explicit pads of a Conv or pool node ([top, left, bottom, right] in ONNX order), auto_pad resolved. */
export function nodePads(
  attrs: Map<string, AttrValue>,
  inHW: number[],
  kernel: number[],
  strides: number[],
  dilations: number[],
): number[] {
  const auto = (attrs.get('auto_pad') as string | undefined) ?? 'NOTSET';
  if (auto === 'NOTSET') return list(attrs, 'pads') ?? [0, 0, 0, 0];
  if (auto === 'VALID') return [0, 0, 0, 0];
  const pads = [0, 0, 0, 0];
  for (let d = 0; d < 2; d++) {
    const out = Math.ceil(inHW[d] / strides[d]);
    const total = Math.max(0, (out - 1) * strides[d] + (kernel[d] - 1) * dilations[d] + 1 - inHW[d]);
    const small = Math.floor(total / 2);
    pads[d] = auto === 'SAME_UPPER' ? small : total - small;
    pads[d + 2] = total - pads[d];
  }
  return pads;
}

export class ShapeError extends Error {}

/** A NaN or infinite weight would flow into every score and curve: refused, naming the initializer. */
function checkFinite(data: Float32Array, name: string, file: string): void {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) refuseNonFinite(data[i], i, name, file);
}

function refuseNonFinite(value: number, index: number, name: string, file: string): never {
  throw badInput(
    `${file}: tensor '${name}' holds ${value} (at flat index ${index})`,
    'the weights are damaged or training diverged: export the model again from a checkpoint with finite weights',
  );
}

/** checkFinite on little-endian float32 bytes, without decoding them: NaN and ±∞ are the values whose exponent is all ones. */
function checkFiniteBytes(raw: Uint8Array, name: string, file: string): void {
  for (let i = 3; i < raw.length; i += 4)
    if ((raw[i] & 0x7f) === 0x7f && (raw[i - 1] & 0x80) !== 0)
      refuseNonFinite(new DataView(raw.buffer, raw.byteOffset + i - 3, 4).getFloat32(0, true), (i - 3) / 4, name, file);
}

/**
 * A large float32 initializer held in the file as zeros of its shape (a fresh array: pages the OS maps only when
 * written), its bytes checked as checkFinite does; undefined for any other (decoded as usual, errors and all).
 */
function unreadWeight(t: TensorProto, file: string): ConstTensor | undefined {
  if (t.dataType !== DTYPE.FLOAT || t.dataLocation === TensorProto_DataLocation.EXTERNAL) return undefined;
  const dims = t.dims.map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) return undefined;
  const n = dims.reduce((a, b) => a * b, 1);
  if (n < SHAPES_ONLY_FROM || t.rawData.byteLength !== n * 4) return undefined;
  checkFiniteBytes(t.rawData, t.name, file);
  return { kind: 'float', dims, data: new Float32Array(n) };
}

/** The model's one input (its one output checked too): a float32 tensor of a fixed sample shape (or --input-shape). */
function checkedInput(graph: GraphProto, values: Map<string, ValueFacts>, file: string, inputShape?: number[]) {
  const inputs = graph.input.filter((i) => !values.has(i.name));
  if (inputs.length !== 1)
    throw badInput(
      `${file}: the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')})`,
      'PXP prunes models with one input tensor (an image batch)',
    );
  if (graph.output.length !== 1)
    throw badInput(
      `${file}: the model has ${graph.output.length} outputs`,
      'PXP prunes models with one output (the logits); export only that',
    );
  const inputInfo = inputs[0];
  const kind = inputInfo.type?.value.case;
  if (kind && kind !== 'tensorType')
    throw badInput(
      `${file}: input '${inputInfo.name}' is not a tensor (its type is ${kind.replace(/Type$/, '')})`,
      'PXP feeds one float32 tensor (an image batch)',
    );
  const tensorType = inputInfo.type?.value.case === 'tensorType' ? inputInfo.type.value.value : undefined;
  const elemType = tensorType?.elemType ?? DTYPE.FLOAT;
  if (elemType !== DTYPE.FLOAT)
    throw badInput(
      `${file}: input '${inputInfo.name}' is ${dtypeName(elemType)}`,
      'PXP feeds float32 images: export with a float32 example input',
    );
  const dims = tensorType?.shape?.dim ?? [];
  const declared = dims.map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : undefined));
  const batchDynamic = declared[0] === undefined;
  const batch = declared[0] ?? 1;
  let sample = declared.slice(1);
  if (inputShape) {
    if (inputShape.length !== sample.length || sample.some((d, i) => d !== undefined && d !== inputShape[i])) {
      throw badInput(
        `${file}: input '${inputInfo.name}' is [${declared.map((d) => d ?? '?').join(', ')}], not [N, ${inputShape.join(', ')}]`,
        'give --input-shape the sample shape the model was exported for',
      );
    }
    sample = inputShape;
  }
  if (dims.length === 0 || sample.some((d) => d === undefined)) {
    throw badInput(
      `${file}: input '${inputInfo.name}' has dynamic sizes [${declared.map((d) => d ?? '?').join(', ')}]`,
      'export with a fixed image size (dynamic_axes only for the batch), or pass --input-shape C,H,W',
    );
  }
  return { inputInfo, batch, sample: sample as number[], batchDynamic, elemType };
}

/** `weights` 'shapes': large float initializers are not decoded (weights.ts); their facts hold zeros of their shape. */
export function inferGraph(
  model: ModelProto,
  file: string,
  inputShape?: number[],
  weights: WeightMode = 'values',
): GraphFacts {
  const graph = model.graph!;
  const opsetEntry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  const opset = opsetEntry ? Number(opsetEntry.version) : 0;
  const values = new Map<string, ValueFacts>();
  for (const t of graph.initializer) {
    const unread = weights === 'shapes' ? unreadWeight(t, file) : undefined;
    if (unread) {
      values.set(t.name, { shape: unread.dims, value: unread });
      continue;
    }
    const v = tensorValues(t, file);
    if (v.kind === 'float') checkFinite(v.data, t.name, file);
    values.set(t.name, { shape: v.dims, value: v });
  }
  const { inputInfo, batch, sample, batchDynamic, elemType } = checkedInput(graph, values, file, inputShape);
  values.set(inputInfo.name, { shape: [batch, ...sample] });

  for (const node of graph.node) {
    const where = `${file}: node '${node.name || node.opType}' (${node.opType})`;
    if (node.domain && node.domain !== 'ai.onnx')
      throw badInput(`${where} is in domain '${node.domain}'`, 'PXP reads standard ONNX ops only');
    let outs: ValueFacts[];
    try {
      outs = inferNode(
        node,
        node.input.map((n) => (n === '' ? undefined : values.get(n))),
        attributes(node, file),
      );
    } catch (e) {
      // Shape problems (and bad constants the folding meets) name the node; PXP's own errors pass as they are.
      if (e instanceof PxpError) throw e;
      throw badInput(
        `${where}: ${(e as Error).message}`,
        'export the model again (opset 13–17); if it runs in onnxruntime, report this as a PXP bug',
      );
    }
    node.output.forEach((name, i) => {
      if (name && outs[i]) values.set(name, outs[i]);
    });
  }
  const output = graph.output[0].name;
  if (!values.has(output))
    throw badInput(`${file}: the output '${output}' is not produced by any node`, 'export the model again');
  return {
    values,
    input: { name: inputInfo.name, shape: [batch, ...sample], batchDynamic, elemType },
    output,
    batch,
    opset,
  };
}

/** Output facts of one node from its inputs' facts. Throws ShapeError for an op it does not know. */
// Long: one short case per ONNX op type, a table read by op name; splitting it would scatter the table.
function inferNode(node: NodeProto, ins: (ValueFacts | undefined)[], attrs: Map<string, AttrValue>): ValueFacts[] {
  const need = (i: number) => {
    const v = ins[i];
    if (!v) throw new ShapeError(`input ${i} is missing or unknown`);
    return v;
  };
  const constIn = (i: number) => ins[i]?.value;
  const allConst = ins.every((v) => v === undefined || v.value !== undefined);
  const same = (): ValueFacts[] => [{ shape: need(0).shape }];
  const fold = (f: () => ConstTensor): ValueFacts[] => {
    const v = f();
    return [{ shape: v.dims, value: v }];
  };
  const binary = (f: (a: number, b: number) => number, kind?: ConstTensor['kind']): ValueFacts[] => {
    const a = need(0);
    const b = need(1);
    // Before opset 7, `broadcast` lined B up at `axis`: that is numpy's broadcasting only when B ends where A ends.
    const legacyAxis = attrs.get('broadcast') === 1 ? attrs.get('axis') : undefined;
    if (typeof legacyAxis === 'number' && axisOf(legacyAxis, a.shape.length) + b.shape.length !== a.shape.length) {
      throw new ShapeError(`a legacy broadcast (opset < 7) of [${b.shape}] at axis ${legacyAxis} of [${a.shape}]`);
    }
    if (allConst)
      return fold(() =>
        elementwise(
          [a.value!, b.value!],
          f,
          kind ?? (a.value!.kind === 'float' || b.value!.kind === 'float' ? 'float' : a.value!.kind),
        ),
      );
    const shape = broadcastShapes(a.shape, b.shape);
    if (!shape) throw new ShapeError(`shapes [${a.shape}] and [${b.shape}] do not broadcast`);
    return [{ shape }];
  };
  // Max and Min take one input or more.
  const variadic = (f: (...xs: number[]) => number): ValueFacts[] => {
    const parts = ins.map((_, i) => need(i));
    if (allConst)
      return fold(() =>
        elementwise(
          parts.map((p) => p.value!),
          f,
          parts.some((p) => p.value!.kind === 'float') ? 'float' : parts[0].value!.kind,
        ),
      );
    const shape = parts
      .slice(1)
      .reduce<number[] | undefined>((s, p) => s && broadcastShapes(s, p.shape), parts[0].shape);
    if (!shape) throw new ShapeError(`shapes ${parts.map((p) => `[${p.shape}]`).join(', ')} do not broadcast`);
    return [{ shape }];
  };
  const unary = (f: (a: number) => number): ValueFacts[] =>
    allConst ? fold(() => elementwise([need(0).value!], f, need(0).value!.kind === 'int' ? 'int' : 'float')) : same();
  switch (node.opType) {
    case 'Constant': {
      const t = attrs.get('value');
      if (t && typeof t === 'object' && !Array.isArray(t)) return fold(() => t as ConstTensor);
      const f = attrs.get('value_float');
      if (typeof f === 'number') return fold(() => withData('float', [], [f]));
      const i = attrs.get('value_int');
      if (typeof i === 'number') return fold(() => withData('int', [], [i]));
      const is = list(attrs, 'value_ints');
      if (is) return fold(() => ints(is));
      const fs = list(attrs, 'value_floats');
      if (fs) return fold(() => withData('float', [fs.length], fs));
      throw new ShapeError('a Constant without a value PXP reads');
    }
    case 'Identity':
    case 'Dropout':
      return [{ ...need(0) }, { shape: need(0).shape }];
    case 'Shape': {
      const shape = need(0).shape;
      const start = axisOf(num(attrs, 'start', 0), shape.length);
      const end = attrs.has('end') ? axisOf(num(attrs, 'end', shape.length), shape.length) : shape.length;
      return fold(() => ints(shape.slice(start, end)));
    }
    case 'Size':
      return fold(() => withData('int', [], [size(need(0).shape)]));
    case 'Cast': {
      const to = num(attrs, 'to', DTYPE.FLOAT);
      const kind: ConstTensor['kind'] =
        to === DTYPE.FLOAT || to === DTYPE.DOUBLE || to === DTYPE.FLOAT16
          ? 'float'
          : to === DTYPE.BOOL
            ? 'bool'
            : 'int';
      if (allConst)
        return fold(() =>
          elementwise(
            [need(0).value!],
            (v) => (kind === 'int' ? Math.trunc(v) : kind === 'bool' ? (v ? 1 : 0) : v),
            kind,
          ),
        );
      return same();
    }
    case 'Gather': {
      const data = need(0);
      const idx = need(1);
      const axis = axisOf(num(attrs, 'axis', 0), data.shape.length);
      if (allConst) return fold(() => gatherConst(data.value!, idx.value!, axis));
      return [{ shape: [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)] }];
    }
    case 'Unsqueeze':
    case 'Squeeze': {
      const data = need(0);
      const axesList =
        node.opType === 'Unsqueeze' || constIn(1) || ins[1] === undefined
          ? constIn(1)
            ? [...constIn(1)!.data]
            : list(attrs, 'axes')
          : undefined;
      let shape: number[];
      if (node.opType === 'Unsqueeze') {
        const rank = data.shape.length + (axesList?.length ?? 0);
        const axes = (axesList ?? []).map((a) => axisOf(a, rank)).sort((a, b) => a - b);
        shape = [...data.shape];
        for (const a of axes) shape.splice(a, 0, 1);
      } else {
        const axes = axesList
          ? axesList.map((a) => axisOf(a, data.shape.length))
          : data.shape.flatMap((d, i) => (d === 1 ? [i] : []));
        shape = data.shape.filter((_, i) => !axes.includes(i));
      }
      if (data.value) return fold(() => withData(data.value!.kind, shape, data.value!.data));
      return [{ shape }];
    }
    case 'Concat': {
      const parts = ins.filter((v): v is ValueFacts => v !== undefined);
      const axis = axisOf(num(attrs, 'axis', 0), parts[0].shape.length);
      if (allConst)
        return fold(() =>
          concatConst(
            parts.map((p) => p.value!),
            axis,
          ),
        );
      const shape = [...parts[0].shape];
      shape[axis] = parts.reduce((a, p) => a + p.shape[axis], 0);
      return [{ shape }];
    }
    case 'Slice': {
      const data = need(0);
      // Before opset 10 the bounds were attributes.
      const fromAttr = (name: string) => (list(attrs, name) ? ints(list(attrs, name)!) : undefined);
      const starts = ins.length > 1 ? constIn(1) : fromAttr('starts');
      const ends = ins.length > 2 ? constIn(2) : fromAttr('ends');
      if (!starts || !ends) throw new ShapeError('Slice bounds that are not constant at this input shape');
      const rank = data.shape.length;
      const axesGiven = ins.length > 1 ? constIn(3) : fromAttr('axes');
      const axes = axesGiven ? [...axesGiven.data].map((a) => axisOf(a, rank)) : [...starts.data].map((_, i) => i);
      const steps = constIn(4) ? [...constIn(4)!.data] : axes.map(() => 1);
      const ranges = data.shape.map((d) => Array.from({ length: d }, (_, i) => i));
      axes.forEach((a, i) => (ranges[a] = sliceRange(data.shape[a], starts.data[i], ends.data[i], steps[i])));
      if (data.value) return fold(() => sliceConst(data.value!, ranges));
      return [{ shape: ranges.map((r) => r.length) }];
    }
    case 'Split': {
      const data = need(0);
      const axis = axisOf(num(attrs, 'axis', 0), data.shape.length);
      const splitArg = constIn(1) ? [...constIn(1)!.data] : list(attrs, 'split');
      const count = node.output.length;
      const sizes = splitArg ?? Array.from({ length: count }, () => data.shape[axis] / count);
      let start = 0;
      return sizes.map((s) => {
        const ranges = data.shape.map((d) => Array.from({ length: d }, (_, i) => i));
        ranges[axis] = ranges[axis].slice(start, start + s);
        start += s;
        if (data.value) {
          const v = sliceConst(data.value, ranges);
          return { shape: v.dims, value: v };
        }
        return { shape: ranges.map((r) => r.length) };
      });
    }
    case 'Reshape': {
      const data = need(0);
      const target = constIn(1);
      if (!target) throw new ShapeError('a Reshape target that is not constant at this input shape');
      const shape = resolveReshape(data.shape, [...target.data], num(attrs, 'allowzero', 0) === 1);
      if (data.value) return fold(() => withData(data.value!.kind, shape, data.value!.data));
      return [{ shape }];
    }
    case 'Flatten': {
      const data = need(0);
      const axis = axisOf(num(attrs, 'axis', 1), data.shape.length);
      const shape = [size(data.shape.slice(0, axis)), size(data.shape.slice(axis))];
      if (data.value) return fold(() => withData(data.value!.kind, shape, data.value!.data));
      return [{ shape }];
    }
    case 'Transpose': {
      const data = need(0);
      const perm = list(attrs, 'perm') ?? data.shape.map((_, i) => data.shape.length - 1 - i);
      if (data.value) return fold(() => transposeConst(data.value!, perm));
      return [{ shape: perm.map((p) => data.shape[p]) }];
    }
    case 'Expand': {
      const data = need(0);
      const shapeT = constIn(1);
      if (!shapeT) throw new ShapeError('an Expand shape that is not constant at this input shape');
      if (data.value) return fold(() => expandConst(data.value!, [...shapeT.data]));
      const shape = broadcastShapes(data.shape, [...shapeT.data]);
      if (!shape) throw new ShapeError(`cannot expand [${data.shape}] to [${[...shapeT.data]}]`);
      return [{ shape }];
    }
    case 'ConstantOfShape': {
      const shapeT = constIn(0);
      if (!shapeT) throw new ShapeError('a ConstantOfShape shape that is not constant');
      const fill = attrs.get('value') as ConstTensor | undefined;
      const dims = [...shapeT.data];
      return fold(() =>
        withData(fill?.kind ?? 'float', dims, new Array<number>(size(dims)).fill(fill ? fill.data[0] : 0)),
      );
    }
    case 'Range': {
      const [s, l, d] = [0, 1, 2].map((i) => constIn(i)?.data[0]);
      if (s === undefined || l === undefined || d === undefined) throw new ShapeError('a Range that is not constant');
      const out: number[] = [];
      for (let v = s; d > 0 ? v < l : v > l; v += d) out.push(v);
      return fold(() => withData(constIn(0)!.kind, [out.length], out));
    }
    case 'Equal':
      return binary((a, b) => (a === b ? 1 : 0), 'bool');
    case 'Less':
      return binary((a, b) => (a < b ? 1 : 0), 'bool');
    case 'Greater':
      return binary((a, b) => (a > b ? 1 : 0), 'bool');
    case 'Not':
      return unary((a) => (a ? 0 : 1));
    case 'Where': {
      const [c, a, b] = [need(0), need(1), need(2)];
      if (allConst)
        return fold(() => elementwise([c.value!, a.value!, b.value!], (k, p, q) => (k ? p : q), a.value!.kind));
      const shape = broadcastShapes(broadcastShapes(c.shape, a.shape) ?? [], b.shape);
      if (!shape) throw new ShapeError('Where inputs do not broadcast');
      return [{ shape }];
    }
    case 'Add':
      return binary((a, b) => a + b);
    case 'Sub':
      return binary((a, b) => a - b);
    case 'Mul':
      return binary((a, b) => a * b);
    case 'Div':
      return binary((a, b) =>
        need(0).value?.kind === 'int' && need(1).value?.kind === 'int' ? Math.trunc(a / b) : a / b,
      );
    case 'Pow':
      return binary((a, b) => a ** b);
    case 'Max':
      return variadic(Math.max);
    case 'Min':
      return variadic(Math.min);
    case 'Sqrt':
      return unary(Math.sqrt);
    case 'Neg':
      return unary((a) => -a);
    case 'Floor':
      return unary(Math.floor);
    case 'Ceil':
      return unary(Math.ceil);
    case 'Reciprocal':
      return unary((a) => 1 / a);
    case 'Relu':
    case 'Clip':
    case 'Sigmoid':
    case 'LeakyRelu':
    case 'Tanh':
    case 'Erf':
    case 'Softmax':
    case 'HardSigmoid':
    case 'HardSwish':
    case 'Elu':
    case 'Exp':
    case 'Abs':
      if (allConst && node.opType === 'Relu') return unary((a) => Math.max(a, 0));
      return same();
    case 'BatchNormalization':
    case 'LayerNormalization':
    case 'InstanceNormalization':
      return same();
    case 'ReduceMean':
    case 'ReduceSum': {
      const data = need(0);
      const axesT = node.opType === 'ReduceSum' || constIn(1) ? constIn(1) : undefined;
      const axes = (axesT ? [...axesT.data] : (list(attrs, 'axes') ?? data.shape.map((_, i) => i))).map((a) =>
        axisOf(a, data.shape.length),
      );
      const keep = num(attrs, 'keepdims', 1) === 1;
      return [{ shape: data.shape.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d])) }];
    }
    case 'Conv': {
      const data = need(0);
      const w = need(1);
      const k = list(attrs, 'kernel_shape') ?? w.shape.slice(2);
      if (data.shape.length !== 4 || k.length !== 2)
        throw new ShapeError(`Conv of rank ${data.shape.length}; PXP supports 2-D convolutions (NCHW)`);
      const strides = list(attrs, 'strides') ?? [1, 1];
      const dil = list(attrs, 'dilations') ?? [1, 1];
      const pads = nodePads(attrs, data.shape.slice(2), k, strides, dil);
      return [
        {
          shape: [
            data.shape[0],
            w.shape[0],
            pooledSize(data.shape[2], k[0], strides[0], pads[0], pads[2], dil[0]),
            pooledSize(data.shape[3], k[1], strides[1], pads[1], pads[3], dil[1]),
          ],
        },
      ];
    }
    case 'MaxPool':
    case 'AveragePool': {
      const data = need(0);
      const k = list(attrs, 'kernel_shape')!;
      const strides = list(attrs, 'strides') ?? [1, 1];
      const dil = list(attrs, 'dilations') ?? [1, 1];
      const pads = nodePads(attrs, data.shape.slice(2), k, strides, dil);
      const ceil = num(attrs, 'ceil_mode', 0) === 1;
      const out = [
        data.shape[0],
        data.shape[1],
        pooledSize(data.shape[2], k[0], strides[0], pads[0], pads[2], dil[0], ceil),
        pooledSize(data.shape[3], k[1], strides[1], pads[1], pads[3], dil[1], ceil),
      ];
      return [{ shape: out }, { shape: out }];
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool': {
      const s = need(0).shape;
      return [{ shape: [s[0], s[1], ...s.slice(2).map(() => 1)] }];
    }
    case 'Gemm': {
      const a = need(0).shape;
      const b = need(1).shape;
      const m = num(attrs, 'transA', 0) ? a[1] : a[0];
      const n = num(attrs, 'transB', 0) ? b[0] : b[1];
      return [{ shape: [m, n] }];
    }
    case 'MatMul': {
      const a = need(0).shape;
      const b = need(1).shape;
      if (a.length < 2 || b.length < 2) throw new ShapeError('MatMul of vectors is not supported');
      const batchDims = broadcastShapes(a.slice(0, -2), b.slice(0, -2));
      if (!batchDims || a[a.length - 1] !== b[b.length - 2]) throw new ShapeError(`MatMul of [${a}] and [${b}]`);
      return [{ shape: [...batchDims, a[a.length - 2], b[b.length - 1]] }];
    }
    default:
      throw new ShapeError(`op ${node.opType} is not supported`);
  }
}
