/**
 * The HTML page of a `pxp search` run folder (search.html): how the search progressed (every trial's AUC and the best
 * so far), which hyperparameters mattered (main-effect variance shares, see search/importance.ts), the best trials,
 * and the best composite; the best composite's pruning curve is on the run's own report.html. Like the run reports
 * the page is self-contained (inline CSS and SVG, no scripts) and follows the reader's light or dark setting.
 */
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import { type Json, asNumber, asObject, asString } from '../../shared/run-folder/json';
import { readComparison, readOptionalJsonObject, readTrials } from '../run-folder/read';
import { bestSoFar } from '../../shared/run-folder/trials';
import type { ComparisonCurve, TrialLine } from '../../shared/run-folder/types';
import { describeParams } from '../search/describe-params';
import { parameterImportance, type ParameterImportance } from '../search/importance';
import { importanceSpace } from '../search/retired-params';
import type { Param, Params, SearchSpace } from '../search/space';
import { figure as pageFigure, page, seconds, tile } from './html-page';
import { PALETTE, barChart, escapeXml, lineChart, niceTicks, standaloneSvg } from '../../shared/svg-chart';

const HINT = 'pass a folder written by pxp search --out';

/** The space run.json declares, or one inferred from the trials (strings categorical, numbers plain floats). */
function spaceOf(run: Json | undefined, trials: TrialLine[]): SearchSpace {
  if (
    Array.isArray(run?.space) &&
    run.space.every((p) => typeof asObject(p)?.name === 'string' && typeof asObject(p)?.kind === 'string')
  )
    return run.space as Param[];
  const names: string[] = [];
  for (const t of trials) for (const k of Object.keys(t.params)) if (!names.includes(k)) names.push(k);
  return names.map((name): Param => {
    const values = trials.map((t) => t.params[name]).filter((v) => v !== undefined);
    if (values.every((v) => typeof v === 'number')) {
      const xs = values as number[];
      return {
        kind: 'float',
        name,
        low: Math.min(...xs),
        high: Math.max(...xs) + (Math.min(...xs) === Math.max(...xs) ? 1 : 0),
      };
    }
    return { kind: 'categorical', name, choices: [...new Set(values.map(String))] };
  });
}

const LINE_WIDTH = 720;

/** An x range from 0 whose ticks fall on whole trial numbers. */
function trialDomain(count: number): [number, number] {
  const target = Math.max(2, Math.round(LINE_WIDTH / 90)); // as lineChart picks its tick count
  let hi = Math.max(count, 5);
  while (!Number.isInteger(niceTicks(0, hi, target).step)) hi++;
  return [0, hi];
}

/** Every trial's AUC as points and the best AUC so far as a line, against the trial number (from 1, as in the log). */
export function progressChart(trials: TrialLine[]): string {
  const best = bestSoFar(trials);
  const svg = lineChart({
    title: 'AUC per trial and best so far',
    xLabel: 'trial',
    yLabel: 'AUC',
    series: [
      { name: 'best so far', points: trials.map((_, i) => [i + 1, best[i]]) },
      { name: 'trial AUC', points: trials.map((t, i) => [i + 1, t.auc]) },
    ],
    xDomain: trialDomain(trials.length),
    width: LINE_WIDTH,
    height: 380,
    xFormat: (x) => String(x),
  });
  // The trials are separate measurements, not a path: keep their markers, drop their connecting line (plot and legend).
  const trialColor = PALETTE[1];
  return svg
    .replace(/(<g class="series" data-series="1">)<polyline [^>]*\/>/, '$1')
    .replace(
      new RegExp(
        `<line x1="[^"]*" y1="[^"]*" x2="[^"]*" y2="[^"]*" stroke="${trialColor}" stroke-width="2.5" stroke-linecap="round"/>`,
      ),
      '',
    );
}

export function importanceChart(rows: ParameterImportance[]): string {
  const anything = rows.some((r) => r.importance > 0);
  return barChart({
    title: 'Parameter importance (main-effect variance share)',
    bars: rows.map((r) => ({ label: r.name, value: r.importance })),
    valueLabel: 'share of the AUC variance the parameters explain',
    width: 720,
    domain: anything ? undefined : [0, 1],
    valueFormat: (v) => `${(100 * v).toFixed(1)} %`,
    tickFormat: (v) => `${Number((100 * v).toPrecision(12))} %`,
  });
}

const auc4 = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(4));

// Figures on this page stack vertically and keep to a readable width.
const figure = (svg: string, caption: string) => pageFigure(svg, caption, 'stacked');

/** How many of the best trials the table lists. */
export const TOP_TRIALS = 10;

interface SearchCharts {
  progress: string;
  importance: string;
}

interface SearchFiles {
  run?: Json;
  trials: TrialLine[];
  composite?: unknown;
  importance: ParameterImportance[];
  hasReport: boolean;
  /** The best composite and the criteria scored beside it (comparison.json), when the search wrote them. */
  comparison: ComparisonCurve[];
}

function readSearch(runDir: string): SearchFiles {
  if (!fs.existsSync(runDir) || !fs.statSync(runDir).isDirectory())
    throw badInput(`run folder ${runDir} does not exist`, HINT);
  const run = readOptionalJsonObject(runDir, 'run.json', HINT);
  const trials = readTrials(runDir);
  if (!run && trials.length === 0) throw badInput(`${runDir} holds no search (no run.json, no trials.jsonl)`, HINT);
  const importance = parameterImportance(
    importanceSpace(spaceOf(run, trials)),
    trials.map((t) => ({ params: t.params, value: t.auc })),
  );
  const comparison = readComparison(runDir, HINT)?.curves ?? [];
  return {
    run,
    trials,
    composite: readOptionalJsonObject(runDir, 'best-composite.json', HINT),
    importance,
    hasReport: fs.existsSync(path.join(runDir, 'report.html')),
    comparison,
  };
}

/**
 * The best composite beside the presets and baselines: on the held-out data when the search had some (the fair
 * comparison: the best trial's AUC on the search data is the maximum over the trials there, biased upwards).
 */
function comparisonSection(files: SearchFiles): string[] {
  const curves = files.comparison;
  if (curves.length < 2) return [];
  const fair = curves.every((c) => c.holdout);
  const name = (c: ComparisonCurve) => (c.selectionBiased ? 'best composite' : c.criterion);
  const shown = (c: ComparisonCurve) => (fair ? c.holdout! : c);
  const held = asObject(files.run?.holdout);
  const chart = lineChart({
    title: 'Accuracy as components are pruned',
    xLabel: 'pruning rate',
    yLabel: 'accuracy',
    series: curves.map((c) => ({
      name: `${name(c)} (AUC ${shown(c).auc.toFixed(3)})`,
      points: shown(c).points.map((p) => [p.rate, p.accuracy] as [number, number]),
      emphasis: c.selectionBiased === true,
    })),
    xDomain: [0, 1],
    yDomain: [0, 1],
    width: 760,
    height: 420,
    minPlotHeight: 300,
  });
  const caption = fair
    ? `The best composite of the search and the criteria scored beside it, on the held-out data (${escapeXml(asString(held?.source) ?? '?')}) no trial was chosen on.`
    : 'The best composite of the search and the criteria scored beside it, on the data the trials were chosen on (no held-out data: the best composite is the maximum over the trials there, so its curve is biased upwards).';
  const rows = [...curves].sort((a, b) => shown(b).auc - shown(a).auc);
  const own = (c: ComparisonCurve) =>
    `${auc4(c.auc)}${c.selectionBiased ? ' <span class="muted">(selection-biased)</span>' : ''}`;
  return [
    '<h2>Against the presets and the baselines</h2>',
    figure(chart, caption),
    `<table><thead><tr><th>criterion</th>${fair ? '<th>AUC held out</th>' : ''}<th>AUC on the search data</th></tr></thead><tbody>`,
    ...rows.map(
      (c, i) =>
        `<tr${i === 0 ? ' class="best"' : ''}><td><code>${escapeXml(name(c))}</code></td>${fair ? `<td>${auc4(c.holdout!.auc)}</td>` : ''}<td>${own(c)}</td></tr>`,
    ),
    '</tbody></table>',
    `<p class="muted">${fair ? 'Held out: samples no trial was chosen on, the fair comparison. ' : ''}On the search data the best composite’s AUC is the maximum over every trial, so it is biased upwards (selection-biased); the other criteria were not chosen there.</p>`,
  ];
}

/** The best trials by AUC (the top TOP_TRIALS), with their parameters and times. */
function bestTrialsSection(trials: TrialLine[], bestNumber: number | undefined): string[] {
  const top = [...trials].sort((a, b) => b.auc - a.auc || a.number - b.number).slice(0, TOP_TRIALS);
  return [
    `<h2>Best trials${trials.length > TOP_TRIALS ? ` (top ${TOP_TRIALS} of ${trials.length})` : ''}</h2>`,
    '<table>',
    '<thead><tr><th>trial</th><th>AUC</th><th class="params">parameters</th><th>time</th><th>relevance cached</th></tr></thead>',
    '<tbody>',
    ...top.map(
      (t) =>
        `<tr${t.number === bestNumber ? ' class="best"' : ''}><td>#${t.number + 1}</td><td>${auc4(t.auc)}</td><td class="params">${escapeXml(describeParams(t.params))}${t.enqueued ? ` <span class="muted">(starting point: ${escapeXml(t.enqueued)})</span>` : ''}</td><td>${seconds(t.seconds)}</td><td>${t.cached === undefined ? '—' : t.cached ? 'yes' : 'no'}</td></tr>`,
    ),
    '</tbody>',
    '</table>',
    '<p class="muted">Relevance cached: the trial differed from an earlier one only in the ranking (abs_sort, least_relevant_first), so its relevance was reused.</p>',
  ];
}

/** What the search ran on and how: model, data, layer groups, sampler, relevance computed, executor. */
function runSection(run: Json | undefined, trials: TrialLine[], sampler: string, cachedCount: number): string[] {
  const groups = asObject(run?.groups);
  const data = (d: Json | undefined) =>
    d
      ? `${escapeXml(asString(d.source) ?? '?')}${asNumber(d.samples) === undefined ? '' : ` · ${asNumber(d.samples)} samples`}`
      : '—';
  return [
    '<h2>Run</h2>',
    '<dl class="summary">',
    `<dt>model</dt><dd>${run?.model !== undefined ? `<code>${escapeXml(String(run.model))}</code>` : '—'}</dd>`,
    `<dt>reference data</dt><dd>${data(asObject(run?.reference))}</dd>`,
    `<dt>evaluation data</dt><dd>${data(asObject(run?.evaluation))}</dd>`,
    `<dt>held-out data</dt><dd>${data(asObject(run?.holdout))}</dd>`,
    ...(groups
      ? [
          `<dt>layer groups</dt><dd>${Object.entries(groups)
            .map(
              ([g, names]) =>
                `${escapeXml(g)}: ${Array.isArray(names) ? names.map((n) => `<code>${escapeXml(String(n))}</code>`).join(', ') : ''}`,
            )
            .join(' · ')}</dd>`,
        ]
      : []),
    `<dt>sampler</dt><dd>${escapeXml(sampler)}${asNumber(run?.seed) !== undefined ? `, seed ${asNumber(run?.seed)}` : ''}${asString(run?.stoppedBy) ? `; stopped by ${escapeXml(asString(run?.stoppedBy)!)}` : ''}</dd>`,
    `<dt>relevance computed</dt><dd>for ${trials.length - cachedCount} of ${trials.length} trials (the others reused an earlier trial’s)</dd>`,
    `<dt>executor</dt><dd>${escapeXml(asString(run?.executor) ?? '—')}</dd>`,
    '</dl>',
  ];
}

function renderSearch(files: SearchFiles, charts: SearchCharts): string {
  const { run, trials } = files;
  const best = asObject(run?.best);
  const bestAuc = asNumber(best?.auc) ?? (trials.length ? Math.max(...trials.map((t) => t.auc)) : undefined);
  const bestNumber = asNumber(best?.number) ?? trials.find((t) => t.auc === bestAuc)?.number;
  const holdoutAuc = asNumber(best?.holdoutAuc);
  // With a selection (selection.ts) the result need not be the maximum over the trials.
  const selection = asString(asObject(run?.selection)?.summary);
  const timings = asObject(run?.timings);
  const settings = asObject(run?.settings);
  const rates = Array.isArray(settings?.rates)
    ? (settings.rates as unknown[]).map(asNumber).filter((r): r is number => r !== undefined)
    : [];
  const sampler = asString(run?.sampler) ?? '—';
  const status = asString(run?.status);
  const cachedCount = trials.filter((t) => t.cached).length;
  const anything = files.importance.some((r) => r.importance > 0);

  const body: string[] = [
    `<h1>Composite search · ${trials.length} trial${trials.length === 1 ? '' : 's'}</h1>`,
    `<div class="muted">${run?.model !== undefined ? `model <code>${escapeXml(String(run.model))}</code> · ` : ''}${asString(run?.sampler) ? `${escapeXml(sampler)} sampler` : 'search'}${asNumber(run?.seed) !== undefined ? `, seed ${asNumber(run?.seed)}` : ''}${status && status !== 'done' ? ` · <strong>${escapeXml(status)}</strong>` : ''}${files.hasReport ? ' · <a href="report.html">pruning curve of the best composite (report.html)</a>' : ''}</div>`,
    '<div class="tiles">',
    tile(selection ? 'result AUC (search data)' : 'best AUC (search data, selection-biased)', auc4(bestAuc)),
    tile(selection ? 'result trial' : 'best trial', bestNumber === undefined ? '—' : `#${bestNumber + 1}`),
    ...(holdoutAuc !== undefined
      ? [tile(selection ? 'result, on held-out data' : 'best, on held-out data', auc4(holdoutAuc))]
      : []),
    tile('trials', String(trials.length)),
    tile('relevance cached', `${cachedCount} of ${trials.length}`),
    tile('total time', seconds(asNumber(timings?.totalSeconds))),
    '</div>',
    ...(selection ? [`<p class="muted">Result: ${escapeXml(selection)}.</p>`] : []),
    '<h2>Progress</h2>',
    figure(
      charts.progress,
      `Each trial’s AUC (squares) and the best AUC up to it (line). AUC: accuracy under pruning, trapezoid rule over the rates ${rates.length ? rates.map((r) => String(Number(r.toFixed(2)))).join(', ') : 'of the search'}.`,
    ),
    ...comparisonSection(files),
    '<h2>Parameter importance</h2>',
    figure(
      charts.importance,
      anything
        ? `Main-effect variance share, a first-order fANOVA estimate: for each parameter, the share of the AUC variance explained by the mean AUC per value (numbers: per quartile of the values tried), over the trials where the parameter exists and weighted by how often it does; the shares sum to 100 %.${trials.length < 20 ? ` With ${trials.length} trials chance differences count as importance too: read it as a rough guide.` : ''}`
        : `Main-effect variance share, a first-order fANOVA estimate. ${trials.length < 2 ? 'It needs at least two trials.' : 'The AUC did not vary between trials, so no parameter explains anything.'}`,
    ),
    ...bestTrialsSection(trials, bestNumber),
    '<h2>Best composite</h2>',
    ...(best?.params ? [`<p class="muted">${escapeXml(describeParams(best.params as Params))}</p>`] : []),
    files.composite !== undefined
      ? `<pre>${escapeXml(JSON.stringify(files.composite, null, 2))}</pre>`
      : '<p class="muted">No best-composite.json yet (the search has not finished).</p>',
    ...(files.hasReport
      ? ['<p><a href="report.html">Its pruning curve and per-layer scores: report.html</a></p>']
      : []),
    ...runSection(run, trials, sampler, cachedCount),
  ];
  return page(`PXP search · best AUC ${auc4(bestAuc)}`, body);
}

/** Writes search-progress.svg, importance.svg and search.html into a search run folder (each atomically); returns their names. */
export function writeSearchReport(runDir: string): string[] {
  const files = readSearch(runDir);
  const charts = { progress: progressChart(files.trials), importance: importanceChart(files.importance) };
  writeFileAtomic(path.join(runDir, 'search-progress.svg'), standaloneSvg(charts.progress));
  writeFileAtomic(path.join(runDir, 'importance.svg'), standaloneSvg(charts.importance));
  writeFileAtomic(path.join(runDir, 'search.html'), renderSearch(files, charts));
  return ['search-progress.svg', 'importance.svg', 'search.html'];
}
