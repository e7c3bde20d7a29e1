import fs from 'node:fs';
import path from 'node:path';
import { usageError } from '../../core/errors';
import { writeFileAtomic } from '../../core/io/atomic';
import {
  COMPARE_RATES,
  type ComparedRun,
  accuracyAt,
  compareChart,
  renderComparePage,
  sameRates,
} from '../../core/report/run-report';
import { readCurve } from '../../core/run-folder/read';
import { standaloneSvg } from '../../shared/svg-chart';
import { defineCommand } from '../command';
import { requiredString, stringFlag } from '../flags';
import { percent } from '../format';
import { claimOutputFolder } from '../output-folder';

/** A link from the comparison folder to a run's report, relative so that the folders can move together. */
function reportHref(out: string, run: string): string | undefined {
  const report = path.join(path.resolve(run), 'report.html');
  if (!fs.existsSync(report)) return undefined;
  return path.relative(out, report).split(path.sep).map(encodeURIComponent).join('/');
}

/** Runs are named by their criterion; runs that share one (another seed, other data) also get their folder name. */
function labels(runs: { run: string; criterion?: string }[]): string[] {
  const base = runs.map((r) => r.criterion ?? path.basename(path.resolve(r.run)));
  return runs.map((r, i) =>
    base.filter((b) => b === base[i]).length > 1 && r.criterion !== undefined
      ? `${base[i]} (${path.basename(path.resolve(r.run))})`
      : base[i],
  );
}

export const compareCommand = defineCommand({
  name: 'compare',
  summary:
    'compare the pruning curves of runs: AUC and accuracy at a few rates, optionally an HTML page with all curves',
  usage: 'pxp compare --runs RUN_A,RUN_B,… [--out DIR]',
  options: {
    runs: {
      type: 'string',
      placeholder: 'A,B,…',
      description: 'run folders written by pxp prune --out, comma-separated',
    },
    out: {
      type: 'string',
      placeholder: 'DIR',
      description: 'write compare.html and compare.svg (all curves in one chart) into this folder',
    },
  },
  required: ['runs'],
  async run(flags, ctx) {
    const dirs = requiredString(flags, 'runs', 'pass --runs RUN_A,RUN_B')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (dirs.length === 0) throw usageError('--runs names no run folder', `usage: ${compareCommand.usage}`);
    const outFlag = stringFlag(flags, 'out');
    const read = dirs.map((run) => ({ run, curve: readCurve(run) }));
    const folder = outFlag === undefined ? undefined : claimOutputFolder(outFlag, dirs, { ...ctx, command: 'compare' });
    const out = folder?.dir;
    const names = labels(read.map((r) => ({ run: r.run, criterion: r.curve.criterion })));
    // Stable sort: runs with equal AUC keep the order they were given in.
    const runs: ComparedRun[] = read
      .map((r, i) => ({ run: r.run, label: names[i], curve: r.curve }))
      .sort((a, b) => b.curve.auc - a.curve.auc);

    if (folder && out) {
      try {
        for (const r of runs) r.reportHref = reportHref(out, r.run);
        const chart = compareChart(runs);
        await folder.write((dir) => {
          writeFileAtomic(path.join(dir, 'compare.svg'), standaloneSvg(chart));
          writeFileAtomic(path.join(dir, 'compare.html'), renderComparePage(runs, chart));
        });
      } finally {
        folder.release();
      }
    }

    const head = ['run', 'AUC', ...COMPARE_RATES.map((r) => `@${r}`)];
    const rows = runs.map((r) => [
      r.label,
      r.curve.auc.toFixed(4),
      ...COMPARE_RATES.map((rate) => {
        const a = accuracyAt(r.curve.points, rate);
        return a === undefined ? '—' : percent(a, 1);
      }),
    ]);
    const widths = head.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j].length)));
    const line = (cells: string[]) =>
      cells
        .map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j])))
        .join('  ')
        .trimEnd();
    const text = [
      line(head),
      ...rows.map(line),
      ...(sameRates(runs)
        ? []
        : [
            'note: the runs were measured at different rates, so their AUCs are not comparable; compare accuracy at equal rates',
          ]),
      ...(out ? [`wrote ${out}/compare.html, compare.svg`] : []),
    ].join('\n');
    const value = {
      runs: runs.map((r) => ({
        run: r.run,
        criterion: r.curve.criterion ?? null,
        auc: r.curve.auc,
        points: r.curve.points,
      })),
      ...(out ? { out } : {}),
    };
    return { value, text };
  },
});
