/** Shows a layer beside the panel: its module in the Python source (models from PyTorch) or its entry in model.json. */
import * as vscode from 'vscode';
import { layerNameRange } from '../../views/layer-position';
import { layerPlace, readSourceMap } from '../../views/source-place';

export async function revealLayerInModel(
  modelPath: string,
  layer: string,
  viewColumn: vscode.ViewColumn,
): Promise<boolean> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(modelPath));
  const range = layerNameRange(doc.getText(), layer);
  const editor = await vscode.window.showTextDocument(doc, { viewColumn, preserveFocus: false, preview: false });
  if (!range) return false;
  const selection = new vscode.Selection(doc.positionAt(range.start), doc.positionAt(range.end));
  editor.selection = selection;
  editor.revealRange(selection, vscode.TextEditorRevealType.InCenter);
  return true;
}

/**
 * A layer of a model from PyTorch: its module's definition in the .py file the run's source-map.json names, the
 * line selected and centred, or a warning saying why the map could not place it. False when the run has no map.
 */
export async function revealLayerInSource(
  runDir: string,
  layer: string,
  viewColumn: vscode.ViewColumn,
  log: vscode.LogOutputChannel,
): Promise<boolean> {
  const map = readSourceMap(runDir);
  if (!map) return false;
  const at = layerPlace(map, layer) ?? { reason: `${layer} is not a module of the export` };
  if ('reason' in at) {
    log.info(`reveal layer ${layer}: not placed (${at.reason})`);
    void vscode.window.showWarningMessage(`PXP: ${layer} is not placed in the Python source: ${at.reason}.`);
    return true;
  }
  const { file, definitionLine } = at.place;
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const editor = await vscode.window.showTextDocument(doc, { viewColumn, preserveFocus: false, preview: false });
  const line = Math.min(definitionLine - 1, doc.lineCount - 1);
  const text = doc.lineAt(line);
  const selection = new vscode.Selection(line, text.firstNonWhitespaceCharacterIndex, line, text.range.end.character);
  editor.selection = selection;
  editor.revealRange(selection, vscode.TextEditorRevealType.InCenter);
  log.info(`reveal layer ${layer}: ${file}:${definitionLine}`);
  return true;
}
