/**
 * Search panel, live while `pxp search` runs: headline figures (trials, best AUC, held-out AUC, gain over the best
 * preset or baseline), the best-so-far AUC over trials, the accuracy curves of the best composite beside the presets
 * and baselines (comparison.json, once written: on the held-out data when the search had some, since the best
 * trial's AUC on the search's own data is the maximum over the trials and so biased upwards), the comparison table,
 * parameter importance, and the trial table. Appended trials arrive as `trialsAppended` and re-render in place,
 * keeping the table's order.
 */
import '../shared/panel.css';
import { barChart, lineChart, type Series } from '../../src/shared/svg-chart';
import type { ComparisonCurve, SearchView, TrialRow } from '../../src/protocol/webview';
import { clear, el, showError, svgFigure, tile } from '../shared/dom';
import { auc, pct } from '../shared/format';
import { connect } from '../shared/host';
import { openFileButton, openRelevanceButton } from '../shared/open-file';
import { type Column, SortableTable } from '../shared/sortable-table';

const root = document.getElementById('app')!;
let view: SearchView | undefined;
let sortKey = 'number';
let descending = true;

connect((m) => {
  if (m.type === 'show' && m.view.kind === 'search') {
    view = m.view;
    render();
  } else if (m.type === 'trialsAppended' && view) {
    const known = new Set(view.trials.map((t) => t.number));
    view.trials.push(...m.trials.filter((t) => !known.has(t.number)));
    view.bestSoFar = m.bestSoFar;
    view.importance = m.importance;
    render();
  } else if (m.type === 'showError') showError(root, m.message);
});

function bestTrial(trials: TrialRow[]): TrialRow | undefined {
  return trials.reduce<TrialRow | undefined>((b, t) => (!b || t.auc > b.auc ? t : b), undefined);
}

function render(): void {
  const v = view;
  if (!v) return;
  clear(root);
  root.removeAttribute('aria-busy');
  const best = bestTrial(v.trials);
  const running = v.status === 'running';
  root.append(
    el(
      'h1',
      {},
      `Search — ${v.title} `,
      el('span', { class: `badge ${running ? 'live' : ''}`, 'data-status': v.status }, running ? 'running' : 'done'),
    ),
    el(
      'p',
      { class: 'subtitle' },
      v.model ? `model ${v.model}` : '',
      el('br'),
      `run ${v.runDir}${v.sampler ? ` · ${v.sampler} sampler` : ''}`,
    ),
    headline(v, best),
    el(
      'div',
      { class: 'toolbar' },
      openFileButton('trials.jsonl', 'Open trials.jsonl'),
      running ? null : openRelevanceButton('Relevance of the best composite'),
      running ? null : openFileButton('best-composite.json', 'Open best-composite.json'),
      running ? null : openFileButton('search.html', 'Open search.html'),
    ),
  );
  if (v.trials.length === 0) {
    root.append(el('p', { class: 'note' }, running ? 'Waiting for the first trial…' : 'This search logged no trial.'));
    return;
  }
  root.append(el('div', { class: 'row' }, progressChart(v), curvesChart(v, best)));
  if (v.comparison?.length) root.append(comparisonTable(v, v.comparison));
  if (v.importance.length) root.append(importanceChart(v));
  root.append(el('h2', {}, `Trials (${v.trials.length})`), trialTable(v, best));
}

const BEST_NAME = 'best composite';
const label = (c: ComparisonCurve) => (c.selectionBiased ? BEST_NAME : c.criterion);
/** Whether the comparison has held-out curves: then only those compare fairly. */
const heldOut = (v: SearchView) => !!v.comparison?.length && v.comparison.every((c) => c.holdout);
const heldAuc = (c: ComparisonCurve) => c.holdout?.auc;
const samples = (d: { samples: number } | undefined) => (d ? `${d.samples} ` : '');

function headline(v: SearchView, best: TrialRow | undefined): HTMLElement {
  const comparison = v.comparison ?? [];
  const mine = comparison.find((c) => c.selectionBiased);
  const others = comparison.filter((c) => !c.selectionBiased);
  const fair = heldOut(v);
  const score = (c: ComparisonCurve) => (fair ? heldAuc(c)! : c.auc);
  const topOther = others.reduce<ComparisonCurve | undefined>((b, c) => (!b || score(c) > score(b) ? c : b), undefined);
  const bestAuc = v.best?.auc ?? best?.auc;
  const ours = fair && mine ? heldAuc(mine) : bestAuc;
  const seconds = v.trials.reduce((a, t) => a + t.seconds, 0);
  const gain = topOther && ours !== undefined ? ours - score(topOther) : undefined;
  return el(
    'div',
    { class: 'headline' },
    tile(
      `${v.trials.length}${v.status === 'running' && v.trialsWanted ? ` / ${v.trialsWanted}` : ''}`,
      v.status === 'running' ? 'trials so far' : 'trials',
      `${v.trials.filter((t) => t.cached).length} of ${v.trials.length} reused cached relevance; ${(seconds / v.trials.length || 0).toFixed(1)} s per trial`,
    ),
    v.best?.selection
      ? tile(
          auc(bestAuc),
          'result AUC',
          `trial ${v.best.number + 1} on the ${samples(v.evaluation)}images the trials were chosen on: ${v.best.selection}`,
          'good',
        )
      : tile(
          auc(bestAuc),
          'best AUC',
          `${best ? `trial ${best.number + 1}, ` : ''}on the ${samples(v.evaluation)}images the trials were chosen on: the maximum over the trials, so biased upwards`,
          'good',
        ),
    fair && mine
      ? tile(
          auc(heldAuc(mine)),
          'held-out AUC',
          `the best composite on ${samples(v.holdout)}held-out images no trial was chosen on`,
          'good',
        )
      : null,
    topOther && gain !== undefined
      ? tile(
          `${gain >= 0 ? '+' : '−'}${Math.abs(gain).toFixed(4)}`,
          `${fair ? 'held-out ' : ''}AUC vs ${topOther.criterion}`,
          `the best of ${others.length} presets and baselines (${auc(score(topOther))}${fair ? ', held out)' : '), on the search data: without held-out data the best composite’s side is biased upwards'}`,
          gain >= 0 ? 'good' : 'bad',
        )
      : null,
  );
}

function progressChart(v: SearchView): HTMLElement {
  const series: Series[] = [
    { name: 'best so far', points: v.bestSoFar.map((b, i) => [v.trials[i]?.number + 1, b] as [number, number]) },
    { name: 'trial AUC', points: v.trials.map((t) => [t.number + 1, t.auc] as [number, number]) },
  ];
  const svg = lineChart({
    title: 'Best AUC over trials',
    xLabel: 'trial',
    yLabel: 'AUC',
    series,
    width: 560,
    height: 340,
    xDomain: [1, Math.max(2, ...v.trials.map((t) => t.number + 1))],
    xIntegers: true,
  });
  return svgFigure(
    svg,
    'Each trial prunes with one composite and scores the accuracy curve by its area (AUC); higher is better.',
  );
}

function curvesChart(v: SearchView, best: TrialRow | undefined): HTMLElement {
  let series: Series[];
  let caption: string;
  if (v.comparison?.length) {
    const fair = heldOut(v);
    series = v.comparison.map((c) => {
      const curve = fair ? c.holdout! : c;
      return {
        name: `${label(c)} (${auc(curve.auc)})`,
        points: curve.points.map((p) => [p.rate, p.accuracy] as [number, number]),
        emphasis: c.selectionBiased === true,
      };
    });
    caption = fair
      ? `The best composite beside the LRP presets and baseline criteria, on the ${samples(v.holdout)}held-out images no trial was chosen on (comparison.json).`
      : 'The best composite beside the LRP presets and baseline criteria, on the images the trials were chosen on (comparison.json; the search had no held-out data, so the best composite’s curve is biased upwards).';
  } else {
    const last = v.trials[v.trials.length - 1];
    series = [best, last !== best ? last : undefined]
      .filter((t): t is TrialRow => !!t)
      .map((t) => ({
        name: `trial ${t.number + 1}${t === best ? ' (best)' : ' (latest)'} AUC ${auc(t.auc)}`,
        points: t.curve.map((p) => [p.rate, p.accuracy] as [number, number]),
        emphasis: t === best,
      }));
    caption = 'The best and the latest trial; the presets and baselines are scored when the search ends.';
  }
  // However many curves the legend lists, the plot keeps 240 px: ten curves in ~110 px could not be read.
  const svg = lineChart({
    title: 'Accuracy as components are pruned',
    xLabel: 'pruning rate',
    yLabel: 'accuracy',
    series,
    yDomain: [0, 1],
    xDomain: [0, 1],
    width: 560,
    height: 400,
    minPlotHeight: 240,
    xFormat: (x) => `${Math.round(100 * x)} %`,
    yFormat: (y) => `${Math.round(100 * y)} %`,
  });
  return svgFigure(svg, caption);
}

/** Every criterion's AUC, held out first (the fair comparison), then on the data the trials were chosen on. */
function comparisonTable(v: SearchView, curves: ComparisonCurve[]): HTMLElement {
  const fair = heldOut(v);
  const columns: Column<ComparisonCurve>[] = [
    { key: 'criterion', title: 'criterion', align: 'left', cell: (c) => el('code', {}, label(c)), sort: label },
    ...(fair
      ? [
          {
            key: 'holdout',
            title: 'AUC held out',
            cell: (c: ComparisonCurve) => auc(heldAuc(c)),
            sort: (c: ComparisonCurve) => heldAuc(c) ?? -1,
          },
        ]
      : []),
    {
      key: 'auc',
      title: 'on the search data',
      cell: (c) => (c.selectionBiased ? `${auc(c.auc)} (selection-biased)` : auc(c.auc)),
      sort: (c) => c.auc,
    },
  ];
  const top = [...curves].sort((a, b) => (fair ? heldAuc(b)! - heldAuc(a)! : b.auc - a.auc))[0];
  const table = new SortableTable(columns, {
    label: 'comparison',
    sortKey: fair ? 'holdout' : 'auc',
    descending: true,
    rowAttrs: (c) => ({ class: c === top ? 'best' : undefined, 'data-criterion': c.criterion }),
  });
  table.setRows(curves);
  const images = (d: { samples: number } | undefined) => (d ? ` (${d.samples} images)` : '');
  const note = fair
    ? `Held out${images(v.holdout)}: images no trial was chosen on, the fair comparison. On the search data${images(v.evaluation)} the best composite’s AUC is the maximum over every trial, so it is biased upwards; the others were not chosen there.`
    : `The search had no held-out data (--holdout, or the val split of --data): on the search data${images(v.evaluation)} the best composite’s AUC is the maximum over the trials, so it is biased upwards against the others.`;
  return el(
    'div',
    {},
    el('h2', {}, 'Against the presets and the baselines'),
    table.container,
    el('p', { class: 'note' }, note),
  );
}

function importanceChart(v: SearchView): HTMLElement {
  const shown = v.importance.filter((p) => p.importance > 0.005);
  const hidden = v.importance.length - shown.length;
  const svg = barChart({
    title: 'Parameter importance',
    bars: shown.map((p) => ({ label: p.name, value: p.importance })),
    valueFormat: (x) => pct(x, 0),
    tickFormat: (x) => pct(x, 0),
    domain: [0, 1],
    width: 560,
  });
  return el(
    'div',
    {},
    el('h2', {}, 'What mattered'),
    svgFigure(
      svg,
      `Share of the AUC variance each parameter explains on its own (main effects over the trials so far; few trials make this noisy).${hidden ? ` ${hidden} parameters with no measurable effect (or not tried yet) are left out.` : ''}`,
    ),
  );
}

function trialTable(v: SearchView, best: TrialRow | undefined): HTMLElement {
  const columns: Column<TrialRow>[] = [
    { key: 'number', title: 'trial', cell: (t) => String(t.number + 1), sort: (t) => t.number },
    { key: 'auc', title: 'AUC', cell: (t) => auc(t.auc), sort: (t) => t.auc },
    { key: 'seconds', title: 'seconds', cell: (t) => t.seconds.toFixed(1), sort: (t) => t.seconds },
    {
      key: 'cached',
      title: 'relevance',
      cell: (t) => (t.cached ? 'cached' : 'computed'),
      sort: (t) => (t.cached ? 1 : 0),
    },
    { key: 'start', title: 'start', align: 'left', cell: (t) => t.enqueued ?? '', sort: (t) => t.enqueued ?? '' },
    {
      key: 'params',
      title: 'composite and ranking',
      align: 'left',
      cell: (t) => el('code', {}, t.label),
      sort: (t) => t.label,
    },
  ];
  const table = new SortableTable(columns, {
    label: 'trials',
    sortKey,
    descending,
    rowAttrs: (t) => ({ class: t === best ? 'best' : undefined, 'data-trial': String(t.number) }),
    onSort: (key, desc) => {
      sortKey = key;
      descending = desc;
    },
  });
  table.setRows(v.trials);
  return table.container;
}
