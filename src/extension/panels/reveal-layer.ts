/** Shows a layer's entry in model.json beside the panel: the layer's name selected and centred. */
import * as vscode from 'vscode';
import { layerNameRange } from '../../views/layer-position';

export async function revealLayerInModel(modelPath: string, layer: string, viewColumn: vscode.ViewColumn): Promise<boolean> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(modelPath));
  const range = layerNameRange(doc.getText(), layer);
  const editor = await vscode.window.showTextDocument(doc, { viewColumn, preserveFocus: false, preview: false });
  if (!range) return false;
  const selection = new vscode.Selection(doc.positionAt(range.start), doc.positionAt(range.end));
  editor.selection = selection;
  editor.revealRange(selection, vscode.TextEditorRevealType.InCenter);
  return true;
}
