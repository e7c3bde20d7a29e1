/**
 * Writers of run-folder files. Every file is written atomically (a temp sibling renamed over it), so a reader never
 * sees half a file; trials.jsonl is the exception by design: one line appended per finished trial (src/shared/run-folder/trials.ts
 * says how readers treat a line cut short).
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic';
import { trialLineText } from '../../shared/run-folder/trials';
import type {
  ComparisonFile,
  ComponentsFile,
  CurveFile,
  RelevanceFile,
  TrialLine,
} from '../../shared/run-folder/types';

/** Pretty-printing per file: run.json for people, the large ones compact. */
export function writeJsonFile(dir: string, name: string, value: unknown, indent?: number): void {
  writeFileAtomic(path.join(dir, name), JSON.stringify(value, null, indent));
}

/** run.json: what ran, on what, with which settings, and (when done) its results. */
export const writeRunJson = (dir: string, run: object): void => writeJsonFile(dir, 'run.json', run, 2);
export const writeCurve = (dir: string, curve: CurveFile): void => writeJsonFile(dir, 'curve.json', curve, 1);
export const writeRelevance = (dir: string, relevance: RelevanceFile): void =>
  writeJsonFile(dir, 'relevance.json', relevance);
export const writeComparison = (dir: string, comparison: ComparisonFile): void =>
  writeJsonFile(dir, 'comparison.json', comparison, 1);
export const writeComponents = (dir: string, components: ComponentsFile): void =>
  writeJsonFile(dir, 'components.json', components);

/** trials.jsonl of a search: started over with the trials kept (none, or those a resume reads), then appended to. */
export class TrialLog {
  readonly file: string;

  constructor(dir: string, keep: readonly TrialLine[]) {
    this.file = path.join(dir, 'trials.jsonl');
    // Rewriting drops a line a kill cut short, so appends stay one JSON document per line.
    writeFileAtomic(this.file, keep.map(trialLineText).join(''));
  }

  append(t: TrialLine): void {
    fs.appendFileSync(this.file, trialLineText(t));
  }
}
