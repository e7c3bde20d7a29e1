/**
 * How the Runs view draws a run or a job in one row at the sidebar's default width (about 300 px). VS Code cuts a
 * row at its end and hides the description once the label overflows, so the label holds what must always show (the
 * headline figure of a run, the status of a job) and stays short by construction; the description (what the run was,
 * when) may be cut. Every figure is also in the row's children and its tooltip. No vscode import: unit-tested in
 * plain Node.
 */
import path from 'node:path';
import { type RunSummary, describeFigures } from './run-summary';

export interface Row {
  label: string;
  description: string;
  /** Every figure, for the tooltip. */
  tooltip: string;
}

export interface RunRow extends Row {
  /** The run's figures one per child row: [label, value]. */
  details: [string, string][];
}

/** A criterion or composite as short as it stays clear: "lrp:epsilon-plus-flat" → "epsilon-plus-flat", a file → its name. */
export function shortSubject(subject: string): string {
  const s = subject.replace(/^lrp:/, '');
  return /[\\/]|\.json$/.test(s) ? path.basename(s).replace(/\.json$/, '') : s;
}

const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
const two = (n: number) => String(n).padStart(2, '0');

/** "08:51" today, "12-05 08:51" on another day. */
export function shortTime(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const hm = `${two(d.getHours())}:${two(d.getMinutes())}`;
  return new Date(now).toDateString() === d.toDateString() ? hm : `${two(d.getMonth() + 1)}-${two(d.getDate())} ${hm}`;
}

/** The figure a run is judged by: the pruned accuracy and speed-up, else the AUC; undefined when it has none. */
function headline(r: RunSummary): string | undefined {
  const pruned = r.accuracy?.pruned;
  if (pruned !== undefined) {
    const warn = r.warning?.kind === 'collapse' ? '⚠ ' : '';
    // Rate 0 removes nothing: the timings are of the same model, and their ratio is noise.
    if (r.rate === 0) return `${warn}${pct(pruned)} · unchanged`;
    return `${warn}${pct(pruned)}${r.speedup !== undefined ? ` · ${r.speedup.toFixed(2)}×` : ''}`;
  }
  return r.auc !== undefined ? `AUC ${r.auc.toFixed(3)}` : undefined;
}

/** The children: one figure per row, none cut. */
function runDetails(r: RunSummary, now: number): [string, string][] {
  const details: [string, string][] = [];
  if (r.auc !== undefined) details.push(['AUC', r.auc.toFixed(4)]);
  const a = r.accuracy;
  if (a?.pruned !== undefined)
    details.push([
      'accuracy',
      `${a.original !== undefined ? `${(100 * a.original).toFixed(1)} → ` : ''}${pct(a.pruned)}`,
    ]);
  else if (a?.original !== undefined) details.push(['accuracy', pct(a.original)]);
  if (r.warning) details.push(['⚠', r.warning.text]);
  if (r.rate === 0) details.push(['removed', 'nothing (rate 0)']);
  else if (r.rate !== undefined)
    details.push([
      'removed',
      `${Math.round(r.rate * 100)} %${r.speedup !== undefined ? ` · ${r.speedup.toFixed(2)}× faster` : ''}`,
    ]);
  if (r.trials !== undefined) details.push(['trials', String(r.trials)]);
  if (r.subject) details.push([r.kind === 'relevance' ? 'composite' : 'criterion', r.subject]);
  details.push(['finished', shortTime(r.mtimeMs, now)], ['folder', r.name]);
  return details;
}

/** Label: the headline figure (or the kind, for a run without one); description: the kind, what it used, when. */
export function runRow(r: RunSummary, now = Date.now()): RunRow {
  const figure = headline(r);
  const what =
    r.kind === 'search' && r.trials !== undefined ? `${r.trials} trials` : r.subject && shortSubject(r.subject);
  return {
    label: figure ?? r.kind,
    description: [figure ? r.kind : undefined, what, shortTime(r.mtimeMs, now)].filter(Boolean).join(' · '),
    tooltip: [r.dir, describeFigures(r), r.warning?.text].filter(Boolean).join('\n'),
    details: runDetails(r, now),
  };
}

/** A running, failed or cancelled job: its status is the label, so it always shows; the title may be cut. */
export function jobRow(j: {
  title: string;
  status: string;
  done: number;
  total: number;
  message: string;
  error?: string;
}): Row {
  const status =
    j.status === 'running' ? `running${j.total > 0 ? ` ${Math.round((100 * j.done) / j.total)} %` : ''}` : j.status;
  return {
    label: status,
    description: j.title,
    tooltip: [j.title, j.status === 'running' ? j.message : j.error].filter(Boolean).join('\n'),
  };
}
