/**
 * Relevance panel: per-layer component relevance (sortable, filterable table with the distribution of each layer),
 * a sample picker with the input heatmap, the conservation check, and the composite's rule per layer. Clicking a
 * layer name asks the host to reveal the layer in model.json.
 */
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '../shared/panel.css';
import { barChart, lineChart } from '../../src/shared/svg-chart';
import { classLabel } from '../../src/shared/class-label';
import type { RelevanceLayer, RelevanceView } from '../../src/protocol/webview';
import { clear, el, showError, svgFigure, tile } from '../shared/dom';
import { rel } from '../shared/format';
import { connect, post } from '../shared/host';
import { type Column, SortableTable } from '../shared/sortable-table';
import { sparkBars } from '../shared/sparkline';

const root = document.getElementById('app')!;

interface LayerRow {
  index: number;
  layer: RelevanceLayer;
  rule: string;
  values: number[];
  sum: number;
  top: number;
}

let view: RelevanceView | undefined;
/** -1: the mean over all samples. */
let sample = -1;
let filter = '';
let selectedLayer = 0;
let table: SortableTable<LayerRow> | undefined;
/** Heatmaps the host drew from input.npy, by sample (null: the input relevance is not an image). */
const drawn = new Map<number, string | null>();

connect((m) => {
  if (m.type === 'show' && m.view.kind === 'relevance') {
    view = m.view;
    sample = -1;
    selectedLayer = 0;
    drawn.clear();
    render();
  } else if (m.type === 'heatmap') {
    drawn.set(m.sample, m.heatmap ?? null);
    if (m.sample === sample) render();
  } else if (m.type === 'showError') showError(root, m.message);
});

function valuesOf(layer: RelevanceLayer): number[] {
  return sample >= 0 && layer.perSample?.[sample] ? layer.perSample[sample] : layer.mean;
}

function rows(v: RelevanceView): LayerRow[] {
  const rules = new Map((v.composite?.rules ?? []).map((r) => [r.name, r.rule]));
  return v.layers
    .map((layer, index) => {
      const values = valuesOf(layer);
      let top = 0;
      values.forEach((x, i) => (x > values[top] ? (top = i) : 0));
      return { index, layer, rule: rules.get(layer.name) ?? '', values, sum: values.reduce((a, x) => a + x, 0), top };
    })
    .filter((r) => r.layer.name.toLowerCase().includes(filter.toLowerCase()));
}

function render(): void {
  const v = view;
  if (!v) return;
  clear(root);
  root.removeAttribute('aria-busy');
  const fromAttribution = v.source === 'attribution';
  root.append(
    el('h1', {}, fromAttribution ? `Relevance — ${v.title}` : `Component scores — ${v.title}`),
    el(
      'p',
      { class: 'subtitle' },
      v.model ? `model ${v.model}` : '',
      ...(v.sourceFile ? [el('br'), `source ${v.sourceFile} (click a layer for its definition)`] : []),
      el('br'),
      `folder ${v.runDir}`,
    ),
    headline(v),
  );
  root.append(el('h2', {}, 'Layers'), toolbar(v));
  table = new SortableTable(layerColumns(fromAttribution), {
    label: 'relevance per layer',
    sortKey: 'order',
    descending: false,
    rowAttrs: (r) => ({ class: r.index === selectedLayer ? 'selected' : undefined, 'data-layer-row': r.layer.name }),
    onRowClick: (r) => {
      selectedLayer = r.index;
      render();
    },
  });
  table.setRows(rows(v));
  root.append(table.container, layerDetail(v));
  if (fromAttribution) root.append(...sampleSection(v), ...conservationSection(v));
  else
    root.append(
      el(
        'p',
        { class: 'note' },
        'A prune run keeps one score per component (relevance.json), not per sample: heatmaps and the conservation check come from pxp attribute folders.',
      ),
    );
}

/** The layer table's columns (an attribution folder's also name each layer's LRP rule). */
function layerColumns(fromAttribution: boolean): Column<LayerRow>[] {
  return [
    { key: 'order', title: '#', cell: (r) => String(r.index + 1), sort: (r) => r.index },
    {
      key: 'name',
      title: 'layer',
      align: 'left',
      sort: (r) => r.layer.name,
      cell: (r) => {
        const a = el(
          'a',
          { class: 'layer', href: '#', title: 'show this layer in model.json', 'data-layer': r.layer.name },
          r.layer.name,
        );
        a.addEventListener('click', (e) => {
          e.preventDefault();
          e.stopPropagation();
          post({ type: 'revealLayer', layer: r.layer.name });
        });
        return a;
      },
    },
    {
      key: 'kind',
      title: 'type',
      align: 'left',
      cell: (r) => (r.layer.kind === 'dense' ? 'dense (neurons)' : 'conv (channels)'),
      sort: (r) => r.layer.kind,
    },
    ...(fromAttribution
      ? [
          {
            key: 'rule',
            title: 'LRP rule',
            align: 'left' as const,
            cell: (r: LayerRow) => el('code', {}, r.rule || '—'),
            sort: (r: LayerRow) => r.rule,
          },
        ]
      : []),
    { key: 'n', title: 'components', cell: (r) => String(r.values.length), sort: (r) => r.values.length },
    { key: 'sum', title: fromAttribution ? 'relevance sum' : 'score sum', cell: (r) => rel(r.sum), sort: (r) => r.sum },
    {
      key: 'top',
      title: 'top component',
      cell: (r) => `#${r.top} ${rel(r.values[r.top])}`,
      sort: (r) => r.values[r.top] ?? 0,
    },
    { key: 'dist', title: 'components, largest first', align: 'left', cell: (r) => sparkBars(r.values) },
  ];
}

function headline(v: RelevanceView): HTMLElement {
  const components = v.layers.reduce((a, l) => a + l.mean.length, 0);
  const c = v.conservation;
  return el(
    'div',
    { class: 'headline' },
    v.composite
      ? tile(v.composite.name, 'composite', `initial relevance: ${v.init ?? 'one-hot'}`)
      : tile(v.criterion ?? '?', 'criterion', 'scores from relevance.json'),
    tile(String(v.layers.length), 'layers', `${components} components (channels and neurons)`),
    v.source === 'attribution'
      ? tile(
          String(v.samplesTotal ?? v.samples.length),
          'samples explained',
          (v.samplesTotal ?? 0) > v.samples.length
            ? `the first ${v.samples.length} can be picked below`
            : 'pick one below, or the mean',
        )
      : null,
    c
      ? tile(
          c.meanRatio.toFixed(3),
          'input ÷ output relevance',
          `mean over ${c.samples} samples; 1 = fully conserved, worst gap ${rel(c.worstGap)}`,
          Math.abs(c.meanRatio - 1) < 0.5 ? undefined : 'bad',
        )
      : null,
  );
}

function toolbar(v: RelevanceView): HTMLElement {
  const bar = el('div', { class: 'toolbar' });
  if (v.samples.length > 0) {
    const select = el('vscode-single-select', { id: 'sample', 'aria-label': 'sample' });
    select.appendChild(
      el(
        'vscode-option',
        { value: '-1', selected: sample === -1 },
        `mean of ${v.samplesTotal ?? v.samples.length} samples`,
      ),
    );
    for (const s of v.samples)
      select.appendChild(
        el(
          'vscode-option',
          { value: String(s.index), selected: sample === s.index },
          `sample ${s.index} (${classLabel(s.target, v.classNames)})`,
        ),
      );
    select.addEventListener('change', () => {
      sample = Number((select as unknown as { value: string }).value);
      render();
    });
    bar.append(el('label', { for: 'sample' }, 'relevance of'), select);
  }
  const field = el('vscode-textfield', {
    id: 'filter',
    placeholder: 'filter layers',
    'aria-label': 'filter layers',
    value: filter,
  });
  field.addEventListener('input', () => {
    filter = (field as unknown as { value: string }).value;
    table?.setRows(rows(v));
  });
  bar.append(field);
  return bar;
}

function layerDetail(v: RelevanceView): HTMLElement {
  const layer = v.layers[selectedLayer];
  if (!layer) return el('div');
  const values = valuesOf(layer);
  const what = sample >= 0 ? `sample ${sample}` : v.source === 'attribution' ? 'mean over samples' : 'criterion score';
  const svg = barChart({
    title: `${layer.name}: ${v.source === 'attribution' ? 'relevance' : 'score'} per ${layer.kind === 'dense' ? 'neuron' : 'channel'} (${what})`,
    bars: values.map((value, i) => ({ label: `${layer.kind === 'dense' ? 'neuron' : 'channel'} ${i}`, value })),
    valueFormat: rel,
    width: 720,
  });
  return el(
    'details',
    { class: 'layer-detail', open: values.length <= 64 },
    el('summary', {}, `Components of ${layer.name} (${values.length}) — click a row above to pick another layer`),
    svgFigure(svg),
  );
}

function sampleSection(v: RelevanceView): HTMLElement[] {
  const out: HTMLElement[] = [el('h2', {}, 'Input heatmaps')];
  const withHeatmap = v.samples.filter((s) => s.heatmap);
  if (withHeatmap.length === 0) {
    out.push(
      el(
        'p',
        { class: 'note' },
        'No heatmaps in this folder (pxp attribute --heatmaps N writes them for image inputs).',
      ),
    );
    return out;
  }
  const s = sample >= 0 ? v.samples[sample] : undefined;
  if (s?.heatmap) {
    out.push(
      el(
        'figure',
        {},
        el('img', { class: 'heatmap', src: s.heatmap, alt: `sample ${s.index} input and relevance heatmap` }),
        el(
          'figcaption',
          { class: 'muted' },
          `sample ${s.index}, ${classLabel(s.target, v.classNames)}: input | relevance (red positive, blue negative; the bar below spans ± the largest |relevance| of a pixel)`,
        ),
      ),
    );
  } else if (s) {
    const image = drawn.get(s.index);
    if (image) {
      out.push(
        el(
          'figure',
          {},
          el('img', { class: 'heatmap drawn', src: image, alt: `sample ${s.index} relevance heatmap` }),
          el(
            'figcaption',
            { class: 'muted' },
            `sample ${s.index}, ${classLabel(s.target, v.classNames)}: relevance (red positive, blue negative), drawn from input.npy — the folder keeps no copy of the input`,
          ),
        ),
      );
    } else if (image === null) {
      out.push(el('p', { class: 'note' }, `Sample ${s.index}'s input is not an image, so there is no heatmap.`));
    } else {
      out.push(el('p', { class: 'note' }, `Drawing the heatmap of sample ${s.index} from input.npy…`));
      post({ type: 'requestHeatmap', sample: s.index });
    }
  }
  const grid = el('div', { class: 'heatmaps' });
  for (const h of withHeatmap) {
    const b = el(
      'button',
      { title: `show sample ${h.index} (${classLabel(h.target, v.classNames)})` },
      el('img', { src: h.heatmap!, alt: `sample ${h.index}` }),
      el('span', {}, `#${h.index} ${classLabel(h.target, v.classNames)}`),
    );
    b.addEventListener('click', () => {
      sample = h.index;
      render();
    });
    grid.append(b);
  }
  out.push(grid);
  return out;
}

function conservationSection(v: RelevanceView): HTMLElement[] {
  const out: HTMLElement[] = [el('h2', {}, 'Conservation check')];
  const samples = v.samples.filter((s) => Number.isFinite(s.inputSum));
  if (samples.length === 0) {
    out.push(el('p', { class: 'note' }, 'input.npy is missing, so the input relevance sums are unknown.'));
    return out;
  }
  const series = [
    { name: 'input relevance sum', points: samples.map((s) => [s.index, s.inputSum] as [number, number]) },
  ];
  if (samples.some((s) => s.outputSum !== undefined))
    series.push({
      name: 'output relevance',
      points: samples.filter((s) => s.outputSum !== undefined).map((s) => [s.index, s.outputSum!] as [number, number]),
    });
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const perSample = lineChart({
    title: 'Relevance at the input vs at the output, per sample',
    xLabel: 'sample',
    yLabel: 'relevance sum',
    series,
    yDomain: [Math.min(0, ...ys), Math.max(1.1, ...ys)],
    width: 640,
    height: 320,
  });
  const chosen = sample >= 0 ? v.samples[sample] : undefined;
  const chain = (values: (s: (typeof samples)[number]) => number) =>
    chosen ? values(chosen) : samples.reduce((a, s) => a + values(s), 0) / samples.length;
  const bars = [
    ...(samples.every((s) => s.outputSum !== undefined)
      ? [{ label: 'output', value: chain((s) => s.outputSum!) }]
      : []),
    ...v.layers.map((l, i) => ({ label: l.name, value: chain((s) => s.layerSums[i]) })).reverse(),
    { label: 'input', value: chain((s) => s.inputSum) },
  ];
  const perLayer = barChart({
    title: `Relevance sum from output to input (${chosen ? `sample ${chosen.index}` : 'mean'})`,
    bars,
    valueFormat: (x) => x.toFixed(3),
    width: 520,
  });
  out.push(
    el(
      'div',
      { class: 'row' },
      svgFigure(
        perSample,
        'LRP hands the output relevance down layer by layer; what does not reach the input went to biases and the ε stabilizer. With the one-hot start each output sums to 1.',
      ),
      svgFigure(perLayer, "Each component layer's relevance sum (at its output), from the output down to the input."),
    ),
  );
  return out;
}
