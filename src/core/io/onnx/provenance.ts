/**
 * Where an engine node's channels live in the ONNX file it was imported from, so a pruned model can be written in
 * the user's own structure and node names: for each constant input of an ONNX node (a weight, a bias, batch-norm
 * statistics), which of its axes is indexed by the engine node's output channels or by its input channels.
 */

/** How entry j of an axis maps to a channel: j = offset + channel (a block of a fused q/k/v projection), or, after
 * an NCHW flatten, j = channel·spatial + position (PyTorch's C·H·W row order). */
export interface AxisLink {
  /** Index of the ONNX node in graph.node. */
  node: number;
  /** Which of that node's inputs holds the constant. */
  input: number;
  axis: number;
  /** Channels of the engine node's output ('out') or of its first input ('in'). */
  follows: 'out' | 'in';
  offset?: number;
  /** The width of the whole axis when only a block of it follows (the fused q/k/v projection). */
  spatial?: number;
}

export interface NodeProvenance {
  /** The ONNX node the engine node came from (index in graph.node). */
  onnxNode: number;
  links: AxisLink[];
}
