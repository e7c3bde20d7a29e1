/**
 * The read-only page a .onnx file opens in: the model's figures (parameters, MACs, input, opset, producer), its
 * component groups (which prunable layers are pruned together), its layers with output shapes, parameters, MACs and
 * group, and the latest run's relevance share and removed components per layer, with the commands at hand as command
 * links. Plain HTML without scripts; no vscode import (unit-tested).
 */
import type { ComponentKind } from '../../core/prune/catalogue';
import type { ModelComponentGroups } from '../../core/prune/layer-groups';
import type { EngineMethods } from '../../protocol/engine';
import type { ComponentFigures } from './source-figures';

export type ModelInfo = EngineMethods['info']['result'];

/** Per layer: share of the relevance and components before → after, from the model's latest run. */
export interface RunOverlay {
  run: string;
  layers: Map<string, { share?: number; channels?: number; kept?: number }>;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const num = (n: number) => n.toLocaleString('en');

/** The overlay of a run for the layer table. */
export function overlayOf(run: string, figures: Map<string, ComponentFigures>): RunOverlay {
  return {
    run,
    layers: new Map([...figures].map(([name, f]) => [name, { share: f.share, channels: f.channels, kept: f.kept }])),
  };
}

const KIND_WORD: Record<ComponentKind, [string, string]> = {
  conv: ['channel', 'channels'],
  dense: ['neuron', 'neurons'],
  head: ['head', 'heads'],
  neuron: ['MLP neuron', 'MLP neurons'],
};
const counted = (n: number, kind: ComponentKind) => `${num(n)} ${KIND_WORD[kind][n === 1 ? 0 : 1]}`;

/** Tied groups get a label (G1, G2, … in network order, as `pxp info` prints them); a layer alone has none. */
function groupLabels(g: ModelComponentGroups): Map<number, string> {
  const labels = new Map<number, string>();
  g.groups.forEach((x, i) => {
    if (x.layers.length > 1) labels.set(i, `G${labels.size + 1}`);
  });
  return labels;
}

const TIE_TEXT = { residual: 'residual add', depthwise: 'depthwise conv' };

/** What a group is, then the tied groups (layers, components, what ties them); singletons are only counted. */
function groupsSection(g: ModelComponentGroups, labels: Map<number, string>): string {
  if (g.layers.length === 0)
    return '<h3>Component groups</h3><p>The model has no prunable layer before its output.</p>';
  const kinds = new Map<ComponentKind, number>();
  for (const l of g.layers) kinds.set(l.kind, (kinds.get(l.kind) ?? 0) + 1);
  const what = [...kinds].map(([k, n]) => `${n} with ${KIND_WORD[k][1]}`).join(', ');
  const intro = `<p>Pruning removes components: a conv's output channels, a dense layer's neurons, an attention layer's heads, a transformer MLP's neurons. Layers whose components are tied form a group and lose the same components together: channel <i>c</i> of every branch that meets in a residual add is one channel of the stream, and a depthwise conv's channel <i>c</i> is its input's channel <i>c</i>. The model has ${g.layers.length} prunable layers (${what}).</p>`;
  const tied = g.groups.map((x, i) => ({ x, label: labels.get(i) })).filter((t) => t.label);
  if (tied.length === 0)
    return `<h3>Component groups</h3>${intro}<p class="groups-none">No layers are tied: each prunable layer is a group of its own, and its components are removed one by one.</p>`;
  const alone = g.groups.length - tied.length;
  const kindOf = new Map(g.layers.map((l) => [l.name, l.kind]));
  const rows = tied
    .map(({ x, label }) => {
      const first = kindOf.get(x.layers[0]) ?? 'conv';
      const fixed = x.fixed
        ? ` (${num(x.fixed)} fixed: they meet a channel no prunable layer owns, the model input say)`
        : '';
      return `<tr><td>${label}</td><td class="n">${counted(x.components, first)}${fixed}</td><td>${x.ties.map((t) => TIE_TEXT[t]).join(', ')}</td><td>${x.layers.map(esc).join(', ')}</td></tr>`;
    })
    .join('\n');
  return `<h3>Component groups</h3>${intro}
<table class="groups"><thead><tr><th>group</th><th class="n">components</th><th>tied by</th><th>layers</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p>${alone === 0 ? 'Every prunable layer is in one of these groups.' : `The other ${alone} prunable layer${alone === 1 ? ' is a group' : 's are groups'} of ${alone === 1 ? 'its' : 'their'} own.`}</p>`;
}

export function onnxModelHtml(
  file: string,
  info: ModelInfo,
  overlay: RunOverlay | undefined,
  csp: { source: string; nonce: string },
): string {
  const commandLink = (command: string, label: string) =>
    `<a href="command:${command}?${encodeURIComponent(JSON.stringify([{ model: file }]))}">${esc(label)}</a>`;
  const labels = groupLabels(info.groups);
  const prunable = new Map(info.groups.layers.map((l) => [l.name, l]));
  const rows = info.layers
    .map((l) => {
      const o = overlay?.layers.get(l.name);
      const c = prunable.get(l.name);
      // Heads say so; channels and neurons are plain counts, as the header says "components".
      const unit = c?.kind === 'head' ? ' heads' : '';
      const comps =
        o?.channels === undefined
          ? c
            ? `${c.components}${unit}`
            : ''
          : o.kept !== undefined && o.kept !== o.channels
            ? `${o.channels} → ${o.kept}${unit}`
            : `${o.channels}${unit}`;
      const group = c ? (labels.get(c.group) ?? '') : '';
      const share = o?.share === undefined ? '' : `${(100 * o.share).toFixed(1)} %`;
      const pruned = o?.kept !== undefined && o.channels !== undefined && o.kept < o.channels;
      return `<tr${pruned ? ' class="pruned"' : ''}><td>${esc(l.name)}</td><td>${esc(l.className)}</td><td>${l.outputShape.join(' × ')}</td><td class="n">${l.params ? num(l.params) : ''}</td><td class="n">${l.macs ? num(l.macs) : ''}</td><td>${group}</td><td class="n">${comps}</td><td class="n">${share}</td></tr>`;
    })
    .join('\n');
  const shape = (info.fileInputShape ?? info.inputShape).join(' × ');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(file.split(/[\\/]/).pop() ?? file)} — PXP model view</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${csp.source} 'nonce-${csp.nonce}';">
<style nonce="${csp.nonce}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1.5em 2em; }
table { border-collapse: collapse; font-size: var(--vscode-editor-font-size); }
th, td { padding: 2px 10px; text-align: left; border-bottom: 1px solid var(--vscode-panel-border, #8884); white-space: nowrap; }
table.groups td:last-child { white-space: normal; }
p { max-width: 60em; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.pruned td { color: var(--vscode-editorWarning-foreground); }
.figures span { margin-right: 2em; }
.actions a { margin-right: 1.5em; }
</style></head><body>
<h2>${esc(info.name)} <small>(read-only PXP view of ${esc(file)})</small></h2>
<p class="figures"><span>parameters ${num(info.params)}</span><span>MACs ${num(info.macs)}</span><span>input ${shape}${info.onnx ? ' (channels first)' : ''}</span><span>classes ${info.numClasses}</span>${info.onnx ? `<span>opset ${info.onnx.opset}${info.onnx.producer ? `, ${esc(info.onnx.producer)}` : ''}</span>` : ''}</p>
<p class="actions">${commandLink('pxp.pruneModel', 'Prune Model…')}${commandLink('pxp.computeRelevance', 'Compute Relevance…')}${commandLink('pxp.optimizeAttribution', 'Optimize Attribution…')}</p>
<p>${overlay ? `Relevance and removals from the latest run, <code>${esc(overlay.run)}</code>.` : 'No run of this model yet: its relevance and removals appear here after one.'}</p>
${groupsSection(info.groups, labels)}
<h3>Layers</h3>
<table><thead><tr><th>layer</th><th>op</th><th>output</th><th class="n">parameters</th><th class="n">MACs</th><th>group</th><th class="n">components</th><th class="n">relevance</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>`;
}
