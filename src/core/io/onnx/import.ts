/**
 * Loading an ONNX model (as torch.onnx.export writes it: opsets 13–17, eval mode, batch norms folded or kept,
 * static or dynamic batch, external data) into the engine's graph. See to-graph.ts for the conversion and
 * onnx.md for what the exports contain.
 */
import { badInput } from '../../errors';
import { type OnnxFile, opsetOf, readOnnxFile } from './onnx-file';
import { type GraphFacts, inferGraph } from './shape-inference';
import { type ImportedGraph, checkSupportedOps, importGraph } from './to-graph';

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

export function importOnnx(file: string, opts: { inputShape?: number[] } = {}): ImportedOnnx {
  const source = readOnnxFile(file);
  const opset = opsetOf(source.model);
  if (opset < MIN_OPSET || opset > MAX_OPSET + 4) {
    throw badInput(`${file}: exported with opset ${opset}; PXP reads opsets ${MIN_OPSET}–${MAX_OPSET} (PyTorch's exports: 13–17)`, `export again with torch.onnx.export(…, opset_version=${MAX_OPSET})`);
  }
  checkSupportedOps(source.model, file);
  const facts = inferGraph(source.model, file, opts.inputShape);
  const imported = importGraph(source.model, facts, file);
  const producer = [source.model.producerName, source.model.producerVersion].filter(Boolean).join(' ');
  return { source, facts, ...imported, opset, producer };
}

/** Whether a path names an ONNX model rather than a tfjs model.json. */
export const isOnnxPath = (p: string) => /\.onnx$/i.test(p);
