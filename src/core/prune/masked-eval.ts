/**
 * Accuracy of a model with components masked (method.md §5: a masked component's output is exactly 0, nothing else
 * changes). Runs on onnxruntime when it is installed (one compiled forward graph whose masks are inputs, reused for
 * every rate) or on tfjs.
 */
import type * as Ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { forwardAll } from '../graph/forward';
import type { Graph } from '../graph/graph';
import { graphShapes } from '../graph/shapes';
import { tfAlgebra } from '../graph/tf-algebra';
import { batchesOf } from '../io/batches';
import type { Dataset } from '../io/datasets';
import { OnnxGraphBuilder } from '../onnx/graph-builder';
import { OnnxAlgebra, type Sym } from '../onnx/onnx-algebra';
import { padChannels } from '../onnx/pad-channels';
import { loadOnnxRuntime, ortThreads } from '../onnx/runtime';
import { type RunControl, throwIfCancelled } from '../progress';
import type { ComponentLayerInfo } from './catalogue';
import { explainedNode, maskVector } from './catalogue';

export interface MaskedEvaluator {
  executor: 'onnx' | 'tfjs';
  /** Top-1 accuracy with these components removed ([layer][index] flags); ties go to the lowest class. */
  accuracy(removed: boolean[][], control?: RunControl): Promise<number>;
  /** Per sample, 1 where the top-1 prediction with these components removed is right (the accuracy is its mean). */
  correct(removed: boolean[][], control?: RunControl): Promise<Uint8Array>;
  dispose(): Promise<void>;
}

/** Class predictions from logits rows, only among `allowed` classes when given (the paper's restricted task). */
export function predictRows(logits: ArrayLike<number>, k: number, n: number, allowed?: number[]): Int32Array {
  const classes = allowed ?? Array.from({ length: k }, (_, i) => i);
  const out = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    let best = classes[0];
    for (const c of classes) if (logits[s * k + c] > logits[s * k + best]) best = c;
    out[s] = best;
  }
  return out;
}

/** The fraction of samples right, from `correct`'s flags. */
export function meanOf(flags: Uint8Array): number {
  let sum = 0;
  for (const f of flags) sum += f;
  return sum / flags.length;
}

class TfMaskedEvaluator implements MaskedEvaluator {
  readonly executor = 'tfjs';
  constructor(
    private graph: Graph,
    private layers: ComponentLayerInfo[],
    private data: Dataset,
    private batch: number,
    private allowed?: number[],
  ) {}

  async accuracy(removed: boolean[][], control: RunControl = {}): Promise<number> {
    return meanOf(await this.correct(removed, control));
  }

  async correct(removed: boolean[][], control: RunControl = {}): Promise<Uint8Array> {
    const right = new Uint8Array(this.data.y.length);
    let at = 0;
    const masks = new Map(this.layers.map((l, i) => [l.maskNode, tf.tensor(maskVector(l, removed[i]))]));
    try {
      const explained = explainedNode(this.graph);
      for await (const { x, y, shape, size } of batchesOf(this.data, this.batch, { signal: control.signal })) {
        const logits = tf.tidy(() => forwardAll(tfAlgebra, this.graph, tf.tensor(x, shape), masks)[explained]);
        const k = logits.shape[logits.rank - 1]!;
        const pred = predictRows(logits.dataSync(), k, size, this.allowed);
        logits.dispose();
        for (let s = 0; s < size; s++) right[at++] = pred[s] === y[s] ? 1 : 0;
      }
    } finally {
      tf.dispose([...masks.values()]);
    }
    return right;
  }

  async dispose(): Promise<void> {}
}

class OnnxMaskedEvaluator implements MaskedEvaluator {
  readonly executor = 'onnx';
  private constructor(
    private session: Ort.InferenceSession,
    private ort: typeof Ort,
    private layers: ComponentLayerInfo[],
    private data: Dataset,
    private batch: number,
    private classes: number,
    private maskShapes: number[][],
    private allowed?: number[],
  ) {}

  static async create(
    ort: typeof Ort,
    graph: Graph,
    layers: ComponentLayerInfo[],
    data: Dataset,
    batch: number,
    shapes: number[][],
    allowed?: number[],
  ): Promise<OnnxMaskedEvaluator> {
    const compiled = compileForward(
      graph,
      data.shape.slice(1),
      batch,
      layers.map((l) => ({ node: l.maskNode, size: l.size * l.width, rank: shapes[l.maskNode].length + 1 })),
    );
    const session = await ort.InferenceSession.create(compiled.bytes, {
      intraOpNumThreads: ortThreads(),
      graphOptimizationLevel: 'all',
    });
    return new OnnxMaskedEvaluator(session, ort, layers, data, batch, compiled.classes, compiled.maskShapes, allowed);
  }

  async accuracy(removed: boolean[][], control: RunControl = {}): Promise<number> {
    return meanOf(await this.correct(removed, control));
  }

  async correct(removed: boolean[][], control: RunControl = {}): Promise<Uint8Array> {
    const right = new Uint8Array(this.data.y.length);
    let at = 0;
    const feeds: Record<string, Ort.Tensor> = {};
    this.layers.forEach(
      (_, i) =>
        (feeds[`mask${i}`] = new this.ort.Tensor(
          'float32',
          maskVector(this.layers[i], removed[i]),
          this.maskShapes[i],
        )),
    );
    for await (const { x, y, shape, size } of batchesOf(this.data, this.batch, {
      signal: control.signal,
      padToSize: true,
    })) {
      feeds.x = new this.ort.Tensor('float32', x, shape);
      const out = await this.session.run(feeds);
      const pred = predictRows(out[this.session.outputNames[0]].data as Float32Array, this.classes, size, this.allowed);
      for (let s = 0; s < size; s++) right[at++] = pred[s] === y[s] ? 1 : 0;
    }
    return right;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/**
 * The forward pass of a graph as an ONNX model (NHWC input `x`, logits out), with optional per-channel mask inputs.
 * Without masks, channel counts are padded to onnxruntime's blocks (pad-channels.ts): same outputs, fast kernels.
 */
export function compileForward(
  graph: Graph,
  inputShape: number[],
  batch: number,
  masks: { node: number; size: number; rank: number }[] = [],
  opts: { modelOutput?: boolean } = {},
) {
  if (masks.length === 0) {
    const padded = padChannels(graph, () => nodeShapes(graph, inputShape));
    try {
      return compileGraph(padded.graph, inputShape, batch, masks, opts);
    } finally {
      padded.dispose();
    }
  }
  return compileGraph(graph, inputShape, batch, masks, opts);
}

/** `modelOutput`: the graph's own output (a final softmax, a feature map) instead of the logits LRP explains. */
function compileGraph(
  graph: Graph,
  inputShape: number[],
  batch: number,
  masks: { node: number; size: number; rank: number }[],
  opts: { modelOutput?: boolean },
) {
  const b = new OnnxGraphBuilder();
  const A = new OnnxAlgebra(b);
  const shape = [batch, ...inputShape];
  const x = A.feed('x', shape);
  const maskShapes: number[][] = [];
  const maskValues = new Map<number, Sym>();
  masks.forEach((m, i) => {
    // A [1, …, 1, C] mask broadcasts over the batch and positions of the node's logical output.
    const logical = [...new Array(m.rank - 1).fill(1), m.size];
    const physical = m.rank === 4 ? [1, m.size, 1, 1] : logical;
    maskShapes.push(physical);
    maskValues.set(m.node, {
      name: b.input({ name: `mask${i}`, dtype: 'float32', shape: physical }),
      shape: logical,
      nonNegative: true,
    });
  });
  const logits = forwardAll(A, graph, x, maskValues)[opts.modelOutput ? graph.output : explainedNode(graph)];
  // Outputs leave in logical (NHWC) order whatever the stored layout, so callers read them as tfjs gives them.
  const out = logits.shape.length === 4 ? b.op('Transpose', [A.ref(logits)], { perm: [0, 2, 3, 1] }) : A.ref(logits);
  b.output(out, { dtype: 'float32', shape: logits.shape });
  return { bytes: b.encode(), classes: logits.shape[logits.shape.length - 1], maskShapes, outputShape: logits.shape };
}

// Each session has its own thread pool, whose threads spin after a run by default: with two sessions alive they
// took the cores from each other and latencies doubled at random. Without spinning both measure alike.
const NO_SPINNING = { session: { intra_op: { allow_spinning: '0' } } };

/**
 * Median batch latencies of several graphs (an original and its pruned model) on onnxruntime. Their runs alternate,
 * so that a change in the machine's load during the measurement (another process, CPU frequency) affects all of
 * them alike instead of biasing their ratio.
 */
export async function onnxLatencies(
  ort: typeof Ort,
  graphs: Graph[],
  inputShape: number[],
  opts: { batchSize?: number; runs?: number; warmup?: number; signal?: AbortSignal } = {},
): Promise<number[]> {
  const batch = opts.batchSize ?? 64;
  return onnxModelLatencies(
    ort,
    graphs.map((g) => ({
      model: compileForward(g, inputShape, batch).bytes,
      input: 'x',
      shape: [batch, ...inputShape],
    })),
    opts,
  );
}

/**
 * The same for ONNX models as they are (a user's file and its pruned copy), each fed `shape` at its `input`; a file
 * path lets onnxruntime find external data beside it.
 */
export async function onnxModelLatencies(
  ort: typeof Ort,
  models: { model: Uint8Array | string; input: string; shape: number[] }[],
  opts: { runs?: number; warmup?: number; signal?: AbortSignal } = {},
): Promise<number[]> {
  return (await onnxModelTimes(ort, models, opts)).map(medianOfSorted);
}

/** The median of run times sorted ascending, as onnxModelTimes returns them. */
export const medianOfSorted = (sorted: number[]): number => sorted[Math.floor(sorted.length / 2)];

const MIN_TIMED_RUNS = 5;

/** Every measured run's wall time per model, sorted ascending (medians above; evaluate also reports the 90th percentile). */
export async function onnxModelTimes(
  ort: typeof Ort,
  models: { model: Uint8Array | string; input: string; shape: number[] }[],
  opts: { runs?: number; warmup?: number; signal?: AbortSignal; budgetMs?: number } = {},
): Promise<number[][]> {
  const sessions: Ort.InferenceSession[] = [];
  try {
    const options = { intraOpNumThreads: ortThreads(), graphOptimizationLevel: 'all' as const, extra: NO_SPINNING };
    for (const m of models)
      sessions.push(
        typeof m.model === 'string'
          ? await ort.InferenceSession.create(m.model, options)
          : await ort.InferenceSession.create(m.model, options),
      );
    const feeds = models.map((m) => ({
      [m.input]: new ort.Tensor('float32', new Float32Array(m.shape.reduce((a, b) => a * b, 1)).fill(0.5), m.shape),
    }));
    const times = sessions.map((): number[] => []);
    const warmup = opts.warmup ?? 3;
    let measuring = 0;
    for (let i = 0; i < (opts.runs ?? 15) + warmup; i++) {
      throwIfCancelled(opts.signal);
      if (i === warmup) measuring = performance.now();
      // A large model stops at the budget, after MIN_TIMED_RUNS rounds (a median of fewer says little).
      if (opts.budgetMs !== undefined && i - warmup >= MIN_TIMED_RUNS && performance.now() - measuring > opts.budgetMs)
        break;
      for (const [k, session] of sessions.entries()) {
        const t0 = performance.now();
        await session.run(feeds[k]);
        if (i >= warmup) times[k].push(performance.now() - t0);
      }
    }
    return times.map((t) => t.sort((a, b) => a - b));
  } finally {
    for (const s of sessions) await s.release();
  }
}

/** Output shapes (without batch) of every node (graph/shapes.ts: from the ops' geometry, nothing is run). */
export function nodeShapes(graph: Graph, inputShape: number[]): number[][] {
  return graphShapes(graph, inputShape);
}

export async function maskedEvaluator(
  graph: Graph,
  layers: ComponentLayerInfo[],
  data: Dataset,
  opts: { executor?: 'auto' | 'onnx' | 'tfjs'; batchSize?: number; allowedClasses?: number[] } = {},
): Promise<MaskedEvaluator> {
  const batch = Math.min(opts.batchSize ?? 128, data.y.length);
  const { ort } = loadOnnxRuntime();
  if (ort && opts.executor !== 'tfjs') {
    try {
      return await OnnxMaskedEvaluator.create(
        ort,
        graph,
        layers,
        data,
        batch,
        nodeShapes(graph, data.shape.slice(1)),
        opts.allowedClasses,
      );
    } catch (e) {
      if (opts.executor === 'onnx') throw e;
    }
  }
  return new TfMaskedEvaluator(graph, layers, data, batch, opts.allowedClasses);
}
