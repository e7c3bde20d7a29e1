/**
 * Beside the model: on model.json, CodeLens "Prune with PXP" and "Compute relevance" at the top and, per layer
 * entry, the layer's relevance share and the components pruned in the latest run of this model; hovers on a layer
 * name give the same figures. Figures come from the newest run folder of the model (relevance.json or
 * components.json, run.json, pruned/model.json): reading files only, so it works in untrusted workspaces.
 */
import * as vscode from 'vscode';
import { type LayerFigures, type ModelFigures, latestRunFor, modelFigures } from './runs/layer-figures';
import { listRuns } from './runs/run-summary';

const SELECTOR: vscode.DocumentSelector = [{ pattern: '**/model.json' }];

/** Where each layer's `"name": "…"` sits in the text (its first occurrence inside modelTopology). */
export function layerNamePositions(text: string, names: string[]): Map<string, number> {
  const out = new Map<string, number>();
  const start = Math.max(0, text.indexOf('"modelTopology"'));
  for (const name of names) {
    const re = new RegExp(`"name"\\s*:\\s*"${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`, 'g');
    re.lastIndex = start;
    const m = re.exec(text);
    if (m) out.set(name, m.index);
  }
  return out;
}

export function describeLayer(name: string, f: LayerFigures): string {
  const parts: string[] = [];
  if (f.share !== undefined) parts.push(`relevance ${(100 * f.share).toFixed(1)} %`);
  if (f.removed !== undefined && f.components !== undefined) parts.push(`${f.removed}/${f.components} pruned`);
  else if (f.components !== undefined) parts.push(`${f.components} components`);
  return `${name}: ${parts.join(' · ')}`;
}

export class ModelLens implements vscode.CodeLensProvider, vscode.HoverProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  refresh(): void {
    this.changed.fire();
  }

  private figures(doc: vscode.TextDocument): ModelFigures | undefined {
    const root = vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath;
    if (!root) return undefined;
    const run = latestRunFor(doc.uri.fsPath, listRuns(root));
    return run ? modelFigures(run) : undefined;
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const top = new vscode.Range(0, 0, 0, 0);
    const lenses = [
      new vscode.CodeLens(top, {
        title: '$(list-filter) Prune with PXP',
        command: 'pxp.pruneModel',
        arguments: [doc.uri],
      }),
      new vscode.CodeLens(top, {
        title: '$(flame) Compute relevance',
        command: 'pxp.computeRelevance',
        arguments: [doc.uri],
      }),
    ];
    const figures = this.figures(doc);
    if (!figures) return lenses;
    lenses.push(
      new vscode.CodeLens(top, {
        title: `latest run: ${figures.run.name}`,
        command: 'pxp.openRun',
        arguments: [figures.run.dir],
      }),
    );
    const text = doc.getText();
    const positions = layerNamePositions(text, [...figures.layers.keys()]);
    const lines = new Set([...positions.values()].map((o) => doc.positionAt(o).line));
    if (lines.size > 1) {
      // One lens per layer entry where the layers stand on their own lines (a formatted model.json).
      for (const [name, offset] of positions) {
        const pos = doc.positionAt(offset);
        lenses.push(
          new vscode.CodeLens(new vscode.Range(pos, pos), {
            title: describeLayer(name, figures.layers.get(name)!),
            command: 'pxp.openRun',
            arguments: [figures.run.dir],
          }),
        );
      }
    } else {
      // A one-line model.json (as tfjs writes it): the most relevant layers in one lens; hovers give each layer.
      const ranked = [...figures.layers.entries()]
        .filter(([, f]) => f.share !== undefined)
        .sort((a, b) => b[1].share! - a[1].share!)
        .slice(0, 4);
      if (ranked.length)
        lenses.push(
          new vscode.CodeLens(top, {
            title: `relevance: ${ranked.map(([n, f]) => `${n} ${(100 * f.share!).toFixed(0)} %`).join(', ')}`,
            command: 'pxp.openRun',
            arguments: [figures.run.dir],
          }),
        );
    }
    return lenses;
  }

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const range = doc.getWordRangeAtPosition(position, /"[^"]+"/);
    if (!range) return undefined;
    const name = doc.getText(range).slice(1, -1);
    const figures = this.figures(doc);
    const f = figures?.layers.get(name);
    if (!figures || !f) return undefined;
    const md = new vscode.MarkdownString(`**PXP** — ${describeLayer(name, f)}\n\nfrom run \`${figures.run.name}\``);
    return new vscode.Hover(md, range);
  }
}

export function registerModelLens(): { lens: ModelLens; disposables: vscode.Disposable[] } {
  const lens = new ModelLens();
  return {
    lens,
    disposables: [
      vscode.languages.registerCodeLensProvider(SELECTOR, lens),
      vscode.languages.registerHoverProvider(SELECTOR, lens),
    ],
  };
}
