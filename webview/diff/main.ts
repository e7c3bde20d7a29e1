/**
 * Architecture-diff panel: the pruned model beside the original. Headline figures first (×-smaller, ×-faster,
 * accuracy drop, FLOPs, components removed), then every layer with its components, parameters and FLOPs before and
 * after. Clicking a layer name reveals it in the original model.json.
 */
import '../shared/panel.css';
import type { DiffLayer, DiffView } from '../../src/protocol/webview';
import { clear, el, showError, tile } from '../shared/dom';
import { count, ms, pct, times } from '../shared/format';
import { connect, post } from '../shared/host';
import { openFileButton, openRelevanceButton } from '../shared/open-file';
import { cellBar, type Column, SortableTable } from '../shared/sortable-table';

const root = document.getElementById('app')!;

connect((m) => {
  if (m.type === 'show' && m.view.kind === 'diff') render(m.view);
  else if (m.type === 'showError') showError(root, m.message);
});

const arrow = (a: string, b: string) => `${a} → ${b}`;

/** The title, what was pruned and where from, and the accuracy warning if any. */
function heading(v: DiffView): HTMLElement[] {
  return [
    el('h1', {}, `Architecture diff — ${v.title}`),
    el(
      'p',
      { class: 'subtitle' },
      `${v.criterion}, ${pct(v.rate, 0)} of the components removed`,
      ...(v.how ?? []).flatMap((h) => [el('br'), h]),
      el('br'),
      `model ${v.model}`,
      ...(v.sourceFile ? [el('br'), `source ${v.sourceFile} (click a layer for its definition)`] : []),
      el('br'),
      `run ${v.runDir}`,
    ),
    ...(v.warning
      ? [
          el(
            'div',
            { class: `warning-banner ${v.warning.kind}`, role: 'alert' },
            el('strong', {}, v.warning.kind === 'collapse' ? '⚠ Accuracy collapsed' : '⚠ Large accuracy drop'),
            el('span', {}, v.warning.text),
          ),
        ]
      : []),
  ];
}

/** The headline tiles: ×-smaller, ×-faster (or slower), accuracy drop, FLOPs, components removed. */
function headline(v: DiffView): HTMLElement {
  const s = v.summary;
  const latency = `${arrow(ms(s.latencyMs.original), ms(s.latencyMs.pruned))}${s.latencyMs.batch ? ` per batch of ${s.latencyMs.batch}` : ''}${s.latencyMs.engine ? ` on ${s.latencyMs.engine}` : ''}`;
  const drop = s.accuracyDropPoints;
  // A collapsed model is no success however small: its size and speed tiles lose their green.
  const good = v.warning?.kind === 'collapse' ? undefined : 'good';
  return el(
    'div',
    { class: 'headline' },
    tile(
      `${times(s.timesSmaller)} smaller`,
      'parameters',
      arrow(count(s.params.original), count(s.params.pruned)),
      s.timesSmaller > 1 ? good : undefined,
    ),
    // Nothing removed: the two timings are of the same model, so their ratio is noise, not a speed-up.
    // A pruned model that measured slower says so, rather than "0.8× faster".
    s.components.removed === 0
      ? tile('unchanged', 'measured latency', `${latency}: nothing was removed, so the difference is timing noise`)
      : s.timesFaster >= 1
        ? tile(`${times(s.timesFaster)} faster`, 'measured latency', latency, good)
        : tile(`${times(1 / s.timesFaster)} slower`, 'measured latency', latency, 'bad'),
    tile(
      `${drop > 0 ? '−' : '+'}${Math.abs(drop).toFixed(1)} pts`,
      'accuracy',
      `${arrow(pct(s.accuracy.original), pct(s.accuracy.pruned))}${s.accuracy.finetuned !== undefined ? `; fine-tuned ${pct(s.accuracy.finetuned)}` : ''}`,
      v.warning || drop > 5 ? 'bad' : 'good',
    ),
    tile(
      `${times(s.timesFewerFlops)} fewer`,
      'FLOPs per sample',
      arrow(count(s.flops.original), count(s.flops.pruned)),
    ),
    tile(
      `${s.components.removed} / ${s.components.total}`,
      'components removed',
      `${pct(s.components.removed / s.components.total)} of conv channels and dense neurons`,
    ),
  );
}

function render(v: DiffView): void {
  clear(root);
  root.removeAttribute('aria-busy');
  root.append(
    ...heading(v),
    headline(v),
    el(
      'div',
      { class: 'toolbar' },
      openRelevanceButton('Component scores'),
      openFileButton('report.html', 'Open report.html'),
      openFileButton('run.json', 'Open run.json'),
    ),
  );
  root.append(el('h2', {}, 'Layer by layer'));
  if (v.layers.length === 0) {
    root.append(el('p', { class: 'note' }, `No per-layer comparison: ${v.layersNote ?? 'no layers'}.`));
    return;
  }
  const table = new SortableTable(layerColumns(v), {
    label: 'layers, original and pruned',
    sortKey: 'order',
    descending: false,
    rowAttrs: (l) => ({ 'data-layer-row': l.name, class: l.components ? undefined : 'muted' }),
  });
  table.setRows(v.layers);
  root.append(
    table.container,
    el(
      'p',
      { class: 'note' },
      'Components are conv channels and dense neurons; layers marked "follows" (batch norm) shrink with the layer before them. FLOPs are 2 × multiply-accumulates of one sample; latency was measured on the whole model, not per layer.',
    ),
  );
}

/** The layer table's columns: order, name (reveals the layer), type, components, kept, parameters, FLOPs, share saved. */
function layerColumns(v: DiffView): Column<DiffLayer>[] {
  const s = v.summary;
  const kept = (l: DiffLayer) =>
    l.components
      ? l.components.pruned / l.components.original
      : l.params.original
        ? l.params.pruned / l.params.original
        : 1;
  return [
    { key: 'order', title: '#', cell: (l) => String(v.layers.indexOf(l) + 1), sort: (l) => v.layers.indexOf(l) },
    {
      key: 'name',
      title: 'layer',
      align: 'left',
      sort: (l) => l.name,
      cell: (l) => {
        const a = el(
          'a',
          { class: 'layer', href: '#', title: 'show this layer in model.json', 'data-layer': l.name },
          l.name,
        );
        a.addEventListener('click', (e) => {
          e.preventDefault();
          post({ type: 'revealLayer', layer: l.name });
        });
        return a;
      },
    },
    { key: 'type', title: 'type', align: 'left', cell: (l) => l.className, sort: (l) => l.className },
    {
      key: 'components',
      title: 'components',
      cell: (l) =>
        l.components
          ? el(
              'span',
              {},
              arrow(String(l.components.original), String(l.components.pruned)),
              l.components.pruned < l.components.original
                ? el('span', { class: 'removed' }, `  −${l.components.original - l.components.pruned}`)
                : '',
            )
          : el('span', { class: 'muted' }, 'follows'),
      sort: (l) => (l.components ? l.components.original - l.components.pruned : -1),
    },
    {
      key: 'kept',
      title: 'kept',
      align: 'left',
      cell: (l) => el('div', { class: 'kept' }, cellBar(kept(l), 1), el('span', { class: 'muted' }, pct(kept(l), 0))),
      sort: kept,
    },
    {
      key: 'params',
      title: 'parameters',
      cell: (l) => arrow(count(l.params.original), count(l.params.pruned)),
      sort: (l) => l.params.original - l.params.pruned,
    },
    {
      key: 'flops',
      title: 'FLOPs',
      cell: (l) => (l.flops && l.flops.original > 0 ? arrow(count(l.flops.original), count(l.flops.pruned)) : '—'),
      sort: (l) => (l.flops ? l.flops.original - l.flops.pruned : -1),
    },
    {
      key: 'share',
      title: 'share of FLOPs saved',
      cell: (l) =>
        l.flops && l.flops.original > 0 && s.flops.original > s.flops.pruned
          ? pct((l.flops.original - l.flops.pruned) / (s.flops.original - s.flops.pruned))
          : '—',
      sort: (l) => (l.flops ? l.flops.original - l.flops.pruned : -1),
    },
  ];
}
