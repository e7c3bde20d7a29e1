/**
 * Readers of run-folder files with one error policy: a required file that is missing, or any file that does not
 * parse or is not what it should be, is a bad-input error naming the folder and the file (`hint` says what to do);
 * an optional file that is missing is undefined. `tryReadJsonObject` is the lenient form for summaries that must
 * never fail (the sidebar). Trial lines follow src/shared/run-folder/trials.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../errors';
import { type Json, asNumber, asObject, asString } from '../../shared/run-folder/json';
import { parseTrialLines } from '../../shared/run-folder/trials';
import {
  BEST_CRITERION,
  type ComparisonCurve,
  type ComparisonFile,
  type ComponentsFile,
  type CurveFile,
  type CurvePoint,
  type DataInfo,
  type RateAccuracy,
  type RelevanceFile,
  type TrialLine,
} from '../../shared/run-folder/types';

export function hasFile(dir: string, name: string): boolean {
  return fs.existsSync(path.join(dir, name));
}

/** A JSON object from the run folder; a bad-input error naming the folder when it is missing, cut short or not an object. */
export function readJsonObject(dir: string, name: string, hint: string): Json {
  const file = path.join(dir, name);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw badInput(`${dir} has no ${name}`, hint);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw badInput(
      `${dir}: ${name} is not valid JSON (${(e as Error).message})`,
      `the file may still be written or cut short; ${hint}`,
    );
  }
  const obj = asObject(value);
  if (!obj) throw badInput(`${dir}: ${name} is not a JSON object`, hint);
  return obj;
}

export function readOptionalJsonObject(dir: string, name: string, hint: string): Json | undefined {
  return hasFile(dir, name) ? readJsonObject(dir, name, hint) : undefined;
}

/** A JSON object, or undefined when the file is missing or unreadable: for summaries that must not fail. */
export function tryReadJsonObject(file: string): Json | undefined {
  try {
    return asObject(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
}

/** The finished trials of a search folder's trials.jsonl (none when it has no log yet). */
export function readTrials(dir: string): TrialLine[] {
  const file = path.join(dir, 'trials.jsonl');
  return fs.existsSync(file) ? parseTrialLines(fs.readFileSync(file, 'utf8')).trials : [];
}

/**
 * The trials a resumed search continues from. Only a last line without its newline (a kill cut it short) is dropped;
 * a whole line that is not a trial is a bad-input error naming it, since continuing would drop the trials after it.
 */
export function readTrialsToResume(dir: string): TrialLine[] {
  const file = path.join(dir, 'trials.jsonl');
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  const { trials, consumed } = parseTrialLines(text);
  const end = text.indexOf('\n', consumed);
  if (end >= 0) {
    const line = text.slice(0, consumed).split('\n').length;
    const bad = text.slice(consumed, end).trim();
    throw badInput(
      `${dir}: trials.jsonl line ${line} is not a trial (${bad.length > 60 ? `${bad.slice(0, 60)}…` : bad}); resuming would drop the trials after it`,
      'fix or remove that line, or start a new search (without --resume)',
    );
  }
  return trials;
}

const CURVE_HINT = 'pass folders written by pxp prune --out, or run pxp prune again';

/** A run folder's curve.json, checked and sorted by rate. */
export function readCurve(dir: string, hint = CURVE_HINT): CurveFile {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw badInput(`run folder ${dir} does not exist`, hint);
  if (!hasFile(dir, 'curve.json'))
    throw badInput(`${dir} has no curve.json, so it is not a finished pxp prune run`, hint);
  const json = readJsonObject(dir, 'curve.json', hint);
  const malformed = (what: string) => badInput(`${dir}: curve.json is malformed: ${what}`, hint);
  if (!Array.isArray(json.points) || json.points.length === 0) throw malformed('"points" is not a non-empty list');
  const points = json.points.map((p, i): CurvePoint => {
    const o = asObject(p);
    const rate = asNumber(o?.rate);
    const accuracy = asNumber(o?.accuracy);
    if (rate === undefined || accuracy === undefined) throw malformed(`point ${i} lacks a numeric rate and accuracy`);
    return { rate, accuracy, removed: asNumber(o?.removed), params: asNumber(o?.params), flops: asNumber(o?.flops) };
  });
  const auc = asNumber(json.auc);
  if (auc === undefined) throw malformed('"auc" is not a number');
  return { criterion: asString(json.criterion), points: points.sort((a, b) => a.rate - b.rate), auc };
}

/** relevance.json: every layer needs a name and a list of scores. */
export function readRelevance(dir: string, hint: string): RelevanceFile {
  const json = readJsonObject(dir, 'relevance.json', hint);
  if (!Array.isArray(json.layers)) throw badInput(`${dir}: relevance.json has no "layers" list`, hint);
  const layers = json.layers.map((l, i) => {
    const o = asObject(l);
    const name = asString(o?.name);
    if (!o || !name || !Array.isArray(o.scores))
      throw badInput(`${dir}: relevance.json layer ${i} lacks a name or scores`, hint);
    return { name, kind: asString(o.kind) ?? 'conv', scores: (o.scores as unknown[]).map((v) => asNumber(v) ?? NaN) };
  });
  return { criterion: asString(json.criterion) ?? '', layers };
}

/** components.json of pxp attribute: every layer needs a name and its [sample][component] relevance. */
export function readComponents(dir: string, hint: string): ComponentsFile {
  const json = readJsonObject(dir, 'components.json', hint);
  if (!Array.isArray(json.layers)) throw badInput(`${dir}: components.json has no "layers" list`, hint);
  const layers = json.layers.map((l, i) => {
    const o = asObject(l);
    const name = asString(o?.name);
    if (!o || !name || !Array.isArray(o.relevance))
      throw badInput(`${dir}: components.json layer ${i} lacks a name or a relevance list`, hint);
    const width = Array.isArray(o.relevance[0]) ? o.relevance[0].length : -1;
    const bad = o.relevance.findIndex(
      (row) => !Array.isArray(row) || row.length !== width || !row.every((v) => typeof v === 'number'),
    );
    if (bad >= 0)
      throw badInput(
        `${dir}: components.json layer '${name}': relevance row ${bad} is not a list of ${width} numbers like the first`,
        hint,
      );
    return { name, kind: asString(o.kind) ?? 'conv', relevance: o.relevance as number[][] };
  });
  const samples = layers[0]?.relevance.length;
  const uneven = layers.find((l) => l.relevance.length !== samples);
  if (uneven)
    throw badInput(
      `${dir}: components.json layer '${uneven.name}' has relevance for ${uneven.relevance.length} samples, layer '${layers[0].name}' for ${samples}`,
      hint,
    );
  const composite = asObject(json.composite);
  const rules = Array.isArray(json.rules)
    ? json.rules.map((r) => ({ name: asString(asObject(r)?.name) ?? '?', rule: asString(asObject(r)?.rule) ?? '?' }))
    : [];
  return {
    model: asString(json.model) ?? '',
    composite: { ...(composite ?? {}), name: asString(composite?.name) ?? 'custom' },
    rules,
    init: asString(json.init) ?? 'one-hot',
    targets: Array.isArray(json.targets) ? (json.targets as number[]) : [],
    ...(Array.isArray(json.classNames) && json.classNames.every((n) => typeof n === 'string')
      ? { classNames: json.classNames as string[] }
      : {}),
    layers,
  };
}

const rateAccuracies = (v: unknown): RateAccuracy[] =>
  Array.isArray(v)
    ? v.map(asObject).map((p) => ({ rate: asNumber(p?.rate) ?? NaN, accuracy: asNumber(p?.accuracy) ?? NaN }))
    : [];

const dataInfo = (v: unknown): DataInfo | undefined => {
  const o = asObject(v);
  const source = asString(o?.source);
  const samples = asNumber(o?.samples);
  return source !== undefined && samples !== undefined ? { source, samples } : undefined;
};

/** comparison.json of a search, once the search has scored it; undefined before. */
export function readComparison(dir: string, hint: string): ComparisonFile | undefined {
  const json = readOptionalJsonObject(dir, 'comparison.json', hint);
  if (!json) return undefined;
  if (!Array.isArray(json.curves)) throw badInput(`${dir}: comparison.json has no "curves" list`, hint);
  const curves = json.curves.map((c, i): ComparisonCurve => {
    const o = asObject(c);
    const criterion = asString(o?.criterion);
    const auc = asNumber(o?.auc);
    if (!o || criterion === undefined || auc === undefined)
      throw badInput(`${dir}: comparison.json curve ${i} lacks a criterion or an AUC`, hint);
    const held = asObject(o.holdout);
    const heldAuc = asNumber(held?.auc);
    return {
      criterion,
      auc,
      points: rateAccuracies(o.points),
      ...(held && heldAuc !== undefined ? { holdout: { auc: heldAuc, points: rateAccuracies(held.points) } } : {}),
      // Searches before the held-out comparison did not mark their best composite.
      ...(o.selectionBiased === true || criterion === BEST_CRITERION ? { selectionBiased: true } : {}),
    };
  });
  const evaluation = dataInfo(json.evaluation);
  const holdout = dataInfo(json.holdout);
  return { curves, ...(evaluation ? { evaluation } : {}), ...(holdout ? { holdout } : {}) };
}
