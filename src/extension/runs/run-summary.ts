/**
 * What the sidebar, the status bar and the CodeLens show about a run folder, read from its files (run.json,
 * curve.json, relevance.json, components.json, pruned/model.json). No vscode import: unit-tested in plain Node.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Json, asNumber, asObject } from '../../shared/run-folder/json';
import { readTrials, tryReadJsonObject } from '../../core/run-folder/read';

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
  trials?: number;
  /** Folder time, for ordering. */
  mtimeMs: number;
}


/** The runs folder the editor writes into: `<workspace>/.pxp/runs`. */
export const runsFolder = (workspace: string) => path.join(workspace, '.pxp', 'runs');

/** A new folder name `<kind>-YYYYMMDD-HHMMSS[-n]` that does not exist yet (never an existing user folder). */
export function newRunDir(parent: string, kind: RunKind, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  let dir = path.join(parent, `${kind}-${stamp}`);
  for (let n = 2; fs.existsSync(dir); n++) dir = path.join(parent, `${kind}-${stamp}-${n}`);
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
  const model = typeof run?.model === 'string' ? run.model : typeof components?.model === 'string' ? components.model : undefined;
  if (model) summary.model = path.resolve(workspace ?? process.cwd(), model);
  const curve = tryReadJsonObject(path.join(dir, 'curve.json'));
  summary.auc = asNumber(run?.auc) ?? asNumber(curve?.auc);
  const physical = asObject(run?.physical);
  if (physical) {
    summary.rate = asNumber(physical.rate);
    summary.speedup = asNumber(physical.speedup);
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

/** One line of key figures: "AUC 0.337 · 25 % removed · 1.4× faster". */
export function describeFigures(r: RunSummary): string {
  const parts: string[] = [];
  if (r.auc !== undefined) parts.push(`AUC ${r.auc.toFixed(3)}`);
  if (r.rate !== undefined) parts.push(`${Math.round(r.rate * 100)} % removed`);
  if (r.speedup !== undefined) parts.push(`${r.speedup.toFixed(2)}× faster`);
  if (r.trials !== undefined) parts.push(`${r.trials} trials`);
  return parts.join(' · ');
}
