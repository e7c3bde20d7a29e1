/**
 * The PXP webview panels, for activate() and the commands: open a folder in the panel that shows it, and restore
 * panels after a reload (one serializer per view type; the saved state names the run folder).
 */
import fs from 'node:fs';
import * as vscode from 'vscode';
import { isPanelState, type PanelKind, type PanelState } from '../../protocol/webview';
import { panelForRun } from '../../views/run-kind';
import { DiffPanel } from './diff-panel';
import { RelevancePanel } from './relevance-panel';
import { type PanelContext, type PanelFactory, RunPanel, VIEW_TYPES } from './run-panel';
import { SearchPanel } from './search-panel';

export interface PanelApi {
  /** Relevance of an attribution folder (components.json) or a prune/search run (relevance.json). */
  openRelevance(runDir: string, modelUri?: vscode.Uri): void;
  /** Original vs pruned model of a `pxp prune --rate` run. */
  openDiff(runDir: string): void;
  /** Trials of a `pxp search` run, live while it runs. */
  openSearch(runDir: string): void;
  /** The panel that fits the folder: search run → search, prune run with pruned/ → diff, else relevance. */
  openRun(runDir: string): void;
}

/** Each kind's panel class, by its factory. */
const REVIVE: Record<PanelKind, PanelFactory> = {
  relevance: RelevancePanel.revive,
  diff: DiffPanel.revive,
  search: SearchPanel.revive,
};

function open(kind: PanelKind, runDir: string, ctx: PanelContext, modelPath?: string): void {
  if (kind === 'relevance') RelevancePanel.createOrShow(runDir, ctx, modelPath);
  else RunPanel.findOrCreate({ kind, runDir }, ctx, REVIVE[kind]);
}

function revive(panel: vscode.WebviewPanel, state: PanelState, ctx: PanelContext): void {
  REVIVE[state.kind](panel, state, ctx);
}

export function registerPanels(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): PanelApi {
  const ctx: PanelContext = {
    extensionUri: context.extensionUri,
    log,
    openRelevance: (runDir) => RelevancePanel.createOrShow(runDir, ctx),
  };
  for (const [kind, viewType] of Object.entries(VIEW_TYPES) as [PanelKind, string][]) {
    context.subscriptions.push(
      vscode.window.registerWebviewPanelSerializer(viewType, {
        async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
          // The state comes back from the webview: trust it only after the check, and only for its own view type.
          if (!isPanelState(state) || state.kind !== kind || !fs.existsSync(state.runDir)) {
            log.warn(`${viewType}: not restoring a panel with state ${JSON.stringify(state)?.slice(0, 200)}`);
            panel.dispose();
            return;
          }
          log.info(`${viewType}: restoring ${state.runDir}`);
          revive(panel, state, ctx);
        },
      }),
    );
  }
  return {
    openRelevance: (runDir, modelUri) => open('relevance', runDir, ctx, modelUri?.fsPath),
    openDiff: (runDir) => open('diff', runDir, ctx),
    openSearch: (runDir) => open('search', runDir, ctx),
    openRun: (runDir) => {
      let kind: PanelKind | undefined;
      try {
        kind = panelForRun(runDir);
      } catch (e) {
        log.error(`open run ${runDir}: ${(e as Error).message}`);
      }
      if (!kind) {
        void vscode.window.showErrorMessage(
          `PXP: ${runDir} is not a run folder (no components.json, trials.jsonl or run.json with results).`,
        );
        return;
      }
      open(kind, runDir, ctx);
    },
  };
}
