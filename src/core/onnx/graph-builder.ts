/**
 * Builds an ONNX model (opset 17) node by node and encodes it (field numbers from onnx.proto). Values are named by
 * the builder; constants become initializers. Used to compile LRP passes into one inference graph.
 */
import { ProtoWriter } from './protobuf';

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
    const dtype: OnnxDType = data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64' : data instanceof BigInt64Array ? 'int64' : 'int32';
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

  encode(): Uint8Array {
    const w = new ProtoWriter();
    w.int(1, 8); // ir_version
    w.string(2, 'pxp-studio');
    w.message(7, (g) => {
      for (const n of this.nodes) {
        g.message(1, (nw) => {
          for (const i of n.inputs) nw.string(1, i);
          for (const o of n.outputs) nw.string(2, o);
          nw.string(3, n.outputs[0]);
          nw.string(4, n.op);
          for (const [name, value] of Object.entries(n.attrs)) nw.message(5, (aw) => encodeAttr(aw, name, value));
        });
      }
      g.string(2, 'pxp');
      for (const t of this.inits) g.message(5, (tw) => encodeTensor(tw, t));
      for (const v of this.inputs) g.message(11, (vw) => encodeValueInfo(vw, v));
      for (const v of this.outputs) g.message(12, (vw) => encodeValueInfo(vw, v));
    });
    w.message(8, (o) => o.string(1, '').int(2, 17));
    return w.finish();
  }
}

function encodeAttr(w: ProtoWriter, name: string, value: AttrValue): void {
  w.string(1, name);
  if (typeof value === 'number') {
    w.int(3, value).int(20, 2);
  } else if (typeof value === 'string') {
    w.string(4, value).int(20, 3);
  } else if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    w.int(20, 7);
  } else if ('floats' in value) {
    for (const v of value.floats) w.float(7, v);
    w.int(20, 6);
  } else {
    w.float(2, value.float).int(20, 1);
  }
}

function encodeTensor(w: ProtoWriter, t: Initializer): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, DTYPE_CODE[t.dtype]);
  w.string(8, t.name);
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function encodeValueInfo(w: ProtoWriter, v: ValueSpec): void {
  w.string(1, v.name);
  w.message(2, (tw) =>
    tw.message(1, (tt) => {
      tt.int(1, DTYPE_CODE[v.dtype]);
      tt.message(2, (sw) => {
        for (const d of v.shape) sw.message(1, (dw) => (typeof d === 'number' ? dw.int(1, d) : dw.string(2, d)));
      });
    }),
  );
}
