/**
 * .onnx files open in a read-only PXP model view instead of binary text: the engine process reads the model (so a
 * large file never blocks the host) and the page lists its component groups and its layers with the latest run's
 * relevance and removals.
 */
import crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { EngineSession } from './engine-session';
import { overlayOf, onnxModelHtml } from './runs/onnx-model-html';
import { latestRunFor } from './runs/layer-figures';
import { listRuns } from './runs/run-summary';
import { componentFigures } from './runs/source-figures';

export const ONNX_VIEW_TYPE = 'pxp.onnxModel';

export class OnnxModelEditor implements vscode.CustomReadonlyEditorProvider {
  /** Open views by model path, redrawn when a run finishes. */
  private readonly open = new Map<string, Set<vscode.WebviewPanel>>();
  /** What each view last showed (its layer count, the layers of each tied group, and run), for the tests. */
  readonly drawn = new Map<string, { layers: number; tied: string[][]; run?: string }>();

  constructor(
    private readonly session: EngineSession,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(doc: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    panel.webview.options = {
      enableScripts: false,
      enableCommandUris: ['pxp.pruneModel', 'pxp.computeRelevance', 'pxp.optimizeAttribution'],
    };
    const file = doc.uri.fsPath;
    const views = this.open.get(file) ?? new Set();
    views.add(panel);
    this.open.set(file, views);
    panel.onDidDispose(() => views.delete(panel));
    await this.render(file, panel);
  }

  /** A run finished: redraw the open views (their overlay may have changed). */
  refresh(): void {
    for (const [file, views] of this.open) for (const p of views) void this.render(file, p);
  }

  private async render(file: string, panel: vscode.WebviewPanel): Promise<void> {
    const nonce = crypto.randomBytes(16).toString('base64');
    const message = (text: string) =>
      `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none';"></head><body><p>${text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!)}</p></body></html>`;
    if (!vscode.workspace.isTrusted) {
      panel.webview.html = message(
        `PXP reads ${file} in its engine, which runs only in a trusted workspace: trust the workspace to see the model's layers.`,
      );
      return;
    }
    panel.webview.html = message(`Reading ${file}…`);
    try {
      const info = await this.session.request('info', { model: file });
      const root = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))?.uri.fsPath;
      const run = root ? latestRunFor(file, listRuns(root)) : undefined;
      const overlay = run ? overlayOf(run.name, componentFigures(run)) : undefined;
      panel.webview.html = onnxModelHtml(file, info, overlay, { source: panel.webview.cspSource, nonce });
      const tied = info.groups.groups.filter((g) => g.layers.length > 1).map((g) => g.layers);
      this.drawn.set(file, { layers: info.layers.length, tied, ...(run ? { run: run.name } : {}) });
      this.log.info(
        `ONNX view of ${file}: ${info.layers.length} layers, ${tied.length} tied groups${run ? `, run ${run.name}` : ''}`,
      );
    } catch (e) {
      panel.webview.html = message(`${file}: ${(e as Error).message}`);
    }
  }
}

export function registerOnnxEditor(
  session: EngineSession,
  log: vscode.LogOutputChannel,
): { editor: OnnxModelEditor; disposables: vscode.Disposable[] } {
  const editor = new OnnxModelEditor(session, log);
  return {
    editor,
    disposables: [
      vscode.window.registerCustomEditorProvider(ONNX_VIEW_TYPE, editor, { supportsMultipleEditorsPerDocument: true }),
    ],
  };
}
