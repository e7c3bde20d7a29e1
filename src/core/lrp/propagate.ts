/**
 * The backward pass of LRP over a graph: relevance flows from the explained output to the input, node by node in
 * reverse topological order; a node read by several others receives the sum of their relevances. Linear layers use
 * their composite rule; the other ops follow method.md §2 (activations and un-merged batch norms pass relevance,
 * max pooling takes the gradient, sums and average pooling use the epsilon rule on the op, the rest is reshaping).
 * Written against an Algebra: it runs eagerly on tfjs and compiles to ONNX.
 */
import type { Algebra } from '../graph/algebra';
import type { Graph } from '../graph/graph';
import { attentionRelevance } from './attention-rules';
import type { SoftmaxRule } from './composites';
import { layerNormRelevance } from './layer-norm-rule';
import { type LinearRule, applyLinearRule, normShares } from './rules';
import { divideStabilized } from './stabilizer';

export interface PropagationPlan {
  graph: Graph;
  /** The rule of each linear node (undefined elsewhere). */
  rules: (LinearRule | undefined)[];
  /** The node whose output is explained: the model output, or the logits under a final softmax. */
  explained: number;
  /** Nodes whose output relevance the caller wants back (component layers; heads: [N, heads], see attention). */
  keep: Set<number>;
  /** The attention softmax rule (method.md §3); DEFAULT_SOFTMAX_RULE when unset. */
  softmax?: SoftmaxRule;
}

/** cp (conservative propagation, Ali et al. 2022): conserving and the cheapest; used when the composite names no rule. */
export const DEFAULT_SOFTMAX_RULE: SoftmaxRule = 'cp';

export interface Propagated<T> {
  input: T;
  /** Relevance at the output of each kept node. */
  atNodes: Map<number, T>;
}

/** Relevance of each input of node i, given the relevance r at its output. */
function backwardNode<T>(
  A: Algebra<T>,
  plan: PropagationPlan,
  i: number,
  acts: T[],
  r: T,
  readouts: Map<number, T>,
): T[] {
  const node = plan.graph.nodes[i];
  const ins = node.inputs.map((j) => acts[j]);
  const x = ins[0];
  const op = node.op;
  switch (op.type) {
    case 'input':
      return [];
    case 'dense':
    case 'conv2d':
    case 'depthwise':
      return [applyLinearRule(A, plan.rules[i]!, op, x, acts[i], r)];
    case 'activation':
    case 'batchnorm':
    case 'identity':
      return [r];
    case 'layernorm':
      return [layerNormRelevance(A, x, acts[i], r, op.gamma ? A.weight(op.gamma) : undefined, op.epsilon)];
    case 'maxpool':
      return [A.maxPoolRelevance(x, r, op.pool, op.strides, op.padding)];
    case 'globalmaxpool':
      return [A.globalMaxPoolRelevance(x, r)];
    // The epsilon rule on the op, as for sums: x ⊙ ∂ᵀ(R / s(out)).
    case 'avgpool':
      return [A.mul(x, A.avgPoolInputGradient(op, divideStabilized(A, r, acts[i]), x))];
    case 'globalavgpool':
      return [A.mul(x, A.globalAvgPoolInputGradient(divideStabilized(A, r, acts[i]), x))];
    case 'flatten':
    case 'reshape':
      return [A.reshapeLike(r, x)];
    case 'zeropad':
      return [A.unpad(r, x, op.padding)];
    case 'add':
      return normShares(A, ins, acts[i], r);
    case 'concat':
      return A.splitLike(r, ins, op.axis);
    case 'attention': {
      const rel = attentionRelevance(A, op, ins[0], ins[1], ins[2], r, plan.softmax ?? DEFAULT_SOFTMAX_RULE);
      readouts.set(i, rel.heads);
      return [rel.q, rel.k, rel.v];
    }
    case 'patches':
      return [A.unpatch(r, x, op.size)];
    case 'classtoken':
      return [A.dropClassToken(r)];
    case 'addweight':
      // The positional-embedding add: epsilon on the add; the table's share is absorbed like a bias (method.md §3).
      return normShares(A, [x], acts[i], r);
    case 'taketoken':
      return [A.placeToken(r, x, op.index)];
  }
}

/**
 * Runs the backward pass for one batch; `acts` are the outputs of every node (forwardAll). Values the pass creates
 * are the caller's to free: run it inside A.scope and keep what is returned.
 */
export function propagate<T>(A: Algebra<T>, plan: PropagationPlan, acts: T[], rOut: T): Propagated<T> {
  const rel: (T | undefined)[] = new Array(plan.graph.nodes.length);
  rel[plan.explained] = rOut;
  const atNodes = new Map<number, T>();
  // Component relevance an op reads somewhere other than its output (attention heads: at the softmax output).
  const readouts = new Map<number, T>();
  let input: T | undefined;
  for (let i = plan.explained; i >= 0; i--) {
    const r = rel[i];
    if (r === undefined) continue;
    rel[i] = undefined;
    const node = plan.graph.nodes[i];
    if (node.op.type === 'input') {
      input = r;
      continue;
    }
    const lower = backwardNode(A, plan, i, acts, r, readouts);
    node.inputs.forEach((j, k) => {
      const prev = rel[j];
      rel[j] = prev === undefined ? lower[k] : A.add(prev, lower[k]);
    });
    if (plan.keep.has(i)) atNodes.set(i, readouts.get(i) ?? r);
  }
  return { input: input ?? A.fillLike(acts[0], 0), atNodes };
}
