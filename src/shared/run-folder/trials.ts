/**
 * trials.jsonl, one trial per line, appended as trials finish. The one policy for a bad line: reading stops at the
 * first line that is not a whole trial (a kill can cut the last one short; `pxp search --resume` rewrites the file
 * without it), so every reader sees the same trials. Pure, so the search panel's host and the reports share it.
 */
import { type TrialLine, isTrialLine } from './types';

/**
 * The whole trial lines at the start of a trials.jsonl text, and how many characters they used (a watcher reads on
 * from there). A last line without its newline may still be being written: it is left for the next read.
 */
export function parseTrialLines(text: string): { trials: TrialLine[]; consumed: number } {
  const trials: TrialLine[] = [];
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
      trials.push(value);
    }
    consumed = end + 1;
  }
  return { trials, consumed };
}

/** The line of a trial, one JSON document with its newline. */
export const trialLineText = (t: TrialLine): string => JSON.stringify(t) + '\n';

/** The best AUC after each trial, in the order given. */
export function bestSoFar(trials: readonly { auc: number }[]): number[] {
  let best = -Infinity;
  return trials.map((t) => (best = Math.max(best, t.auc)));
}
