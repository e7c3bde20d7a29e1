/**
 * Loading an ONNX model (as torch.onnx.export writes it: opsets 13–17, eval mode, batch norms folded or kept,
 * static or dynamic batch, external data) into the engine's graph. See to-graph.ts for the conversion and
 * onnx.md for what the exports contain.
 */
import { badInput } from '../../errors';
import { type OnnxFile, type TensorProto, opsetOf, readOnnxFile, tensorValues } from './onnx-file';
import { type GraphFacts, type ValueFacts, inferGraph } from './shape-inference';
import { type ImportedGraph, checkSupportedOps, importGraph } from './to-graph';
import { type WeightMode, weightSink } from './weights';

export interface ImportedOnnx extends ImportedGraph {
  source: OnnxFile;
  facts: GraphFacts;
  opset: number;
  producer: string;
}

/**
 * Exports from torch.onnx are 13–17. Older files are read too: where an op's meaning changed since opset 6 for the ops
 * PXP reads, the difference is handled or refused op by op (Softmax's axis, Slice's bounds as attributes, the legacy
 * `broadcast` of binary ops, batch norm's `spatial`).
 */
export const MIN_OPSET = 6;
export const MAX_OPSET = 17;

/** `weights` 'shapes' reads the structure only (weights.ts): the graph's weights are zeros, for summaries and groups. */
export function importOnnx(file: string, opts: { inputShape?: number[]; weights?: WeightMode } = {}): ImportedOnnx {
  const source = readOnnxFile(file);
  const opset = opsetOf(source.model);
  if (opset < MIN_OPSET || opset > MAX_OPSET + 4) {
    throw badInput(
      `${file}: exported with opset ${opset}; PXP reads opsets ${MIN_OPSET}–${MAX_OPSET} (PyTorch's exports: 13–17)`,
      `export again with torch.onnx.export(…, opset_version=${MAX_OPSET})`,
    );
  }
  checkSupportedOps(source.model, file);
  const weights = opts.weights ?? 'values';
  const facts = inferGraph(source.model, file, opts.inputShape, weights);
  const imported = importGraph(source.model, facts, file, weightSink(weights));
  releaseWeights(facts, source.model.graph!.initializer, file);
  const producer = [source.model.producerName, source.model.producerVersion].filter(Boolean).join(' ');
  return { source, facts, ...imported, opset, producer };
}

/** Initializers of at least this many values are decoded again when read after the import, not kept decoded. */
const KEEP_DECODED_BELOW = 1 << 16;

/**
 * Once the engine graph holds its own copy of the weights, the facts need not keep a decoded one beside the file's
 * bytes (a ResNet-50: 100 MB): large initializers are decoded again when read (the pruned-model writer reads those it
 * cuts).
 */
function releaseWeights(facts: GraphFacts, initializers: TensorProto[], file: string): void {
  for (const t of initializers) {
    const known = facts.values.get(t.name);
    if (!known?.value || known.value.data.length < KEEP_DECODED_BELOW) continue;
    const shape = known.shape;
    const lazy: ValueFacts = {
      shape,
      get value() {
        return tensorValues(t, file);
      },
    };
    facts.values.set(t.name, lazy);
  }
}

/** Whether a path names an ONNX model rather than a tfjs model.json. */
export const isOnnxPath = (p: string) => /\.onnx$/i.test(p);
