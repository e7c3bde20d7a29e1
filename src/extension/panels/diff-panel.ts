/** The architecture-diff panel: original vs physically pruned model of one prune run. */
import * as vscode from 'vscode';
import type { DiffView, PanelState } from '../../protocol/webview';
import { readDiffView } from '../../views/diff-view';
import { revealLayerInModel, revealLayerInSource } from './reveal-layer';
import { type PanelContext, RunPanel } from './run-panel';

export class DiffPanel extends RunPanel {
  private modelPath: string | undefined;

  static revive(panel: vscode.WebviewPanel, state: PanelState, ctx: PanelContext): DiffPanel {
    return new DiffPanel(panel, state, ctx);
  }

  protected readView(): DiffView {
    const view = readDiffView(this.state.runDir);
    this.modelPath = view.model;
    return view;
  }

  protected override async revealLayer(layer: string): Promise<void> {
    if (await revealLayerInSource(this.state.runDir, layer, this.besideColumn(), this.ctx.log)) return;
    if (this.modelPath && !this.modelPath.endsWith('.onnx'))
      await revealLayerInModel(this.modelPath, layer, this.besideColumn());
  }
}
