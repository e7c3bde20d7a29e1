/**
 * The output shape of every node of a graph (without the batch axis), from the ops' geometry alone. Summaries,
 * channel padding, masks and pruning plans need shapes only; running the graph on tfjs to read them cost a full
 * forward pass (seconds for a ResNet-50 at 224×224 on wasm) and kept every activation in the wasm heap.
 */
import { convGeometry } from './conv-geometry';
import type { Graph, Op } from './graph';

const product = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** A Keras-style target shape for `count` values: one entry may be unknown (-1, or null as a saved config has it). */
function resolveTarget(target: (number | null)[], count: number): number[] {
  const unknown = (d: number | null): d is null => d === null || d < 0;
  const known = product(target.filter((d): d is number => !unknown(d)));
  return target.map((d) => (unknown(d) ? count / known : d));
}

/** The output shape of one op, given its inputs' shapes (all without the batch axis). */
export function opOutputShape(op: Op, ins: number[][]): number[] {
  const x = ins[0];
  switch (op.type) {
    case 'input':
      throw new Error('input shapes are given, not computed');
    case 'dense':
      return [...x.slice(0, -1), op.kernel.shape[1]];
    case 'conv2d':
    case 'depthwise': {
      const g = convGeometry(op, [1, ...x], [op.kernel.shape[0], op.kernel.shape[1]]);
      return [g.outH, g.outW, op.type === 'conv2d' ? op.kernel.shape[3] : op.kernel.shape[2] * op.kernel.shape[3]];
    }
    case 'maxpool':
    case 'avgpool': {
      const g = convGeometry(op, [1, ...x], op.pool);
      return [g.outH, g.outW, x[2]];
    }
    case 'globalavgpool':
    case 'globalmaxpool':
      return [x[2]];
    case 'flatten':
      return [product(x)];
    case 'reshape':
      return resolveTarget(op.targetShape, product(x));
    case 'zeropad':
      return [x[0] + op.padding[0][0] + op.padding[0][1], x[1] + op.padding[1][0] + op.padding[1][1], x[2]];
    case 'concat': {
      // The axis counts the batch (as tf.concat's does); without it, one less.
      const axis = (op.axis < 0 ? x.length + 1 + op.axis : op.axis) - 1;
      return x.map((d, i) => (i === axis ? ins.reduce((a, s) => a + s[axis], 0) : d));
    }
    case 'attention':
      return [x[0], op.heads * op.headDim];
    case 'patches': {
      const [h, w, c] = x;
      return [(h / op.size) * (w / op.size), op.size * op.size * c];
    }
    case 'classtoken':
      return [x[0] + 1, x[1]];
    case 'taketoken':
      return [x[1]];
    case 'batchnorm':
    case 'layernorm':
    case 'activation':
    case 'identity':
    case 'add':
    case 'addweight':
      return x;
  }
}

/** Output shapes (without batch) of every node, indexed like graph.nodes. */
export function graphShapes(graph: Graph, inputShape: number[]): number[][] {
  const shapes: number[][] = [];
  graph.nodes.forEach((node, i) => {
    shapes.push(
      node.op.type === 'input'
        ? [...inputShape]
        : opOutputShape(
            node.op,
            node.inputs.map((j) => shapes[j]),
          ),
    );
    if (shapes[i].some((d) => !Number.isInteger(d) || d < 0))
      throw new Error(
        `node '${node.name}': output shape [${shapes[i].join(', ')}] from inputs [${node.inputs.map((j) => `[${shapes[j].join(', ')}]`).join(', ')}]`,
      );
  });
  return shapes;
}
