/** The architecture-diff panel: original vs physically pruned model of one prune run. */
import * as vscode from 'vscode';
import { asPxpError } from '../../core/errors';
import type { PanelState } from '../../protocol/webview';
import { readDiffView } from '../../views/diff-view';
import { revealLayerInModel, revealLayerInSource } from './reveal-layer';
import { type PanelContext, RunPanel } from './run-panel';

export class DiffPanel extends RunPanel {
  private modelPath: string | undefined;

  static createOrShow(runDir: string, ctx: PanelContext): DiffPanel {
    const state: PanelState = { kind: 'diff', runDir };
    const existing = RunPanel.find(state);
    if (existing instanceof DiffPanel) {
      existing.reveal();
      return existing;
    }
    return new DiffPanel(RunPanel.createWebviewPanel('diff', runDir, ctx), state, ctx);
  }

  static revive(panel: vscode.WebviewPanel, state: PanelState, ctx: PanelContext): DiffPanel {
    return new DiffPanel(panel, state, ctx);
  }

  protected refresh(): void {
    try {
      const view = readDiffView(this.state.runDir);
      this.modelPath = view.model;
      this.post({ type: 'show', view });
    } catch (e) {
      const err = asPxpError(e);
      this.ctx.log.error(`diff panel: ${err.describe()}`);
      this.post({ type: 'showError', message: err.describe() });
    }
  }

  protected override async revealLayer(layer: string): Promise<void> {
    if (await revealLayerInSource(this.state.runDir, layer, this.besideColumn(), this.ctx.log)) return;
    if (this.modelPath && !this.modelPath.endsWith('.onnx')) await revealLayerInModel(this.modelPath, layer, this.besideColumn());
  }
}
