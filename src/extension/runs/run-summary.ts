/**
 * What the sidebar, the status bar and the CodeLens show about a run folder, read from its files (run.json,
 * curve.json, relevance.json, components.json, pruned/model.json). No vscode import: unit-tested in plain Node.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Json, asNumber, asObject } from '../../shared/run-folder/json';
import { readTrials, tryReadJsonObject } from '../../core/run-folder/read';
import { type AccuracyWarning, accuracyWarning, classCountOf } from '../../shared/accuracy-warning';

export type RunKind = 'relevance' | 'prune' | 'search' | 'train' | 'export' | 'compare';
export const RUN_KINDS: RunKind[] = ['relevance', 'prune', 'search', 'train', 'export', 'compare'];

export interface RunSummary {
  dir: string;
  name: string;
  kind: RunKind;
  /** The model the run read, absolute, when the run says. */
  model?: string;
  auc?: number;
  /** Fraction removed physically (pxp prune --rate). */
  rate?: number;
  speedup?: number;
  /** Accuracy of the unpruned model (the curve at rate 0) and of the physically pruned one. */
  accuracy?: { original?: number; pruned?: number };
  /** The pruned model collapsed or lost many points. */
  warning?: AccuracyWarning;
  trials?: number;
  /** What the run used: a prune's criterion, an attribution's composite. */
  subject?: string;
  /** Folder time, for ordering. */
  mtimeMs: number;
}

/** The runs folder the editor writes into: `<workspace>/.pxp/runs`. */
export const runsFolder = (workspace: string) => path.join(workspace, '.pxp', 'runs');

/** A tag of a folder name: lower case letters, digits and dots, runs of anything else one dash ("lrp:ε-plus" → "lrp-plus"). */
export const nameTag = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '');

/**
 * What a run's folder name says about it, from the flags it runs with: prune → criterion and physical target ("1pt",
 * "rate0.3", "curve" when nothing is removed), attribute → composite, search → trials.
 */
export function runNameTags(command: string, all: Record<string, string | boolean | undefined>): string[] {
  const flags = Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => typeof e[1] === 'string'));
  // A composite file counts by its name, not its folders.
  if (command === 'prune')
    return [
      (flags.criterion ?? 'lrp:epsilon-plus-flat').replace(/^lrp:.*[\\/]/, 'lrp:'),
      flags['max-drop'] !== undefined
        ? `${flags['max-drop']}pt`
        : flags.rate !== undefined
          ? `rate${flags.rate}`
          : 'curve',
    ];
  if (command === 'attribute') return [path.basename(flags.composite ?? 'epsilon-plus-flat')];
  if (command === 'search' && flags.trials !== undefined) return [`${flags.trials}trials`];
  return [];
}

/**
 * A new folder name `<kind>[-<tags>]-YYYYMMDD-HHMMSS[-n]` that does not exist yet (never an existing user folder); the
 * tags say what the run is: `prune-lrp-epsilon-plus-flat-1pt-20261206-042501`.
 */
export function newRunDir(parent: string, kind: RunKind, now = new Date(), tags: string[] = []): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  const base = [kind, ...tags.map(nameTag).filter(Boolean), stamp].join('-');
  let dir = path.join(parent, base);
  for (let n = 2; fs.existsSync(dir); n++) dir = path.join(parent, `${base}-${n}`);
  return dir;
}

export function kindOfFolder(name: string, run?: Json): RunKind | undefined {
  const prefix = RUN_KINDS.find((k) => name.startsWith(`${k}-`));
  if (prefix) return prefix;
  if (run?.command === 'search') return 'search';
  if (run?.command === 'prune') return 'prune';
  return undefined;
}

/** Reads one finished run folder; undefined when it is not a run (no known files). */
export function readRunSummary(dir: string, workspace?: string): RunSummary | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    return undefined;
  }
  if (!stat.isDirectory()) return undefined;
  const name = path.basename(dir);
  const run = tryReadJsonObject(path.join(dir, 'run.json'));
  const kind = kindOfFolder(name, run) ?? (fs.existsSync(path.join(dir, 'components.json')) ? 'relevance' : undefined);
  if (!kind) return undefined;
  const summary: RunSummary = { dir, name, kind, mtimeMs: stat.mtimeMs };
  // An attribution folder names its model in components.json.
  const components = run ? undefined : tryReadJsonObject(path.join(dir, 'components.json'));
  const model =
    typeof run?.model === 'string' ? run.model : typeof components?.model === 'string' ? components.model : undefined;
  if (model) summary.model = path.resolve(workspace ?? process.cwd(), model);
  const subject = typeof run?.criterion === 'string' ? run.criterion : asObject(components?.composite)?.name;
  if (typeof subject === 'string') summary.subject = subject;
  const curve = tryReadJsonObject(path.join(dir, 'curve.json'));
  summary.auc = asNumber(run?.auc) ?? asNumber(curve?.auc);
  const points = Array.isArray(curve?.points) ? curve.points.map(asObject) : [];
  const original = asNumber(points.find((p) => asNumber(p?.rate) === 0)?.accuracy);
  const physical = asObject(run?.physical);
  const pruned = asNumber(physical?.prunedAccuracy);
  if (original !== undefined || pruned !== undefined) summary.accuracy = { original, pruned };
  if (physical) {
    summary.rate = asNumber(physical.rate);
    summary.speedup = asNumber(physical.speedup);
    if (original !== undefined && pruned !== undefined)
      summary.warning = accuracyWarning(original, pruned, classCountOf(run!));
  }
  if (kind === 'search') {
    try {
      summary.trials = readTrials(dir).length;
    } catch {
      summary.trials = 0;
    }
  }
  return summary;
}

// A finished run folder appears whole (renamed into place) and is not rewritten: keep its summary while its mtime
// stays, so redrawing the sidebar during a job does not re-read every run's JSON on the host's main thread.
const cache = new Map<string, { mtimeMs: number; summary: RunSummary | undefined }>();

/** Every run under the runs folder, newest first. */
export function listRuns(workspace: string): RunSummary[] {
  const parent = runsFolder(workspace);
  if (!fs.existsSync(parent)) return [];
  return fs
    .readdirSync(parent)
    .filter((n) => !n.startsWith('.'))
    .map((n) => {
      const dir = path.join(parent, n);
      let mtimeMs: number;
      try {
        mtimeMs = fs.statSync(dir).mtimeMs;
      } catch {
        return undefined;
      }
      const hit = cache.get(dir);
      if (hit && hit.mtimeMs === mtimeMs && hit.summary?.kind !== 'search') return hit.summary;
      const summary = readRunSummary(dir, workspace);
      cache.set(dir, { mtimeMs, summary });
      return summary;
    })
    .filter((r): r is RunSummary => !!r)
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
}

const pct = (v: number) => `${(100 * v).toFixed(1)} %`;

/** The accuracy in words: "93.0 → 82.4 %" for a pruned model (⚠ when it collapsed), "acc 93.0 %" for a curve only. */
function describeAccuracy(r: RunSummary): string | undefined {
  const a = r.accuracy;
  if (a?.pruned !== undefined)
    return `${r.warning?.kind === 'collapse' ? '⚠ ' : ''}${a.original !== undefined ? `${(100 * a.original).toFixed(1)} → ` : 'acc '}${pct(a.pruned)}`;
  return a?.original !== undefined ? `acc ${pct(a.original)}` : undefined;
}

/** One line of key figures: "AUC 0.337 · 93.0 → 82.4 % · 25 % removed · 1.4× faster". */
export function describeFigures(r: RunSummary): string {
  const parts: string[] = [];
  if (r.auc !== undefined) parts.push(`AUC ${r.auc.toFixed(3)}`);
  const accuracy = describeAccuracy(r);
  if (accuracy) parts.push(accuracy);
  if (r.rate === 0) parts.push('nothing removed');
  else {
    if (r.rate !== undefined) parts.push(`${Math.round(r.rate * 100)} % removed`);
    if (r.speedup !== undefined) parts.push(`${r.speedup.toFixed(2)}× faster`);
  }
  if (r.trials !== undefined) parts.push(`${r.trials} trials`);
  return parts.join(' · ');
}
