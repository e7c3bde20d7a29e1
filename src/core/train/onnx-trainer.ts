/**
 * Training on onnxruntime: the step graph of train-step-graph.ts computes loss and gradients; Adam (as tfjs
 * implements it: ε = 1e-7, bias-corrected moments), the cosine learning-rate decay and the batch-norm moving
 * statistics (v ← v·momentum + batch·(1 − momentum)) run here in JS over Float32Arrays. At the end the weights go
 * back into the tfjs model, which is then saved as usual.
 */
import type * as Ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { disposeGraph, graphFromModel, type Graph } from '../graph/graph';
import type { Dataset } from '../io/datasets';
import { argmaxRows, evaluateAccuracy } from '../models/evaluate';
import { mulberry32 } from '../random';
import { type TrainOptions, type TrainResult, runEpochs } from './epoch-loop';
import { ortThreads } from '../onnx/runtime';
import { compileTrainStep, type CompiledTrainStep, type ParamKey } from './train-step-graph';

interface Session {
  session: Ort.InferenceSession;
  step: CompiledTrainStep;
}

const SUFFIX: Record<ParamKey, string> = {
  kernel: 'kernel',
  bias: 'bias',
  gamma: 'gamma',
  beta: 'beta',
  token: 'token',
  weight: 'positions',
};

/**
 * The tfjs layer and weight a graph parameter belongs to. An attention layer's projections are graph nodes of their
 * own (`block1_attn/q`): their weights are the layer's `q_kernel`, `q_bias`, ….
 */
export function paramWeight(nodeName: string, key: ParamKey): { layer: string; weight: string } {
  const slash = nodeName.indexOf('/');
  if (slash < 0) return { layer: nodeName, weight: SUFFIX[key] };
  return { layer: nodeName.slice(0, slash), weight: `${nodeName.slice(slash + 1)}_${SUFFIX[key]}` };
}

export class OnnxTrainer {
  private sessions = new Map<number, Promise<Session>>();
  private readonly graph: Graph;
  private readonly params: Float32Array[];
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private readonly moving = new Map<number, { mean: Float32Array; variance: Float32Array; momentum: number }>();
  private step = 0;
  readonly first: CompiledTrainStep;

  /** Throws OnnxUnsupported when the model has an op the step graph cannot train. */
  constructor(
    private readonly model: tf.LayersModel,
    private readonly ort: typeof Ort,
    private readonly inputShape: number[],
    private readonly batch: number,
  ) {
    this.graph = graphFromModel(model);
    this.first = compileTrainStep(this.graph, inputShape, batch);
    this.params = this.first.params.map((p) =>
      Float32Array.from((this.graph.nodes[p.node].op as unknown as Record<ParamKey, tf.Tensor>)[p.key].dataSync()),
    );
    this.m = this.params.map((p) => new Float32Array(p.length));
    this.v = this.params.map((p) => new Float32Array(p.length));
    for (const s of this.first.batchStats) {
      const op = this.graph.nodes[s.node].op as Extract<Graph['nodes'][number]['op'], { type: 'batchnorm' }>;
      this.moving.set(s.node, {
        mean: Float32Array.from(op.mean.dataSync()),
        variance: Float32Array.from(op.variance.dataSync()),
        momentum: op.momentum ?? 0.99,
      });
    }
  }

  private session(batch: number): Promise<Session> {
    let s = this.sessions.get(batch);
    if (!s) {
      const step = batch === this.batch ? this.first : compileTrainStep(this.graph, this.inputShape, batch);
      const threads = ortThreads();
      s = this.ort.InferenceSession.create(step.bytes, {
        intraOpNumThreads: threads,
        graphOptimizationLevel: 'all',
      }).then((session) => ({ session, step }));
      this.sessions.set(batch, s);
    }
    return s;
  }

  /** Loss and gradients of one batch (no update), for tests. */
  async gradients(
    x: Float32Array,
    labels: Int32Array,
    masks: Map<number, Float32Array> = new Map(),
  ): Promise<{
    loss: number;
    logits: Float32Array;
    grads: Float32Array[];
    stats: Map<number, { mean: Float32Array; variance: Float32Array }>;
  }> {
    const n = labels.length;
    const { session, step } = await this.session(n);
    const feeds: Record<string, Ort.Tensor> = {
      x: new this.ort.Tensor('float32', x, [n, ...this.inputShape]),
      onehot: new this.ort.Tensor(
        'float32',
        Float32Array.from({ length: n * step.classes }, (_, i) =>
          labels[Math.floor(i / step.classes)] === i % step.classes ? 1 : 0,
        ),
        [n, step.classes],
      ),
    };
    step.params.forEach((p, i) => (feeds[p.input] = new this.ort.Tensor('float32', this.params[i], p.shape)));
    for (const d of step.dropout) {
      const physical = d.shape.length === 4 ? [d.shape[0], d.shape[3], d.shape[1], d.shape[2]] : d.shape;
      feeds[d.input] = new this.ort.Tensor(
        'float32',
        masks.get(d.node) ?? new Float32Array(physical.reduce((a, b) => a * b, 1)).fill(1),
        physical,
      );
    }
    const out = await session.run(feeds);
    return {
      loss: (out[step.loss].data as Float32Array)[0],
      logits: out[step.logits].data as Float32Array,
      grads: step.params.map((p) => out[p.grad].data as Float32Array),
      stats: new Map(
        step.batchStats.map((s) => [
          s.node,
          { mean: out[s.mean].data as Float32Array, variance: out[s.variance].data as Float32Array },
        ]),
      ),
    };
  }

  async fit(data: Dataset, opts: TrainOptions): Promise<TrainResult> {
    const dropRng = mulberry32((opts.seed ?? 0) + 7919);
    const [b1, b2, eps] = [0.9, 0.999, 1e-7];
    const result = await runEpochs(
      data,
      { ...opts, batchSize: this.batch },
      async (x, labels, lr) => {
        const masks = new Map<number, Float32Array>();
        for (const d of this.first.dropout) {
          const size = labels.length * d.shape.slice(1).reduce((a, c) => a * c, 1);
          masks.set(
            d.node,
            Float32Array.from({ length: size }, () => (dropRng() >= d.rate ? 1 / (1 - d.rate) : 0)),
          );
        }
        const r = await this.gradients(x, labels, masks);
        this.step++;
        const c1 = 1 - Math.pow(b1, this.step);
        const c2 = 1 - Math.pow(b2, this.step);
        r.grads.forEach((g, k) => {
          const p = this.params[k];
          const mk = this.m[k];
          const vk = this.v[k];
          for (let i = 0; i < p.length; i++) {
            mk[i] = b1 * mk[i] + (1 - b1) * g[i];
            vk[i] = b2 * vk[i] + (1 - b2) * g[i] * g[i];
            p[i] -= (lr * (mk[i] / c1)) / (Math.sqrt(vk[i] / c2) + eps);
          }
        });
        for (const [node, s] of r.stats) {
          const mv = this.moving.get(node)!;
          for (let c = 0; c < s.mean.length; c++) {
            mv.mean[c] = mv.mean[c] * mv.momentum + s.mean[c] * (1 - mv.momentum);
            mv.variance[c] = mv.variance[c] * mv.momentum + s.variance[c] * (1 - mv.momentum);
          }
        }
        const pred = argmaxRows(r.logits, this.first.classes);
        return { loss: r.loss, correct: pred.reduce((a, p, s) => a + (p === labels[s] ? 1 : 0), 0) };
      },
      async () => {
        this.writeBack();
        return (await evaluateAccuracy(this.model, opts.validation!, { batchSize: 256, signal: opts.signal })).accuracy;
      },
    );
    this.writeBack();
    return result;
  }

  /** Copies the trained parameters and moving statistics into the tfjs model. */
  writeBack(): void {
    const byLayer = new Map<string, Map<string, Float32Array>>();
    const into = (layer: string) => byLayer.get(layer) ?? byLayer.set(layer, new Map()).get(layer)!;
    this.first.params.forEach((p, k) => {
      const { layer, weight } = paramWeight(this.graph.nodes[p.node].name, p.key);
      into(layer).set(weight, this.params[k]);
    });
    for (const [node, s] of this.moving) {
      const m = into(this.graph.nodes[node].name);
      m.set('moving_mean', s.mean);
      m.set('moving_variance', s.variance);
    }
    for (const [name, values] of byLayer) {
      const layer = this.model.getLayer(name);
      const current = layer.getWeights();
      layer.setWeights(
        layer.weights.map((w, i) => {
          const v = values.get(w.originalName.split('/').pop()!);
          return v ? tf.tensor(v, current[i].shape) : current[i];
        }),
      );
    }
  }

  async dispose(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).session.release();
    disposeGraph(this.graph);
  }
}
