/**
 * HTML reports of run folders (architecture.md, "Run folders"): one page per `pxp prune` run (summary, accuracy and
 * cost curves, per-layer scores, the physically pruned model) and one page comparing several runs' curves. Pages are
 * self-contained (inline CSS and SVG, no scripts, no external assets) so a run folder can be mailed or archived and
 * still opens; colours follow the reader's light or dark setting through `prefers-color-scheme`.
 */
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic';
import { type Json, asNumber, asObject, asString } from '../../shared/run-folder/json';
import { readCurve, readOptionalJsonObject } from '../run-folder/read';
import type { CurveFile, CurvePoint } from '../../shared/run-folder/types';
import { figure, page, seconds, tile } from './html-page';
import { accuracyWarning, classCountOf } from '../../shared/accuracy-warning';
import { barChart, escapeXml, lineChart, standaloneSvg, type Series } from '../../shared/svg-chart';

/** A run in a comparison: its folder, the name shown for it, its curve and (when it has one) a link to its report. */
export interface ComparedRun {
  run: string;
  label: string;
  curve: CurveFile;
  reportHref?: string;
}

/** The rates at which a comparison reads each curve's accuracy. */
export const COMPARE_RATES = [0, 0.1, 0.2, 0.3, 0.5];

const RUN_HINT = 'pass folders written by pxp prune --out, or run pxp prune again';

/** Accuracy at a rate, linear between the two nearest measured rates; undefined outside the measured range. */
export function accuracyAt(points: CurvePoint[], rate: number): number | undefined {
  const sorted = [...points].sort((a, b) => a.rate - b.rate);
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i];
    if (Math.abs(p.rate - rate) < 1e-9) return p.accuracy;
    const q = sorted[i + 1];
    if (q && p.rate < rate && rate < q.rate)
      return p.accuracy + ((rate - p.rate) / (q.rate - p.rate)) * (q.accuracy - p.accuracy);
  }
  return undefined;
}

export interface LayerShare {
  name: string;
  kind: string;
  components: number;
  /** Mean |score| of the layer's components. */
  mean: number;
  /** mean / the sum of every layer's mean. */
  share: number;
}

/**
 * Each layer's mean |score| as a share of the sum over layers. Absolute values because LRP relevance is signed and
 * the ranking sorts by magnitude by default; a signed mean could cancel to nothing and hide a layer.
 */
export function layerShares(relevance: Json): LayerShare[] {
  const layers = Array.isArray(relevance.layers)
    ? relevance.layers.map(asObject).filter((l): l is Json => !!l && Array.isArray(l.scores))
    : [];
  const rows = layers.map((l) => {
    const scores = (l.scores as unknown[]).map(asNumber).filter((s): s is number => s !== undefined);
    const mean = scores.length ? scores.reduce((a, s) => a + Math.abs(s), 0) / scores.length : 0;
    return { name: asString(l.name) ?? '?', kind: asString(l.kind) ?? '', components: scores.length, mean, share: 0 };
  });
  const total = rows.reduce((a, r) => a + r.mean, 0);
  for (const r of rows) r.share = total > 0 ? r.mean / total : 0;
  return rows;
}

const pct = (x: number | undefined, digits = 1) => (x === undefined ? '—' : `${(100 * x).toFixed(digits)} %`);
const fixed = (x: number | undefined, digits: number) => (x === undefined ? '—' : x.toFixed(digits));

/** An integer with thousands separators, independent of the machine's locale. */
function grouped(x: number | undefined): string {
  if (x === undefined) return '—';
  return String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function compact(x: number | undefined): string {
  if (x === undefined) return '—';
  if (Math.abs(x) >= 1e9) return `${(x / 1e9).toFixed(2)} G`;
  if (Math.abs(x) >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (Math.abs(x) >= 1e4) return `${(x / 1e3).toFixed(1)} k`;
  return grouped(x);
}

const clean = (x: number) => Number(x.toPrecision(12));
const rateFormat = (r: number) => String(Number(r.toFixed(2)));
const percentTicks = (y: number) => `${Math.round(100 * y)} %`;

/** Axes every chart over the pruning rate shares: rate and a share (accuracy, parameters left) both in [0, 1]. */
const RATE_AXES = {
  xLabel: 'pruning rate',
  xDomain: [0, 1] as [number, number],
  yDomain: [0, 1] as [number, number],
  width: 560,
  height: 360,
  xFormat: rateFormat,
  yFormat: percentTicks,
};

/** Where the pruned model belongs on the rate axis: its rate when it is the curve's point, else the share it removed. */
function prunedModelAt(physical: Json): number | undefined {
  const rate = asNumber(physical.rate);
  const removed = asNumber(physical.removed);
  const total = asNumber(physical.total);
  const differs = Array.isArray(physical.differences) && physical.differences.length > 0;
  return differs && removed !== undefined && total ? removed / total : rate;
}

/** Why the pruned model is not the curve's point (run.json's physical.differences), as sentences; empty when it is. */
function differenceText(physical: Json): string[] {
  if (!Array.isArray(physical.differences)) return [];
  return physical.differences.flatMap((d) => {
    const o = asObject(d);
    const why = asString(o?.why);
    if (!o || !why) return [];
    const added = asNumber(o.added) ?? 0;
    return [
      `${escapeXml(why)}: ${grouped(asNumber(o.groups))} groups, ${grouped(asNumber(o.kept))} of the curve's components kept${added ? `, ${grouped(added)} more removed` : ''}.`,
    ];
  });
}

/** The accuracy-vs-rate chart of one run, with the physically pruned model as a point of its own when there is one. */
function curveChart(curve: CurveFile, label: string, physical?: Json): string {
  const series: Series[] = [{ name: label, points: curve.points.map((p) => [p.rate, p.accuracy]) }];
  const rate = asNumber(physical?.rate);
  const prunedAccuracy = asNumber(physical?.prunedAccuracy);
  const at = physical ? prunedModelAt(physical) : undefined;
  if (rate !== undefined && at !== undefined && prunedAccuracy !== undefined) {
    const name =
      at === rate
        ? `pruned model (rate ${rateFormat(rate)})`
        : `pruned model (asked ${rateFormat(rate)}, removed ${rateFormat(at)}: groups)`;
    series.push({ name, points: [[at, prunedAccuracy]] });
  }
  return lineChart({
    ...RATE_AXES,
    title: 'Accuracy as components are pruned',
    yLabel: 'accuracy',
    series,
  });
}

/** Parameters and FLOPs left at each rate, as shares of the unpruned model's; undefined when the curve has no costs. */
function costChart(curve: CurveFile, physical?: Json): string | undefined {
  const base = (key: 'params' | 'flops') =>
    curve.points.find((p) => p.rate === 0)?.[key] ??
    asNumber(asObject(physical?.[key])?.original) ??
    Math.max(0, ...curve.points.map((p) => p[key] ?? 0));
  const series: Series[] = [];
  for (const [key, name] of [
    ['params', 'parameters'],
    ['flops', 'FLOPs'],
  ] as const) {
    const b = base(key);
    const pts = curve.points.filter((p) => p[key] !== undefined).map((p): [number, number] => [p.rate, p[key]! / b]);
    if (b > 0 && pts.length) series.push({ name: `${name} left`, points: pts });
  }
  if (!series.length) return undefined;
  return lineChart({
    ...RATE_AXES,
    title: 'Parameters and FLOPs left',
    yLabel: 'share of the unpruned model',
    series,
  });
}

function layersChart(shares: LayerShare[]): string | undefined {
  if (!shares.length) return undefined;
  return barChart({
    title: 'Mean |score| per layer, as a share of all layers',
    bars: shares.map((l) => ({ label: `${l.name} (${l.kind ? `${l.kind}, ` : ''}${l.components})`, value: l.share })),
    valueLabel: 'share of the summed per-layer means',
    width: 720,
    valueFormat: (v) => pct(v, 1),
    tickFormat: (v) => `${clean(100 * v)} %`,
  });
}

interface RunFiles {
  run?: Json;
  curve: CurveFile;
  relevance?: Json;
}

function readRun(runDir: string): RunFiles {
  const curve = readCurve(runDir, RUN_HINT);
  return {
    curve,
    run: readOptionalJsonObject(runDir, 'run.json', RUN_HINT),
    relevance: readOptionalJsonObject(runDir, 'relevance.json', RUN_HINT),
  };
}

function chartsOf(files: RunFiles): { curve: string; cost?: string; layers?: string } {
  const physical = asObject(files.run?.physical);
  const criterion = files.curve.criterion ?? asString(files.run?.criterion) ?? 'run';
  return {
    curve: curveChart(files.curve, criterion, physical),
    cost: costChart(files.curve, physical),
    layers: files.relevance ? layersChart(layerShares(files.relevance)) : undefined,
  };
}

function table(head: string[], rows: string[][]): string {
  return [
    '<table>',
    `<thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((r) => `<tr>${r.map((c) => (c.startsWith('<td') ? c : `<td>${c}</td>`)).join('')}</tr>`),
    '</tbody>',
    '</table>',
  ].join('\n');
}

function dataLine(d: Json | undefined): string {
  if (!d) return '—';
  const samples = asNumber(d.samples);
  return `${escapeXml(asString(d.source) ?? '?')}${samples === undefined ? '' : ` · ${grouped(samples)} samples`}`;
}

function physicalSection(physical: Json, unpruned: number | undefined): string[] {
  const params = asObject(physical.params);
  const flops = asObject(physical.flops);
  const latency = asObject(physical.latencyMs);
  const change = (o: number | undefined, p: number | undefined) =>
    o && p !== undefined ? `${p <= o ? '−' : '+'}${pct(Math.abs(1 - p / o), 1)}` : '—';
  const speedup = asNumber(physical.speedup);
  const batch = asNumber(latency?.batch);
  const runs = asNumber(latency?.runs);
  const engine = asString(latency?.engine);
  const latencyLabel = `latency${batch ? `, batch of ${batch}` : ''}${engine ? ` on ${escapeXml(engine)}` : ''}${runs ? ` (median of ${runs})` : ''}`;
  const rows = [
    [
      'parameters',
      grouped(asNumber(params?.original)),
      grouped(asNumber(params?.pruned)),
      change(asNumber(params?.original), asNumber(params?.pruned)),
    ],
    [
      'FLOPs',
      compact(asNumber(flops?.original)),
      compact(asNumber(flops?.pruned)),
      change(asNumber(flops?.original), asNumber(flops?.pruned)),
    ],
    ['accuracy, masked', pct(unpruned), pct(asNumber(physical.maskedAccuracy)), ''],
    ['accuracy, pruned model', pct(unpruned), pct(asNumber(physical.prunedAccuracy)), ''],
    [
      latencyLabel,
      `${fixed(asNumber(latency?.original), 1)} ms`,
      `${fixed(asNumber(latency?.pruned), 1)} ms`,
      speedup === undefined
        ? '—'
        : asNumber(physical.removed) === 0
          ? 'nothing removed'
          : `${speedup.toFixed(2)}× faster`,
    ],
  ];
  const removed = asNumber(physical.removed);
  const total = asNumber(physical.total);
  const groups = asNumber(physical.groups);
  const rate = asNumber(physical.rate);
  const maxDrop = asNumber(asObject(physical.chosenBy)?.maxDropPoints);
  const differences = differenceText(physical);
  const chosen =
    maxDrop === undefined
      ? ''
      : ` (chosen by --max-drop ${maxDrop}: the largest rate before the masked accuracy falls more than ${maxDrop} point${maxDrop === 1 ? '' : 's'})`;
  return [
    '<h2>Physically pruned model</h2>',
    `<p class="muted">Rate ${rate === undefined ? '—' : rateFormat(rate)}${chosen}: ${grouped(removed)} of ${grouped(total)} components removed${groups === undefined ? '' : ` (${grouped(groups)} dependency groups can go)`}; the smaller model is in <code>pruned/</code>.</p>`,
    ...(differences.length
      ? [
          `<p class="warning">This is not the curve's point at rate ${rate === undefined ? '—' : rateFormat(rate)}: the curve removes ${grouped(asNumber(physical.curveRemoved))} components, the pruned model ${grouped(removed)}, because</p>`,
          `<ul>${differences.map((t) => `<li>${t}</li>`).join('')}</ul>`,
        ]
      : asNumber(physical.curveRemoved) !== undefined
        ? [
            `<p class="muted">The pruned model is the curve's point at this rate: the same ${grouped(asNumber(physical.curveRemoved))} components.</p>`,
          ]
        : []),
    table(['', 'original', 'pruned', 'change'], rows),
  ];
}

/** A search run's best composite beside the presets and baselines (run.json), held out first: the fair comparison. */
function searchComparison(run: Json): string[] {
  const rows = (Array.isArray(run.comparison) ? run.comparison : [])
    .map(asObject)
    .filter((c): c is Json => !!c && asNumber(c.auc) !== undefined);
  if (rows.length < 2) return [];
  const fair = rows.every((c) => asNumber(c.holdoutAuc) !== undefined);
  const score = (c: Json) => (fair ? asNumber(c.holdoutAuc)! : asNumber(c.auc)!);
  const best = asString(run.criterion);
  const name = (c: Json) =>
    asString(c.criterion) === best ? 'best composite' : escapeXml(asString(c.criterion) ?? '?');
  const sorted = [...rows].sort((a, b) => score(b) - score(a));
  return [
    '<h2>Against the presets and the baselines</h2>',
    table(
      ['criterion', ...(fair ? ['AUC held out'] : []), 'AUC on the search data'],
      sorted.map((c) => [
        `<code>${name(c)}</code>`,
        ...(fair ? [fixed(asNumber(c.holdoutAuc), 4)] : []),
        `${fixed(asNumber(c.auc), 4)}${asString(c.criterion) === best ? ' (selection-biased)' : ''}`,
      ]),
    ),
    `<p class="muted">${fair ? 'Held out: samples no trial was chosen on, the fair comparison. ' : ''}The curves above are on the search data, where the best composite is the maximum over every trial (selection-biased). More in <a href="search.html">search.html</a>.</p>`,
  ];
}

/** The report of one run folder as a self-contained HTML page. */
export function renderRunReport(runDir: string): string {
  const files = readRun(runDir);
  return renderFiles(files, chartsOf(files));
}

/** The pruned model collapsed or lost many points: said above the charts (shared/accuracy-warning.ts). */
function warningLines(run: Json | undefined, unpruned: number | undefined): string[] {
  const pruned = asNumber(asObject(run?.physical)?.prunedAccuracy);
  const w =
    run && unpruned !== undefined && pruned !== undefined
      ? accuracyWarning(unpruned, pruned, classCountOf(run))
      : undefined;
  return w ? [`<p class="warning" role="alert">⚠ ${escapeXml(w.text)}</p>`] : [];
}

/** What the run was and how it went: criterion, model, data, classes, rates, seed, timings, and every curve point. */
function runSection(run: Json | undefined, curve: CurveFile, criterion: string, how: string): string[] {
  const settings = asObject(run?.settings);
  const timings = asObject(run?.timings);
  const backend = asObject(run?.backend);
  const names = Array.isArray(run?.classNames) ? (run.classNames as unknown[]) : [];
  // A restricted task lists its classes by index and name ("3 (Dress)"), as --classes accepts them.
  const classes = Array.isArray(run?.classes)
    ? (run.classes as unknown[])
        .map((c) =>
          typeof c === 'number' && typeof names[c] === 'string' ? `${c} (${names[c] as string})` : String(c),
        )
        .join(', ')
    : names.length > 0
      ? `all ${names.length}`
      : 'all';
  return [
    '<h2>Run</h2>',
    '<dl class="summary">',
    `<dt>criterion</dt><dd><code>${escapeXml(criterion)}</code> · ${escapeXml(how)}</dd>`,
    `<dt>model</dt><dd>${run?.model !== undefined ? `<code>${escapeXml(String(run.model))}</code>` : '—'}</dd>`,
    `<dt>reference data</dt><dd>${dataLine(asObject(run?.reference))}</dd>`,
    `<dt>evaluation data</dt><dd>${dataLine(asObject(run?.evaluation))}</dd>`,
    `<dt>classes</dt><dd>${escapeXml(classes)}</dd>`,
    `<dt>AUC</dt><dd>${curve.auc.toFixed(4)}</dd>`,
    `<dt>rates</dt><dd>${curve.points.map((p) => rateFormat(p.rate)).join(', ')}</dd>`,
    `<dt>seed</dt><dd>${asNumber(settings?.seed) ?? '—'}</dd>`,
    `<dt>timings</dt><dd>scores ${seconds(asNumber(timings?.scoresSeconds))} · total ${seconds(asNumber(timings?.totalSeconds))}</dd>`,
    `<dt>executor</dt><dd>${escapeXml(asString(run?.executor) ?? '—')}</dd>`,
    `<dt>tfjs backend</dt><dd>${escapeXml(asString(backend?.name) ?? '—')}</dd>`,
    '</dl>',
    '<details>',
    '<summary>Curve points</summary>',
    table(
      ['rate', 'removed', 'accuracy', 'parameters', 'FLOPs'],
      curve.points.map((p) => [
        rateFormat(p.rate),
        grouped(p.removed),
        pct(p.accuracy, 2),
        grouped(p.params),
        compact(p.flops),
      ]),
    ),
    '</details>',
  ];
}

function renderFiles(files: RunFiles, charts: ReturnType<typeof chartsOf>): string {
  const { run, curve } = files;
  const criterion = curve.criterion ?? asString(run?.criterion) ?? 'run';
  const physical = asObject(run?.physical);
  const settings = asObject(run?.settings);
  const timings = asObject(run?.timings);
  const unpruned = accuracyAt(curve.points, 0);
  const maxRate = curve.points[curve.points.length - 1].rate;
  const order = settings?.leastRelevantFirst === false ? 'most relevant first' : 'least relevant first';
  const normalize = asString(settings?.normalize);
  const ranking = `${settings?.absSort === false ? 'signed scores' : 'scores by magnitude'}${normalize && normalize !== 'none' ? `, normalized per layer by their ${normalize}` : ''}`;

  const body: string[] = [
    `<h1>Pruning run · <code>${escapeXml(criterion)}</code></h1>`,
    `<div class="muted">${run?.model !== undefined ? `model <code>${escapeXml(String(run.model))}</code> · ` : ''}${escapeXml(order)}, ${escapeXml(ranking)}</div>`,
    '<div class="tiles">',
    tile(`AUC (rates 0–${rateFormat(maxRate)})`, curve.auc.toFixed(4)),
    tile('accuracy unpruned', pct(unpruned)),
    ...(physical
      ? [
          tile(
            `accuracy pruned at ${rateFormat(asNumber(physical.rate) ?? 0)}`,
            pct(asNumber(physical.prunedAccuracy)),
          ),
          tile('speed-up', `${fixed(asNumber(physical.speedup), 2)}×`),
        ]
      : []),
    tile('total time', seconds(asNumber(timings?.totalSeconds))),
    '</div>',
    ...warningLines(run, unpruned),
    '<h2>Curves</h2>',
    '<div class="charts">',
    figure(
      charts.curve,
      `Accuracy on the evaluation set with the lowest-ranked components masked; AUC by the trapezoid rule over ${curve.points.length} rates.`,
    ),
    ...(charts.cost
      ? [figure(charts.cost, 'What is left of the unpruned model at each rate (masked components count as removed).')]
      : []),
    '</div>',
    ...(physical ? physicalSection(physical, unpruned) : []),
    ...(run?.command === 'search' ? searchComparison(run) : []),
    ...(charts.layers
      ? [
          '<h2>Scores per layer</h2>',
          figure(
            charts.layers,
            'Each bar: the layer’s mean |score| over its components (count after the name), divided by the sum of all layers’ means.',
            'narrow',
          ),
        ]
      : []),
    ...runSection(run, curve, criterion, `${order}, ${ranking}`),
  ];
  return page(`PXP run · ${criterion}`, body);
}

/** Writes report.html and curve.svg, cost.svg, layers.svg (those the run has data for) into the run folder; returns their names. */
export function writeRunReport(runDir: string): string[] {
  const files = readRun(runDir);
  const charts = chartsOf(files);
  const written: string[] = [];
  const write = (name: string, text: string) => {
    writeFileAtomic(path.join(runDir, name), text);
    written.push(name);
  };
  write('curve.svg', standaloneSvg(charts.curve));
  if (charts.cost) write('cost.svg', standaloneSvg(charts.cost));
  if (charts.layers) write('layers.svg', standaloneSvg(charts.layers));
  write('report.html', renderFiles(files, charts));
  return written;
}

/** Whether every run was measured at the same rates: only then are their AUCs (trapezoid areas over those rates) comparable. */
export function sameRates(runs: ComparedRun[]): boolean {
  const key = (r: ComparedRun) => r.curve.points.map((p) => p.rate).join(',');
  return runs.every((r) => key(r) === key(runs[0]));
}

/** Every run's accuracy curve in one chart. */
export function compareChart(runs: ComparedRun[]): string {
  return lineChart({
    ...RATE_AXES,
    title: 'Accuracy as components are pruned',
    yLabel: 'accuracy',
    series: runs.map((r) => ({
      name: `${r.label} (AUC ${r.curve.auc.toFixed(3)})`,
      points: r.curve.points.map((p) => [p.rate, p.accuracy]),
    })),
    width: 760,
    height: 440,
  });
}

/** A page comparing runs (in the given order): the curves in one chart and a table of AUC and accuracy at COMPARE_RATES. */
export function renderComparePage(runs: ComparedRun[], chart = compareChart(runs)): string {
  const acc = runs.map((r) => COMPARE_RATES.map((rate) => accuracyAt(r.curve.points, rate)));
  const bestAuc = Math.max(...runs.map((r) => r.curve.auc));
  const bestAt = COMPARE_RATES.map((_, j) => Math.max(...acc.map((a) => a[j] ?? -Infinity)));
  const cell = (text: string, best: boolean) => `<td${best ? ' class="best"' : ''}>${text}</td>`;
  const rows = runs.map((r, i) => [
    r.reportHref ? `<a href="${escapeXml(r.reportHref)}">${escapeXml(r.label)}</a>` : escapeXml(r.label),
    `<code>${escapeXml(r.run)}</code>`,
    cell(r.curve.auc.toFixed(4), r.curve.auc === bestAuc && runs.length > 1),
    ...acc[i].map((a, j) => cell(pct(a), a !== undefined && a === bestAt[j] && runs.length > 1)),
  ]);
  const body = [
    `<h1>Comparing ${runs.length} pruning run${runs.length === 1 ? '' : 's'}</h1>`,
    `<div class="muted">${runs.map((r) => `<code>${escapeXml(r.label)}</code>`).join(' · ')}</div>`,
    '<h2>Curves</h2>',
    figure(
      chart,
      'Accuracy on each run’s evaluation set as the lowest-ranked components are masked. Higher and flatter is better.',
      'narrow',
    ),
    '<h2>Summary</h2>',
    ...(sameRates(runs)
      ? []
      : [
          '<p><strong>The runs were measured at different rates</strong>, so their AUCs (areas over different ranges) are not comparable; compare the accuracies at equal rates.</p>',
        ]),
    '<p class="muted">Accuracy between two measured rates is interpolated linearly; — where a rate lies outside a run’s curve. Bold: the best in its column.</p>',
    table(['run', 'folder', 'AUC', ...COMPARE_RATES.map((r) => `acc @ ${rateFormat(r)}`)], rows),
  ];
  return page(`PXP · comparing ${runs.map((r) => r.label).join(', ')}`, body);
}
