/**
 * The backward pass of LRP over a graph: relevance flows from the explained output to the input, node by node in
 * reverse topological order; a node read by several others receives the sum of their relevances. Linear layers use
 * their composite rule; the other ops follow method.md §2 (activations and un-merged batch norms pass relevance,
 * max pooling takes the gradient, sums and average pooling use the epsilon rule on the op, the rest is reshaping).
 */
import * as tf from '@tensorflow/tfjs';
import { maxPoolBackward, poolGeometry } from '../backend/maxpool-gradient';
import type { Graph } from '../graph/graph';
import { type LinearRule, applyLinearRule, normShares } from './rules';
import { divideStabilized, stabilize } from './stabilizer';

export interface PropagationPlan {
  graph: Graph;
  /** The rule of each linear node (undefined elsewhere). */
  rules: (LinearRule | undefined)[];
  /** The node whose output is explained: the model output, or the logits under a final softmax. */
  explained: number;
  /** Nodes whose output relevance the caller wants back (component layers). */
  keep: Set<number>;
}

export interface Propagated {
  input: tf.Tensor;
  /** Relevance at the output of each kept node. */
  atNodes: Map<number, tf.Tensor>;
}

function firstMaxBackward(x: tf.Tensor, r: tf.Tensor, pool: [number, number], strides: [number, number], padding: 'same' | 'valid'): tf.Tensor {
  const dx = maxPoolBackward(x.dataSync() as Float32Array, x.shape, r.dataSync() as Float32Array, poolGeometry(x.shape, pool, strides, padding));
  return tf.tensor(dx, x.shape);
}

/** Relevance of each input of node i, given the relevance r at its output. */
function backwardNode(plan: PropagationPlan, i: number, acts: tf.Tensor[], r: tf.Tensor): tf.Tensor[] {
  const node = plan.graph.nodes[i];
  const ins = node.inputs.map((j) => acts[j]);
  const x = ins[0];
  const shape = x.shape as number[];
  const op = node.op;
  switch (op.type) {
    case 'input':
      return [];
    case 'dense':
    case 'conv2d':
    case 'depthwise':
      return [applyLinearRule(plan.rules[i]!, op, x, acts[i], r)];
    case 'activation':
    case 'batchnorm':
    case 'identity':
      return [r.clone()];
    case 'layernorm':
      return [tf.tidy(() => layerNormRelevance(x, acts[i], r, op.gamma, op.epsilon))];
    case 'maxpool':
      return [firstMaxBackward(x, r, op.pool, op.strides, op.padding)];
    case 'globalmaxpool':
      return [tf.tidy(() => firstMaxBackward(x, r.reshape([shape[0], 1, 1, shape[3]]), [shape[1], shape[2]], [1, 1], 'valid'))];
    case 'avgpool':
      return [
        tf.tidy(() => {
          const g = divideStabilized(r, acts[i]);
          const grad = tf.grad((t: tf.Tensor) => tf.avgPool(t as tf.Tensor4D, op.pool, op.strides, op.padding))(x, g);
          return tf.mul(x, grad);
        }),
      ];
    case 'globalavgpool':
      return [
        tf.tidy(() => {
          const g = divideStabilized(r, acts[i]).reshape([shape[0], 1, 1, shape[3]]);
          return tf.mul(x, tf.div(g, shape[1] * shape[2]));
        }),
      ];
    case 'flatten':
    case 'reshape':
      return [r.reshape(x.shape)];
    case 'zeropad':
      return [tf.slice(r, [0, op.padding[0][0], op.padding[1][0], 0], x.shape)];
    case 'add':
      return normShares(ins, acts[i], r);
    case 'concat': {
      const axis = op.axis < 0 ? r.rank + op.axis : op.axis;
      return tf.split(r, ins.map((t) => t.shape[axis]!), axis);
    }
  }
}

/**
 * LayerNorm with σ frozen is linear in x (the mean stays part of the map); the epsilon rule on that map gives
 * R_x,m = (x_m/σ)·(w_m G_m − (1/D) Σ_k w_k G_k) with G = R_y / s(y) (AttnLRP, method.md §3).
 */
function layerNormRelevance(x: tf.Tensor, y: tf.Tensor, r: tf.Tensor, gamma: tf.Tensor | undefined, epsilon: number): tf.Tensor {
  const { variance } = tf.moments(x, -1, true);
  const sigma = tf.sqrt(tf.add(variance, epsilon));
  const g = tf.div(r, stabilize(y));
  const wg = gamma ? tf.mul(g, gamma) : g;
  return tf.mul(tf.div(x, sigma), tf.sub(wg, tf.mean(wg, -1, true)));
}

/** Runs the backward pass for one batch; `acts` are the outputs of every node (forwardAll). */
export function propagate(plan: PropagationPlan, acts: tf.Tensor[], rOut: tf.Tensor): Propagated {
  const rel: (tf.Tensor | undefined)[] = new Array(plan.graph.nodes.length);
  rel[plan.explained] = rOut.clone();
  const atNodes = new Map<number, tf.Tensor>();
  let input: tf.Tensor | undefined;
  for (let i = plan.explained; i >= 0; i--) {
    const r = rel[i];
    if (!r) continue;
    rel[i] = undefined;
    const node = plan.graph.nodes[i];
    if (node.op.type === 'input') {
      input = r;
      continue;
    }
    const lower = backwardNode(plan, i, acts, r);
    node.inputs.forEach((j, k) => {
      const prev = rel[j];
      rel[j] = prev ? tf.add(prev, lower[k]) : lower[k];
      if (prev) {
        prev.dispose();
        lower[k].dispose();
      }
    });
    if (plan.keep.has(i)) atNodes.set(i, r);
    else r.dispose();
  }
  return { input: input ?? tf.zerosLike(acts[0]), atNodes };
}
