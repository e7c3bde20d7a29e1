/**
 * Builds an ONNX model (opset 17) node by node and encodes it with onnx-buf, the schema the importer reads ONNX
 * files with. Values are named by the builder; constants become initializers. Used to compile LRP passes, forward
 * passes and training steps into inference graphs for onnxruntime.
 */
import { type MessageInitShape, create } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType,
  type AttributeProtoSchema,
  ModelProtoSchema,
  type ValueInfoProtoSchema,
  encodeModel,
} from '../io/onnx/onnx-file';

export type OnnxDType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';
const DTYPE_CODE: Record<OnnxDType, number> = { float32: 1, int32: 6, int64: 7, bool: 9, float64: 11 };

export type AttrValue = number | number[] | string | { floats: number[] } | { float: number };

interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

interface Initializer {
  name: string;
  dims: number[];
  dtype: OnnxDType;
  data: Float32Array | Float64Array | BigInt64Array | Int32Array;
}

export interface ValueSpec {
  name: string;
  dtype: OnnxDType;
  /** A string for a symbolic dimension (the batch). */
  shape: (number | string)[];
}

export class OnnxGraphBuilder {
  private nodes: NodeSpec[] = [];
  private inits: Initializer[] = [];
  private counter = 0;
  readonly inputs: ValueSpec[] = [];
  readonly outputs: ValueSpec[] = [];

  fresh(hint = 'v'): string {
    return `${hint}_${this.counter++}`;
  }

  input(spec: ValueSpec): string {
    this.inputs.push(spec);
    return spec.name;
  }

  output(name: string, spec: Omit<ValueSpec, 'name'>): void {
    this.outputs.push({ name, ...spec });
  }

  constant(data: Float32Array | Float64Array | BigInt64Array | Int32Array, dims: number[], hint = 'c'): string {
    const name = this.fresh(hint);
    const dtype: OnnxDType =
      data instanceof Float32Array
        ? 'float32'
        : data instanceof Float64Array
          ? 'float64'
          : data instanceof BigInt64Array
            ? 'int64'
            : 'int32';
    this.inits.push({ name, dims, dtype, data });
    return name;
  }

  scalar(value: number): string {
    return this.constant(Float32Array.of(value), [], 's');
  }

  ints(values: number[]): string {
    return this.constant(BigInt64Array.from(values.map((v) => BigInt(v))), [values.length], 'i');
  }

  /** Adds a node with one output and returns that output's name. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    const out = this.fresh(op.toLowerCase());
    this.nodes.push({ op, inputs, outputs: [out], attrs });
    return out;
  }

  /** Adds a node with several outputs. */
  opN(op: string, inputs: string[], count: number, attrs: Record<string, AttrValue> = {}): string[] {
    const outs = Array.from({ length: count }, () => this.fresh(op.toLowerCase()));
    this.nodes.push({ op, inputs, outputs: outs, attrs });
    return outs;
  }

  /** The model as ONNX bytes, through the same schema (onnx-buf) the importer reads with. */
  encode(): Uint8Array {
    const model = create(ModelProtoSchema, {
      irVersion: 8n,
      producerName: 'pxp-studio',
      opsetImport: [{ domain: '', version: 17n }],
      graph: {
        name: 'pxp',
        node: this.nodes.map((n) => ({
          input: n.inputs,
          output: n.outputs,
          name: n.outputs[0],
          opType: n.op,
          attribute: Object.entries(n.attrs).map(([name, value]) => attribute(name, value)),
        })),
        initializer: this.inits.map((t) => ({
          name: t.name,
          dims: t.dims.map(BigInt),
          dataType: DTYPE_CODE[t.dtype],
          rawData: new Uint8Array(t.data.buffer as ArrayBuffer, t.data.byteOffset, t.data.byteLength),
        })),
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
    });
    return encodeModel(model);
  }
}

function attribute(name: string, value: AttrValue): MessageInitShape<typeof AttributeProtoSchema> {
  if (typeof value === 'number') return { name, i: BigInt(value), type: AttributeProto_AttributeType.INT };
  if (typeof value === 'string')
    return { name, s: new TextEncoder().encode(value), type: AttributeProto_AttributeType.STRING };
  if (Array.isArray(value)) return { name, ints: value.map(BigInt), type: AttributeProto_AttributeType.INTS };
  if ('floats' in value) return { name, floats: value.floats, type: AttributeProto_AttributeType.FLOATS };
  return { name, f: value.float, type: AttributeProto_AttributeType.FLOAT };
}

function valueInfo(v: ValueSpec): MessageInitShape<typeof ValueInfoProtoSchema> {
  const dim = v.shape.map((d) =>
    typeof d === 'number'
      ? { value: { case: 'dimValue' as const, value: BigInt(d) } }
      : { value: { case: 'dimParam' as const, value: d } },
  );
  return {
    name: v.name,
    type: { value: { case: 'tensorType', value: { elemType: DTYPE_CODE[v.dtype], shape: { dim } } } },
  };
}
