/**
 * A physically pruned ONNX model in the user's own structure and node names: every constant an imported engine node
 * records in its provenance (conv filters and their input slices, Gemm/MatMul rows and columns, biases, kept batch
 * norms, a fused q/k/v projection's thirds) is cut to the channels that survive (channel-flow.ts), and an imported
 * attention's shape constants (reshape targets, slice bounds) follow its number of heads. Nodes and initializers
 * nothing reads any more (the shape arithmetic the pruned constants replace) are dropped. The user's file is read,
 * never written.
 */
import { clone } from '@bufbuild/protobuf';
import { sliceConst } from './const-ops';
import {
  type ConstTensor,
  type GraphProto,
  type ModelProto,
  ModelProtoSchema,
  DTYPE,
  TensorProto_DataLocation,
  encodeModel,
  makeTensor,
  tensorValues,
} from './onnx-file';
import type { ImportedOnnx } from './import';

export interface PrunedOnnx {
  bytes: Uint8Array;
  /** Constants cut, by ONNX node name (or #index). */
  sliced: number;
}

interface Cut {
  node: number;
  input: number;
  /** Per axis, the indices kept (undefined: the whole axis). */
  keep: (number[] | undefined)[];
}

/** `active`: per engine node, per output channel, whether it survives (channelFlow). */
export function writePrunedOnnx(imported: ImportedOnnx, active: boolean[][]): PrunedOnnx {
  const model = clone(ModelProtoSchema, imported.source.model);
  const graph = model.graph!;
  const cuts = constantCuts(imported, graph, active);
  const initializers = new Map(graph.initializer.map((t, i) => [t.name, i]));
  const readers = new Map<string, number>();
  for (const n of graph.node) for (const i of n.input) readers.set(i, (readers.get(i) ?? 0) + 1);
  let sliced = 0;
  const replace = (nodeIndex: number, input: number, value: ConstTensor, hint: string) => {
    const node = graph.node[nodeIndex];
    const name = node.input[input];
    const tensor = toTensor(name, value);
    const at = initializers.get(name);
    if (at !== undefined && readers.get(name) === 1) {
      graph.initializer[at] = tensor;
    } else {
      // Shared, or computed by nodes (a folded Transpose, a Constant): a new initializer for this reader alone.
      const fresh = uniqueName(`${name.replace(/^\//, '').replace(/_output_0$/, '')}_${hint}`, initializers);
      tensor.name = fresh;
      graph.initializer.push(tensor);
      initializers.set(fresh, graph.initializer.length - 1);
      node.input[input] = fresh;
    }
  };
  for (const cut of cuts.values()) {
    const value = imported.facts.values.get(graph.node[cut.node].input[cut.input])!.value!;
    if (cut.keep.every((k, axis) => k === undefined || k.length === value.dims[axis])) continue;
    const ranges = value.dims.map((d, axis) => cut.keep[axis] ?? Array.from({ length: d }, (_, j) => j));
    replace(cut.node, cut.input, sliceConst(value, ranges), 'pruned');
    sliced++;
  }
  // A depthwise conv has one group per channel: its group count follows the channels it keeps.
  for (const [engineNode, prov] of imported.provenance) {
    if (imported.graph.nodes[engineNode].op.type !== 'depthwise') continue;
    const group = graph.node[prov.onnxNode].attribute.find((a) => a.name === 'group');
    if (group) group.i = BigInt(active[engineNode].filter(Boolean).length);
  }
  for (const { node: core, rewrites } of imported.headRewrites) {
    const op = imported.graph.nodes[core].op;
    if (op.type !== 'attention') continue;
    const heads = active[core].filter(Boolean).length / op.headDim;
    if (heads === op.heads) continue;
    for (const r of rewrites)
      replace(
        r.node,
        r.input,
        { kind: 'int', dims: [r.make(heads).length], data: Float64Array.from(r.make(heads)) },
        `heads${heads}`,
      );
  }
  dropUnread(model);
  // Weights the user's file kept in external data travel inside the pruned file (its own folder has no data file).
  graph.initializer = graph.initializer.map((t) =>
    t.dataLocation === TensorProto_DataLocation.EXTERNAL
      ? toTensor(t.name, tensorValues(t, imported.source.file), t.dataType)
      : t,
  );
  model.producerName = model.producerName ? `${model.producerName} + PXP Studio (pruned)` : 'PXP Studio (pruned)';
  // Batch sizes and shapes of intermediate values may have changed: drop stale value_info, keep input/output.
  graph.valueInfo = [];
  return { bytes: encodeModel(model), sliced };
}

/** Per constant input (node/input) that a surviving-channel mask reaches, the indices it keeps along each axis. */
function constantCuts(imported: ImportedOnnx, graph: GraphProto, active: boolean[][]): Map<string, Cut> {
  const cuts = new Map<string, Cut>();
  const keyOf = (node: number, input: number) => `${node}/${input}`;
  for (const [engineNode, prov] of imported.provenance) {
    const node = imported.graph.nodes[engineNode];
    for (const link of prov.links) {
      const value = graph.node[link.node].input[link.input];
      const c = imported.facts.values.get(value)?.value;
      if (!c) continue;
      const key = keyOf(link.node, link.input);
      const cut = cuts.get(key) ?? { node: link.node, input: link.input, keep: c.dims.map(() => undefined) };
      const flags = link.follows === 'out' ? active[engineNode] : active[node.inputs[0]];
      const len = c.dims[link.axis];
      let mask: boolean[];
      if (link.spatial !== undefined) {
        // After an NCHW flatten: entry c·S + p belongs to channel c (the flatten's input channels are its first C flags).
        const channels = len / link.spatial;
        mask = Array.from({ length: len }, (_, j) => flags[Math.floor(j / link.spatial!)] ?? true);
        if (flags.length < channels) throw new Error(`flatten provenance of '${node.name}' does not line up`);
      } else {
        const offset = link.offset ?? 0;
        const prev = cut.keep[link.axis];
        mask = Array.from({ length: len }, (_, j) => (prev ? prev.includes(j) : true));
        for (let ch = 0; ch < flags.length && offset + ch < len; ch++) mask[offset + ch] = flags[ch];
      }
      cut.keep[link.axis] = mask.flatMap((k, j) => (k ? [j] : []));
      cuts.set(key, cut);
    }
  }
  return cuts;
}

function uniqueName(base: string, taken: Map<string, number>): string {
  let name = base;
  for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
  return name;
}

/** A ConstTensor as a TensorProto of the original element type (float32 or int64). */
function toTensor(name: string, value: ConstTensor, dataType?: number) {
  if (value.kind === 'float') return makeTensor(name, value.dims, Float32Array.from(value.data));
  if (value.kind === 'int' && dataType === DTYPE.INT32)
    return makeTensor(name, value.dims, Int32Array.from(value.data), DTYPE.INT32);
  if (value.kind === 'int')
    return makeTensor(
      name,
      value.dims,
      BigInt64Array.from(value.data, (v) => BigInt(v)),
      DTYPE.INT64,
    );
  return makeTensor(name, value.dims, Uint8Array.from(value.data), DTYPE.BOOL);
}

/** Removes nodes whose outputs nothing reads (back from the graph output) and initializers no node reads. */
function dropUnread(model: ModelProto): void {
  const graph = model.graph!;
  const needed = new Set(graph.output.map((o) => o.name));
  const keep = new Array<boolean>(graph.node.length).fill(false);
  for (let k = graph.node.length - 1; k >= 0; k--) {
    const n = graph.node[k];
    if (n.output.some((o) => needed.has(o))) {
      keep[k] = true;
      for (const i of n.input) if (i) needed.add(i);
    }
  }
  graph.node = graph.node.filter((_, k) => keep[k]);
  graph.initializer = graph.initializer.filter((t) => needed.has(t.name));
  // Older exports list initializers among the inputs, with their (now stale) shapes: keep only the real inputs.
  const constants = new Set(graph.initializer.map((t) => t.name));
  graph.input = graph.input.filter((i) => !constants.has(i.name) && needed.has(i.name));
}
