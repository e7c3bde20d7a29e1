/** The relevance panel: per-layer component relevance, heatmaps and the conservation check of one folder. */
import * as vscode from 'vscode';
import { asPxpError } from '../../core/errors';
import type { PanelState, RelevanceView } from '../../protocol/webview';
import { classLabel } from '../../shared/class-label';
import { readRelevanceView, renderRelevanceHeatmap } from '../../views/relevance-view';
import { revealLayerInModel, revealLayerInSource } from './reveal-layer';
import { type PanelContext, RunPanel } from './run-panel';

export class RelevancePanel extends RunPanel {
  private modelPath: string | undefined;
  private view: RelevanceView | undefined;

  static createOrShow(runDir: string, ctx: PanelContext, modelPath?: string): void {
    const state: PanelState = { kind: 'relevance', runDir, ...(modelPath ? { modelPath } : {}) };
    const panel = RunPanel.findOrCreate(state, ctx, RelevancePanel.revive);
    if (modelPath && panel instanceof RelevancePanel) panel.modelPath = modelPath;
  }

  static revive(panel: vscode.WebviewPanel, state: PanelState, ctx: PanelContext): RelevancePanel {
    return new RelevancePanel(panel, state, ctx);
  }

  private constructor(panel: vscode.WebviewPanel, state: PanelState, ctx: PanelContext) {
    super(panel, state, ctx);
    this.modelPath = state.modelPath;
  }

  protected readView(): RelevanceView {
    const view = readRelevanceView(this.state.runDir);
    this.view = view;
    this.modelPath ??= view.model;
    return view;
  }

  protected override heatmap(sample: number): void {
    try {
      const target = this.view?.samples.find((s) => s.index === sample)?.target;
      const label = target !== undefined && target >= 0 ? classLabel(target, this.view?.classNames) : undefined;
      this.post({ type: 'heatmap', sample, heatmap: renderRelevanceHeatmap(this.state.runDir, sample, label) });
    } catch (e) {
      this.ctx.log.warn(`relevance panel: heatmap of sample ${sample}: ${asPxpError(e).describe()}`);
    }
  }

  protected override async revealLayer(layer: string): Promise<void> {
    if (await revealLayerInSource(this.state.runDir, layer, this.besideColumn(), this.ctx.log)) return;
    if (!this.modelPath || this.modelPath.endsWith('.onnx')) {
      void vscode.window.showWarningMessage(
        `PXP: ${this.state.runDir} does not name its model.json, so layer ${layer} cannot be shown.`,
      );
      return;
    }
    const found = await revealLayerInModel(this.modelPath, layer, this.besideColumn());
    this.ctx.log.info(`reveal layer ${layer} in ${this.modelPath}: ${found ? 'shown' : 'not found'}`);
    if (!found) void vscode.window.showWarningMessage(`PXP: layer ${layer} is not in ${this.modelPath}.`);
  }
}
