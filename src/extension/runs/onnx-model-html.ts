/**
 * The read-only page a .onnx file opens in: the model's figures (parameters, MACs, input, opset, producer), its
 * layers with output shapes, parameters and MACs, and the latest run's relevance share and removed components per
 * layer, with the commands at hand as command links. Plain HTML without scripts; no vscode import (unit-tested).
 */
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

export function onnxModelHtml(
  file: string,
  info: ModelInfo,
  overlay: RunOverlay | undefined,
  csp: { source: string; nonce: string },
): string {
  const commandLink = (command: string, label: string) =>
    `<a href="command:${command}?${encodeURIComponent(JSON.stringify([{ model: file }]))}">${esc(label)}</a>`;
  const rows = info.layers
    .map((l) => {
      const o = overlay?.layers.get(l.name);
      const comps =
        o?.channels === undefined
          ? ''
          : o.kept !== undefined && o.kept !== o.channels
            ? `${o.channels} → ${o.kept}`
            : String(o.channels);
      const share = o?.share === undefined ? '' : `${(100 * o.share).toFixed(1)} %`;
      const pruned = o?.kept !== undefined && o.channels !== undefined && o.kept < o.channels;
      return `<tr${pruned ? ' class="pruned"' : ''}><td>${esc(l.name)}</td><td>${esc(l.className)}</td><td>${l.outputShape.join(' × ')}</td><td class="n">${l.params ? num(l.params) : ''}</td><td class="n">${l.macs ? num(l.macs) : ''}</td><td class="n">${comps}</td><td class="n">${share}</td></tr>`;
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
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.pruned td { color: var(--vscode-editorWarning-foreground); }
.figures span { margin-right: 2em; }
.actions a { margin-right: 1.5em; }
</style></head><body>
<h2>${esc(info.name)} <small>(read-only PXP view of ${esc(file)})</small></h2>
<p class="figures"><span>parameters ${num(info.params)}</span><span>MACs ${num(info.macs)}</span><span>input ${shape}${info.onnx ? ' (channels first)' : ''}</span><span>classes ${info.numClasses}</span>${info.onnx ? `<span>opset ${info.onnx.opset}${info.onnx.producer ? `, ${esc(info.onnx.producer)}` : ''}</span>` : ''}</p>
<p class="actions">${commandLink('pxp.pruneModel', 'Prune Model…')}${commandLink('pxp.computeRelevance', 'Compute Relevance…')}${commandLink('pxp.optimizeAttribution', 'Optimize Attribution…')}</p>
<p>${overlay ? `Relevance and removals from the latest run, <code>${esc(overlay.run)}</code>.` : 'No run of this model yet: its relevance and removals appear here after one.'}</p>
<table><thead><tr><th>layer</th><th>op</th><th>output</th><th class="n">parameters</th><th class="n">MACs</th><th class="n">components</th><th class="n">relevance</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>`;
}
