/**
 * The architecture-diff panel's data from a `pxp prune --rate P --out RUN` folder: the headline figures from run.json
 * (`physical`: params, FLOPs, measured latency, accuracies) and curve.json (the unpruned accuracy at rate 0), and a
 * per-layer comparison of the original with the pruned model (run.json's physical.layers; for runs written before
 * it, the original model.json against RUN/pruned/model.json).
 */
import { sourceFileOf } from './source-place';
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../core/errors';
import type { DiffLayer, DiffView } from '../protocol/webview';
import { readModelJsonLayers } from './model-json-layers';
import { asNumber, asObject, asString, type Json } from '../shared/run-folder/json';
import { readJsonObject } from '../core/run-folder/read';
import { accuracyWarning, classCountOf } from '../shared/accuracy-warning';

const HINT = 'open a run written by pxp prune --rate P --out RUN (the rate makes the physically pruned model)';

function pairOf(v: unknown, what: string, dir: string): { original: number; pruned: number } {
  const o = asObject(v);
  const original = asNumber(o?.original);
  const pruned = asNumber(o?.pruned);
  if (original === undefined || pruned === undefined)
    throw badInput(`${dir}: run.json physical.${what} lacks original and pruned numbers`, HINT);
  return { original, pruned };
}

export function readDiffView(dir: string): DiffView {
  const run = readJsonObject(dir, 'run.json', HINT);
  const physical = asObject(run.physical);
  if (!physical) throw badInput(`${dir}: run.json has no physical section, so no pruned model to compare`, HINT);
  const curve = readJsonObject(dir, 'curve.json', HINT);
  const points = Array.isArray(curve.points) ? curve.points.map(asObject) : [];
  const unpruned = asNumber(points.find((p) => asNumber(p?.rate) === 0)?.accuracy);
  if (unpruned === undefined) throw badInput(`${dir}: curve.json has no point at rate 0, the unpruned accuracy`, HINT);
  const params = pairOf(physical.params, 'params', dir);
  const flops = pairOf(physical.flops, 'flops', dir);
  const latency = asObject(physical.latencyMs);
  const latencyMs = pairOf(latency, 'latencyMs', dir);
  const pruned = asNumber(physical.prunedAccuracy);
  if (pruned === undefined) throw badInput(`${dir}: run.json physical.prunedAccuracy is missing`, HINT);
  const finetuned = asNumber(asObject(physical.finetune)?.accuracy);
  const { layers, note } = layerDiff(dir, run);
  const warning = accuracyWarning(unpruned, pruned, classCountOf(run));
  return {
    kind: 'diff',
    runDir: dir,
    title: path.basename(dir),
    criterion: asString(run.criterion) ?? '?',
    model: asString(run.model) ?? '?',
    ...sourceFileOf(dir),
    rate: asNumber(physical.rate) ?? NaN,
    ...withHow(run, physical),
    summary: {
      timesSmaller: params.original / params.pruned,
      timesFaster: asNumber(physical.speedup) ?? latencyMs.original / latencyMs.pruned,
      timesFewerFlops: flops.original / flops.pruned,
      accuracy: {
        original: unpruned,
        pruned,
        masked: asNumber(physical.maskedAccuracy),
        ...(finetuned !== undefined ? { finetuned } : {}),
      },
      accuracyDropPoints: 100 * (unpruned - pruned),
      params,
      flops,
      latencyMs: { ...latencyMs, batch: asNumber(latency?.batch), engine: asString(latency?.engine) },
      components: { removed: asNumber(physical.removed) ?? NaN, total: asNumber(physical.total) ?? NaN },
    },
    layers,
    ...(note ? { layersNote: note } : {}),
    ...(warning ? { warning } : {}),
  };
}

/** What a run did differently from the defaults: a layer-normalized ranking, a rate chosen by an accuracy budget. */
function withHow(run: Json, physical: Json): { how?: string[] } {
  const how: string[] = [];
  const normalize = asString(asObject(run.settings)?.normalize);
  if (normalize && normalize !== 'none')
    how.push(`scores normalized per layer by their ${normalize} before the ranking`);
  const maxDrop = asNumber(asObject(physical.chosenBy)?.maxDropPoints);
  if (maxDrop !== undefined)
    how.push(
      `rate chosen by --max-drop ${maxDrop}: the largest before the accuracy falls more than ${maxDrop} point${maxDrop === 1 ? '' : 's'}`,
    );
  const curveRemoved = asNumber(physical.curveRemoved);
  const differences = Array.isArray(physical.differences)
    ? physical.differences.flatMap((d) => asString(asObject(d)?.why) ?? [])
    : [];
  if (differences.length && curveRemoved !== undefined)
    how.push(
      `not the curve's point: the curve removes ${curveRemoved} components, the pruned model ${asNumber(physical.removed)}, because ${differences.join('; ')}`,
    );
  return how.length ? { how } : {};
}

/** Original vs pruned, layer by layer: as run.json records it (every run since ONNX models), else from the model files. */
function layerDiff(dir: string, run: Json): { layers: DiffLayer[]; note?: string } {
  const recorded = asObject(run.physical)?.layers;
  if (Array.isArray(recorded)) return { layers: recorded.flatMap((l) => (isDiffLayer(l) ? [l] : [])) };
  const prunedFile = path.join(dir, 'pruned', 'model.json');
  const originalFile = asString(run.model);
  if (!fs.existsSync(prunedFile)) return { layers: [], note: `${prunedFile} is missing` };
  if (!originalFile || !fs.existsSync(originalFile))
    return {
      layers: [],
      note: `the original model ${originalFile ?? '(not named in run.json)'} is not on this machine`,
    };
  const before = readModelJsonLayers(originalFile);
  const after = new Map(readModelJsonLayers(prunedFile).map((l) => [l.name, l]));
  const layers = before
    .filter((l) => l.params > 0 || l.components !== undefined)
    .map((l): DiffLayer => {
      const p = after.get(l.name);
      return {
        name: l.name,
        className: l.className,
        ...(l.components !== undefined ? { components: { original: l.components, pruned: p?.components ?? 0 } } : {}),
        params: { original: l.params, pruned: p?.params ?? 0 },
        ...(l.flops !== undefined && p?.flops !== undefined ? { flops: { original: l.flops, pruned: p.flops } } : {}),
      };
    });
  return { layers };
}

const isPair = (v: unknown) =>
  asNumber(asObject(v)?.original) !== undefined && asNumber(asObject(v)?.pruned) !== undefined;

function isDiffLayer(v: unknown): v is DiffLayer {
  const o = asObject(v);
  return (
    !!o &&
    typeof o.name === 'string' &&
    typeof o.className === 'string' &&
    isPair(o.params) &&
    (o.components === undefined || isPair(o.components)) &&
    (o.flops === undefined || isPair(o.flops))
  );
}
