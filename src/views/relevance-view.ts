/**
 * The relevance panel's data from a folder: either `pxp attribute --out DIR` (components.json with relevance per
 * sample and component, input.npy, heatmaps/*.png) or a prune/search run (relevance.json: one score per component).
 *
 * Conservation (method.md): with the one-hot initialisation every sample puts relevance 1 on the output, and LRP
 * hands it down layer by layer to the input; biases and ε absorb the rest. The figure compares each sample's input
 * relevance sum (input.npy) with its output relevance, and the sum at each component layer on the way.
 */
import { sourceFileOf } from './source-place';
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../core/errors';
import { readNpy } from '../core/io/npy';
import { encodeHeatmapPng } from '../core/report/heatmap';
import type { RelevanceLayer, RelevanceSample, RelevanceView } from '../protocol/webview';
import { asString } from '../shared/run-folder/json';
import { hasFile, readComponents, readOptionalJsonObject, readRelevance } from '../core/run-folder/read';

const HINT = 'open a folder written by pxp attribute --out, or a pxp prune / pxp search run';
/** Samples sent to the webview with their per-component relevance (the means use every sample)… */
export const MAX_SAMPLES = 512;
/** …and at most this many per-sample values in all, so a wide model's message stays a few MB. */
export const MAX_SAMPLE_VALUES = 500_000;
/** Heatmap PNGs above this size are not inlined. */
const MAX_HEATMAP_BYTES = 512 * 1024;

export function readRelevanceView(dir: string): RelevanceView {
  if (hasFile(dir, 'components.json')) return attributionView(dir);
  if (hasFile(dir, 'relevance.json')) return runScoresView(dir);
  throw badInput(`${dir} has neither components.json nor relevance.json`, HINT);
}

/** Sum of each sample's slice of a [N, …] array, in float64. */
export function perSampleSums(data: ArrayLike<number>, n: number): number[] {
  const per = data.length / n;
  const sums: number[] = [];
  for (let s = 0; s < n; s++) {
    let a = 0;
    for (let i = s * per; i < (s + 1) * per; i++) a += data[i];
    sums.push(a);
  }
  return sums;
}

function attributionView(dir: string): RelevanceView {
  const json = readComponents(dir, HINT);
  const layers = json.layers;
  const n = layers[0]?.relevance.length ?? 0;
  const targets = json.targets;
  const init = json.init;
  let inputSums: number[] | undefined;
  if (hasFile(dir, 'input.npy')) {
    const input = readNpy(path.join(dir, 'input.npy'));
    const count = input.shape[0];
    if (count !== n && n > 0)
      throw badInput(
        `${dir}: input.npy holds ${count} samples, components.json ${n}`,
        'the folder mixes two runs; run pxp attribute again',
      );
    inputSums = perSampleSums(input.data, count);
  }
  const heatmaps = heatmapFiles(dir);
  const components = layers.reduce((a, l) => a + (l.relevance[0]?.length ?? 0), 0);
  const shown = Math.min(n, MAX_SAMPLES, Math.max(1, Math.floor(MAX_SAMPLE_VALUES / Math.max(1, components))));
  const samples: RelevanceSample[] = [];
  for (let s = 0; s < shown; s++) {
    const file = heatmaps.get(s);
    samples.push({
      index: s,
      target: targets[s] ?? -1,
      ...(file ? { heatmap: pngDataUri(file) } : {}),
      inputSum: inputSums?.[s] ?? NaN,
      // The one-hot initialisation puts relevance 1 on the target logit (architecture.md); `logit` scales it by the
      // logit, which the folder does not record.
      ...(init === 'one-hot' ? { outputSum: 1 } : {}),
      layerSums: layers.map((l) => l.relevance[s].reduce((a, v) => a + v, 0)),
    });
  }
  const viewLayers: RelevanceLayer[] = layers.map((l) => ({
    name: l.name,
    kind: l.kind,
    mean: meanRows(l.relevance),
    perSample: l.relevance.slice(0, shown),
  }));
  // Conservation over every sample of the folder, not only those sent.
  // With the one-hot start every output holds 1, so the ratio is the input sum itself.
  const ratios = init === 'one-hot' && inputSums ? inputSums : [];
  return {
    kind: 'relevance',
    runDir: dir,
    source: 'attribution',
    title: path.basename(dir),
    model: json.model || undefined,
    ...sourceFileOf(dir),
    composite: { name: json.composite.name, rules: json.rules },
    init,
    ...(json.classNames ? { classNames: json.classNames } : {}),
    layers: viewLayers,
    samples,
    samplesTotal: n,
    conservation:
      ratios.length > 0
        ? {
            meanRatio: ratios.reduce((a, r) => a + r, 0) / ratios.length,
            worstGap: ratios.reduce((a, r) => Math.max(a, Math.abs(r - 1)), 0),
            samples: ratios.length,
          }
        : undefined,
  };
}

function runScoresView(dir: string): RelevanceView {
  const json = readRelevance(dir, HINT);
  const run = readOptionalJsonObject(dir, 'run.json', HINT);
  const layers = json.layers.map((l) => ({ name: l.name, kind: l.kind, mean: l.scores }));
  return {
    kind: 'relevance',
    runDir: dir,
    source: 'prune',
    title: path.basename(dir),
    model: asString(run?.model),
    ...sourceFileOf(dir),
    criterion: json.criterion || asString(run?.criterion),
    layers,
    samples: [],
  };
}

function meanRows(rows: number[][]): number[] {
  if (rows.length === 0) return [];
  const out = new Array<number>(rows[0].length).fill(0);
  for (const r of rows) for (let i = 0; i < out.length; i++) out[i] += r[i];
  return out.map((v) => v / rows.length);
}

/** heatmaps/NNNN-classK.png by sample index. */
function heatmapFiles(dir: string): Map<number, string> {
  const folder = path.join(dir, 'heatmaps');
  const out = new Map<number, string>();
  if (!fs.existsSync(folder)) return out;
  for (const f of fs.readdirSync(folder)) {
    const m = /^(\d+)-class\d+\.png$/.exec(f);
    if (m) out.set(Number(m[1]), path.join(folder, f));
  }
  return out;
}

function pngDataUri(file: string): string | undefined {
  const bytes = fs.readFileSync(file);
  if (bytes.length > MAX_HEATMAP_BYTES) return undefined;
  return `data:image/png;base64,${bytes.toString('base64')}`;
}

/**
 * The relevance heatmap of one sample drawn from input.npy (red positive, blue negative, as pxp attribute's PNGs),
 * for samples beyond the PNGs the folder has. Undefined when the input relevance is not an image (rank ≠ 4).
 * The folder does not keep the input itself, so the picture is the relevance alone, with its colour scale and `label`.
 */
export function renderRelevanceHeatmap(dir: string, sample: number, label?: string): string | undefined {
  const input = readNpy(path.join(dir, 'input.npy'));
  if (input.shape.length !== 4) return undefined;
  const [n, h, w, c] = input.shape;
  if (!(Number.isInteger(sample) && sample >= 0 && sample < n))
    throw badInput(`${dir}: sample ${sample} is not among the ${n} of input.npy`, 'pick a sample of the list');
  const per = h * w * c;
  const relevance = Float32Array.from(input.data.subarray(sample * per, (sample + 1) * per));
  const png = encodeHeatmapPng(undefined, relevance, h, w, c, undefined, { ...(label ? { label } : {}) });
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}
