/**
 * The search panel's data from a `pxp search --out RUN` folder, finished or still running: the trials of
 * trials.jsonl, the best AUC after each trial, parameter importance (src/core/search/importance.ts, a pure function)
 * and, once written, comparison.json (the best composite's curve beside the presets and baselines).
 */
import fs from 'node:fs';
import path from 'node:path';
import { asNumber, asObject, asString } from '../shared/run-folder/json';
import { readComparison, readOptionalJsonObject } from '../core/run-folder/read';
import { bestSoFar, parseTrialLines } from '../shared/run-folder/trials';
import { describeParams } from '../core/search/describe-params';
import { parameterImportance } from '../core/search/importance';
import { importanceSpace } from '../core/search/retired-params';
import { type SearchSpace, validateSpace } from '../core/search/space';
import { PxpError } from '../core/errors';
import type { SearchView, TrialRow } from '../protocol/webview';

const HINT = 'open a folder written by pxp search --out';

/** The whole trial lines of a trials.jsonl text (run-folder/trials.ts) with their parameters in words. */
export function parseTrialRows(text: string): { trials: TrialRow[]; consumed: number } {
  const { trials, consumed } = parseTrialLines(text);
  return { trials: trials.map((t) => ({ ...t, label: describeParams(t.params) })), consumed };
}

export function searchImportance(
  space: SearchSpace | undefined,
  trials: readonly TrialRow[],
): { name: string; importance: number }[] {
  if (!space) return [];
  return parameterImportance(
    importanceSpace(space),
    trials.map((t) => ({ params: t.params, value: t.auc })),
  );
}

export interface SearchSnapshot {
  view: SearchView;
  /** Characters of trials.jsonl the view covers. */
  trialsConsumed: number;
  space?: SearchSpace;
}

/** run.json's space when it is a valid one; a damaged space shows no importance rather than failing the panel. */
function validSpace(v: unknown): SearchSpace | undefined {
  if (!Array.isArray(v)) return undefined;
  try {
    validateSpace(v as SearchSpace);
    return v as SearchSpace;
  } catch (e) {
    if (e instanceof PxpError) return undefined;
    throw e;
  }
}

export function readSearchSnapshot(dir: string): SearchSnapshot {
  const run = readOptionalJsonObject(dir, 'run.json', HINT);
  const space = validSpace(run?.space);
  const file = path.join(dir, 'trials.jsonl');
  const { trials, consumed } = fs.existsSync(file)
    ? parseTrialRows(fs.readFileSync(file, 'utf8'))
    : { trials: [], consumed: 0 };
  const best = asObject(run?.best);
  const comparison = readComparison(dir, HINT);
  const curves = comparison?.curves;
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
      ? {
          best: {
            number: asNumber(best.number) ?? -1,
            auc: asNumber(best.auc)!,
            ...(asNumber(best.holdoutAuc) !== undefined ? { holdoutAuc: asNumber(best.holdoutAuc) } : {}),
            ...(asString(asObject(run?.selection)?.summary)
              ? { selection: asString(asObject(run?.selection)?.summary) }
              : {}),
          },
        }
      : {}),
    importance: searchImportance(space, trials),
    ...(curves ? { comparison: curves } : {}),
    ...(comparison?.evaluation ? { evaluation: comparison.evaluation } : {}),
    ...(comparison?.holdout ? { holdout: comparison.holdout } : {}),
  };
  return { view, trialsConsumed: consumed, space };
}
