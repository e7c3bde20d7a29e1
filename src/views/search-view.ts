/**
 * The search panel's data from a `pxp search --out RUN` folder, finished or still running: the trials of
 * trials.jsonl, the best AUC after each trial, parameter importance (src/core/search/importance.ts, a pure function)
 * and, once written, comparison.json (the best composite's curve beside the presets and baselines).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parameterImportance } from '../core/search/importance';
import type { SearchSpace } from '../core/search/space';
import { describeParams } from '../core/report/search-report';
import { type ComparisonCurve, isTrialLine, type SearchView, type TrialRow } from '../protocol/webview';
import { asNumber, asObject, asString, readOptionalRunJson } from './run-files';

const HINT = 'open a folder written by pxp search --out';

/**
 * Complete trial lines of a trials.jsonl text. A last line without its newline may still be written: it is left for
 * the next read, as is anything after a line that does not parse (pxp search rewrites a cut-off line on resume).
 * Returns the trials and how many characters they used, so a watcher can read on from there.
 */
export function parseTrialLines(text: string): { trials: TrialRow[]; consumed: number } {
  const trials: TrialRow[] = [];
  let consumed = 0;
  for (;;) {
    const end = text.indexOf('\n', consumed);
    if (end < 0) break;
    const line = text.slice(consumed, end).trim();
    if (line) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        break;
      }
      if (!isTrialLine(value)) break;
      trials.push({ ...value, label: describeParams(value.params) });
    }
    consumed = end + 1;
  }
  return { trials, consumed };
}

/** The best AUC after each trial. */
export function bestSoFar(trials: readonly TrialRow[]): number[] {
  let best = -Infinity;
  return trials.map((t) => (best = Math.max(best, t.auc)));
}

export function searchImportance(space: SearchSpace | undefined, trials: readonly TrialRow[]): { name: string; importance: number }[] {
  if (!space) return [];
  return parameterImportance(space, trials.map((t) => ({ params: t.params, value: t.auc })));
}

export interface SearchSnapshot {
  view: SearchView;
  /** Characters of trials.jsonl the view covers. */
  trialsConsumed: number;
  space?: SearchSpace;
}

export function readSearchSnapshot(dir: string): SearchSnapshot {
  const run = readOptionalRunJson(dir, 'run.json', HINT);
  const space = Array.isArray(run?.space) ? (run.space as SearchSpace) : undefined;
  const file = path.join(dir, 'trials.jsonl');
  const { trials, consumed } = fs.existsSync(file) ? parseTrialLines(fs.readFileSync(file, 'utf8')) : { trials: [], consumed: 0 };
  const best = asObject(run?.best);
  const comparison = readOptionalRunJson(dir, 'comparison.json', HINT);
  const curves = Array.isArray(comparison?.curves) ? (comparison.curves as ComparisonCurve[]) : undefined;
  const view: SearchView = {
    kind: 'search',
    runDir: dir,
    title: path.basename(dir),
    model: asString(run?.model),
    status: asString(run?.status) === 'done' ? 'done' : 'running',
    sampler: asString(run?.sampler),
    trialsWanted: asNumber(run?.trialsWanted) ?? asNumber(run?.trials),
    trials,
    bestSoFar: bestSoFar(trials),
    ...(best && asNumber(best.auc) !== undefined
      ? { best: { number: asNumber(best.number) ?? -1, auc: asNumber(best.auc)!, ...(asNumber(best.holdoutAuc) !== undefined ? { holdoutAuc: asNumber(best.holdoutAuc) } : {}) } }
      : {}),
    importance: searchImportance(space, trials),
    ...(curves ? { comparison: curves } : {}),
  };
  return { view, trialsConsumed: consumed, space };
}
