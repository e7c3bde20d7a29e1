/**
 * The objective of the attribution search (method.md §4): a point of the space → a composite → relevance of the
 * reference samples (from the point's initial relevance) → component scores → the masked pruning curve → its AUC.
 * Relevance is cached per rule assignment and initial relevance, so points that differ only in abs_sort or
 * least_relevant_first need no new attribution.
 */
import type { Graph } from '../graph/graph';
import type { Dataset } from '../io/datasets';
import { attribute, type ExecutorPreference } from '../lrp/attribute';
import type { ComponentLayerInfo } from '../prune/catalogue';
import { type Curve, pruningCurve } from '../prune/curve';
import { type Normalization, normalizeScores } from '../prune/normalize';
import type { MaskedEvaluator } from '../prune/masked-eval';
import type { RunControl } from '../progress';
import { type LayerGroups, paramsToComposite, relevanceKey } from './lrp-space';
import type { Params } from './space';

export interface SearchContext extends RunControl {
  graph: Graph;
  shapes: number[][];
  layers: ComponentLayerInfo[];
  groups: LayerGroups;
  reference: Dataset;
  evaluator: MaskedEvaluator;
  executor?: ExecutorPreference;
  rates?: number[];
  /** How scores are ranked: raw (method.md, the default) or normalized per layer (prune --normalize). */
  normalize?: Normalization;
}

/**
 * What a rule assignment produces, kept per component layer as the two sums over samples the scores need (Σ|R| and
 * ΣR per component): the per-sample rows would hold ~100× more for every cached assignment of a long search.
 */
export type Relevance = { abs: Float64Array; signed: Float64Array }[];

/** Σ_samples |R| and Σ_samples R per component, summed in sample order. */
function sumsOverSamples(rows: Float64Array[]): { abs: Float64Array; signed: Float64Array } {
  const width = rows[0]?.length ?? 0;
  const abs = new Float64Array(width);
  const signed = new Float64Array(width);
  for (const row of rows) {
    for (let j = 0; j < width; j++) {
      abs[j] += Math.abs(row[j]);
      signed[j] += row[j];
    }
  }
  return { abs, signed };
}

export class AttributionObjective {
  private cache = new Map<string, Relevance>();
  cacheHits = 0;

  constructor(private readonly ctx: SearchContext) {}

  /** Whether the relevance of this point's rule assignment is already known (then a trial costs no attribution). */
  has(p: Params): boolean {
    return this.cache.has(relevanceKey(p));
  }

  /** Relevance computed elsewhere (a worker thread) for this point's rule assignment. */
  remember(p: Params, relevance: Relevance): void {
    this.cache.set(relevanceKey(p), relevance);
  }

  async relevance(p: Params): Promise<Relevance> {
    const key = relevanceKey(p);
    const hit = this.cache.get(key);
    if (hit) {
      this.cacheHits++;
      return hit;
    }
    const { graph, reference } = this.ctx;
    const composite = paramsToComposite(p, this.ctx.groups, 'trial');
    const r = await attribute(graph, composite, reference.x, reference.shape, {
      targets: reference.y,
      init: composite.init,
      executor: this.ctx.executor,
      signal: this.ctx.signal,
    });
    const rel = this.ctx.layers.map((l) => sumsOverSamples(r.layers.find((x) => x.name === l.name)!.relevance));
    this.cache.set(key, rel);
    return rel;
  }

  /** Component scores for a point: Σ_samples |R| (abs_sort) or Σ_samples R. */
  async scores(p: Params): Promise<Float64Array[]> {
    const abs = p.abs_sort !== 'false';
    return (await this.relevance(p)).map((sums) => Float64Array.from(abs ? sums.abs : sums.signed));
  }

  /** The point's masked pruning curve; `perSample` keeps which samples each point got right. */
  async evaluate(p: Params, evaluator = this.ctx.evaluator, perSample = false): Promise<Curve> {
    const scores = normalizeScores(await this.scores(p), this.ctx.normalize ?? 'none');
    return pruningCurve(
      'lrp:trial',
      scores,
      { graph: this.ctx.graph, shapes: this.ctx.shapes, layers: this.ctx.layers },
      evaluator,
      {
        rates: this.ctx.rates,
        leastRelevantFirst: p.least_relevant_first !== 'false',
        signal: this.ctx.signal,
        perSample,
      },
    );
  }
}
