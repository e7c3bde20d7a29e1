/**
 * One training step (forward in training mode, softmax cross-entropy, backward to every parameter) compiled into an
 * ONNX inference graph, so onnxruntime's convolutions do the work. Parameters, dropout masks and labels are inputs;
 * the loss, the logits, the gradients and the batch-norm batch statistics are outputs; the optimizer runs in JS.
 * Each op's forward and backward live in ops/ (conv2d, dense on rank 2 or 3, batch norm, ReLU, GELU, max pooling,
 * global average pooling, flatten, zero padding, residual adds, dropout, and the ViT's patches, LayerNorm,
 * attention, class token, position table, token take). Anything else throws OnnxUnsupported and training stays on
 * tfjs.
 */
import type { Graph, Op } from '../graph/graph';
import { OnnxUnsupported } from '../onnx/onnx-algebra';
import { explainedNode } from '../prune/catalogue';
import { trainOpFor } from './ops';
import { type BatchStatsOutput, type DropoutInput, type NodeAt, StepContext, type TrainParam } from './step-context';

export type { ParamKey, TrainParam } from './step-context';

export interface CompiledTrainStep {
  bytes: Uint8Array;
  params: TrainParam[];
  dropout: DropoutInput[];
  batchStats: BatchStatsOutput[];
  loss: string;
  logits: string;
  classes: number;
}

export function compileTrainStep(graph: Graph, inputShape: number[], batch: number): CompiledTrainStep {
  const s = new StepContext(graph, inputShape, batch);
  const { b } = s;
  const explained = explainedNode(graph);
  const saved: unknown[] = [];
  for (const [i, node] of graph.nodes.entries()) {
    if (i > explained) break;
    if (node.op.type === 'input') {
      // The data come NHWC; feature maps are stored NCHW.
      s.outs[i] = {
        name: inputShape.length === 3 ? b.op('Transpose', [s.x], { perm: [0, 3, 1, 2] }) : s.x,
        shape: [batch, ...inputShape],
      };
      continue;
    }
    const entry = trainOpFor(node.op);
    if (!entry) throw new OnnxUnsupported(`training through ${node.op.type}`);
    const { out, keep } = entry.forward(s, nodeAt(s, i));
    s.outs[i] = out;
    saved[i] = keep;
  }

  const logits = s.outs[explained];
  const classes = logits.shape[1];
  const onehot = b.input({ name: 'onehot', dtype: 'float32', shape: [batch, classes] });
  const loss = b.op('Div', [
    b.op('Neg', [
      b.op('ReduceSum', [b.op('Mul', [onehot, b.op('LogSoftmax', [logits.name], { axis: 1 })]), s.ints([0, 1])], {
        keepdims: 0,
      }),
    ]),
    s.scalar(batch),
  ]);
  b.output(loss, { dtype: 'float32', shape: [] });
  b.output(logits.name, { dtype: 'float32', shape: [batch, classes] });

  // Backward: gradients flow in reverse topological order.
  s.grads[explained] = b.op('Div', [
    b.op('Sub', [b.op('Softmax', [logits.name], { axis: 1 }), onehot]),
    s.scalar(batch),
  ]);
  for (let i = explained; i >= 0; i--) {
    const g = s.grads[i];
    const op = graph.nodes[i].op;
    if (g === undefined || op.type === 'input') continue;
    trainOpFor(op)!.backward(s, nodeAt(s, i), g, saved[i]);
  }
  for (const p of s.params)
    if (!p.grad) throw new OnnxUnsupported(`parameter ${p.key} of node ${p.node} gets no gradient`);
  return {
    bytes: b.encode(),
    params: s.params,
    dropout: s.dropout,
    batchStats: s.batchStats,
    loss,
    logits: logits.name,
    classes,
  };
}

function nodeAt(s: StepContext, i: number): NodeAt<Op> {
  const node = s.graph.nodes[i];
  const first = node.inputs[0];
  return { i, node, op: node.op, x: s.outs[first], needInput: s.graph.nodes[first].op.type !== 'input' };
}
