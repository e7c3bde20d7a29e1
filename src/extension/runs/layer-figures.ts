/**
 * Per-layer figures for the CodeLens and hovers on model.json: each layer's share of the total component relevance
 * (sum of |score| over the layer's components, from relevance.json or components.json) and how many of its
 * components a physically pruned model removed (filters/units of pruned/model.json against the original).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Json } from '../../shared/run-folder/json';
import { tryReadJsonObject } from '../../core/run-folder/read';
import type { RunSummary } from './run-summary';

export interface LayerFigures {
  /** Fraction of the model's total |relevance| in this layer's components. */
  share?: number;
  components?: number;
  /** Components removed in the run's pruned model. */
  removed?: number;
}

export interface ModelFigures {
  run: RunSummary;
  layers: Map<string, LayerFigures>;
}

/** Per layer, each component's |relevance| (components.json: summed over samples), and the rule of each layer. */
export function componentRelevance(run: RunSummary): {
  layers: Map<string, number[]>;
  rules: Map<string, string>;
  kinds: Map<string, string>;
} {
  const layers = new Map<string, number[]>();
  const kinds = new Map<string, string>();
  const rel = tryReadJsonObject(path.join(run.dir, 'relevance.json'));
  const comps = rel ? undefined : tryReadJsonObject(path.join(run.dir, 'components.json'));
  const file = rel ?? comps;
  for (const l of (file?.layers ?? []) as Json[]) {
    if (typeof l.name !== 'string') continue;
    let scores: number[] = [];
    if (Array.isArray(l.scores)) scores = l.scores.map((s) => Math.abs(Number(s) || 0));
    else if (Array.isArray(l.relevance)) {
      // components.json: [per sample][per component]; summed over samples
      for (const sample of l.relevance as unknown[]) {
        if (!Array.isArray(sample)) continue;
        sample.forEach((s, j) => (scores[j] = (scores[j] ?? 0) + Math.abs(Number(s) || 0)));
      }
    }
    layers.set(l.name, scores);
    if (typeof l.kind === 'string') kinds.set(l.name, l.kind);
  }
  const rules = new Map<string, string>();
  for (const r of (file?.rules ?? []) as Json[])
    if (typeof r.name === 'string' && typeof r.rule === 'string') rules.set(r.name, r.rule);
  return { layers, rules, kinds };
}

/** Layer name → total |relevance| and component count. */
function layerRelevance(run: RunSummary): Map<string, { total: number; components: number }> {
  const out = new Map<string, { total: number; components: number }>();
  for (const [name, scores] of componentRelevance(run).layers)
    out.set(name, { total: scores.reduce((a, v) => a + v, 0), components: scores.length });
  return out;
}

/** filters / units per layer name of a LayersModel JSON file. */
export function layerWidths(modelJson: string): Map<string, number> {
  const out = new Map<string, number>();
  const m = tryReadJsonObject(modelJson);
  const topology = m?.modelTopology as Json | undefined;
  const config = (topology?.config ?? topology?.model_config) as Json | undefined;
  const layers = ((config?.config as Json | undefined)?.layers ?? config?.layers ?? []) as Json[];
  for (const l of layers) {
    const c = (l.config ?? {}) as Json;
    const name = typeof l.name === 'string' ? l.name : c.name;
    const width = typeof c.filters === 'number' ? c.filters : typeof c.units === 'number' ? c.units : undefined;
    if (typeof name === 'string' && width !== undefined) out.set(name, width);
  }
  return out;
}

export function modelFigures(run: RunSummary): ModelFigures {
  const layers = new Map<string, LayerFigures>();
  const rel = layerRelevance(run);
  const grand = [...rel.values()].reduce((a, r) => a + r.total, 0);
  for (const [name, r] of rel)
    layers.set(name, { share: grand > 0 ? r.total / grand : undefined, components: r.components });
  const pruned = path.join(run.dir, 'pruned', 'model.json');
  if (run.model && fs.existsSync(pruned)) {
    const before = layerWidths(run.model);
    const after = layerWidths(pruned);
    for (const [name, width] of before) {
      const left = after.get(name);
      if (left === undefined) continue;
      const f = layers.get(name) ?? {};
      layers.set(name, { ...f, components: f.components ?? width, removed: width - left });
    }
  }
  return { run, layers };
}

/** The newest run of this model that has relevance (a relevance or prune run, or a search with relevance.json). */
export function latestRunFor(model: string, runs: RunSummary[]): RunSummary | undefined {
  const target = path.resolve(model);
  return runs.find(
    (r) =>
      r.model === target &&
      (fs.existsSync(path.join(r.dir, 'relevance.json')) || fs.existsSync(path.join(r.dir, 'components.json'))),
  );
}
