/**
 * What the three PXP panels share (webview-sample's panel class, generalised): one panel per run folder and kind,
 * revealed again rather than duplicated (`findOrCreate`); the HTML shell; every message from the webview checked by
 * the protocol validator before use; `ready` answered with the panel's content (`refresh`: the view a subclass reads,
 * or the reason it cannot); disposal of watchers and listeners.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { asPxpError } from '../../core/errors';
import {
  type DiffView,
  type FromWebview,
  type PanelKind,
  type PanelState,
  type RelevanceView,
  type SearchView,
  type ToWebview,
  isFromWebview,
  RUN_FILES,
} from '../../protocol/webview';
import { panelHtml, panelOptions } from './panel-html';
import { openReport } from './report-panel';

export interface PanelContext {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  /** Opens the relevance panel on a run (set by index.ts, which knows every panel class). */
  openRelevance?: (runDir: string) => void;
}

export const VIEW_TYPES: Record<PanelKind, string> = {
  relevance: 'pxp.relevance',
  diff: 'pxp.diff',
  search: 'pxp.search',
};

const TITLES: Record<PanelKind, string> = { relevance: 'Relevance', diff: 'Architecture diff', search: 'Search' };

/** A panel class's factory on a webview panel (each subclass's static `revive`; the constructors stay private). */
export type PanelFactory = (panel: vscode.WebviewPanel, state: PanelState, ctx: PanelContext) => RunPanel;

export abstract class RunPanel {
  private static readonly open = new Map<string, RunPanel>();
  protected readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  protected constructor(
    readonly panel: vscode.WebviewPanel,
    readonly state: PanelState,
    protected readonly ctx: PanelContext,
  ) {
    RunPanel.open.set(RunPanel.key(state), this);
    panel.webview.options = panelOptions(ctx.extensionUri);
    panel.title = `${TITLES[state.kind]}: ${path.basename(state.runDir)}`;
    panel.webview.html = panelHtml(panel.webview, ctx.extensionUri, state.kind, panel.title, state);
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => {
        if (!isFromWebview(m)) {
          ctx.log.warn(`${panel.title}: dropped a malformed webview message ${JSON.stringify(m)?.slice(0, 200)}`);
          return;
        }
        void this.receive(m).catch((e) => ctx.log.error(`${panel.title}: ${(e as Error).message}`));
      }),
    );
  }

  static key(state: PanelState): string {
    return `${state.kind}:${path.resolve(state.runDir)}`;
  }

  /**
   * The open panel for this run folder and kind, revealed; else a new one, which `create` (the kind's `revive`)
   * builds on a fresh webview panel. A kind has one panel class, so an open panel of the key is of the class asked for.
   */
  static findOrCreate(state: PanelState, ctx: PanelContext, create: PanelFactory): RunPanel {
    const existing = RunPanel.open.get(RunPanel.key(state));
    if (existing) {
      existing.reveal();
      return existing;
    }
    return create(RunPanel.createWebviewPanel(state.kind, state.runDir, ctx), state, ctx);
  }

  /**
   * A new webview panel beside the model file, with the panel options set from the start. PXP panels share one
   * column: a panel opened while another is visible joins its column instead of splitting the window again.
   */
  private static createWebviewPanel(kind: PanelKind, runDir: string, ctx: PanelContext): vscode.WebviewPanel {
    const shared = [...RunPanel.open.values()].map((p) => p.panel.viewColumn).find((c) => c !== undefined);
    return vscode.window.createWebviewPanel(
      VIEW_TYPES[kind],
      `${TITLES[kind]}: ${path.basename(runDir)}`,
      { viewColumn: shared ?? vscode.ViewColumn.Beside, preserveFocus: false },
      panelOptions(ctx.extensionUri),
    );
  }

  protected post(message: ToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  /** Reads the panel's view from its run folder; throws what the user should be told when it cannot. */
  protected abstract readView(): RelevanceView | DiffView | SearchView;

  /** Posts the panel's content, or the reason it cannot be read. */
  protected refresh(): void {
    try {
      this.post({ type: 'show', view: this.readView() });
    } catch (e) {
      const err = asPxpError(e);
      this.ctx.log.error(`${this.state.kind} panel: ${err.describe()}`);
      this.post({ type: 'showError', message: err.describe() });
    }
  }

  private async receive(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'openRelevance':
        this.ctx.openRelevance?.(this.state.runDir);
        return;
      case 'ready':
        this.refresh();
        return;
      case 'revealLayer':
        await this.revealLayer(m.layer);
        return;
      case 'requestHeatmap':
        this.heatmap(m.sample);
        return;
      case 'openRunFile': {
        if (!RUN_FILES.includes(m.file)) return;
        const uri = vscode.Uri.file(path.join(this.state.runDir, m.file));
        // Inside the editor: code-server and Remote-SSH cannot open a file:// page externally.
        if (m.file.endsWith('.html')) openReport(uri.fsPath, this.besideColumn());
        else await vscode.window.showTextDocument(uri, { viewColumn: this.besideColumn(), preview: true });
        return;
      }
    }
  }

  /** Where files open from the panel go: the first column, unless the panel is there (never hide the panel). */
  protected besideColumn(): vscode.ViewColumn {
    return this.panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
  }

  protected async revealLayer(_layer: string): Promise<void> {}

  protected heatmap(_sample: number): void {}

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    RunPanel.open.delete(RunPanel.key(this.state));
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
