/**
 * Shows a layer's entry in model.json: the first `"name": "<layer>"` in the file is the layer's config (the topology
 * comes before the weights manifest, whose names carry a "/variable" suffix), so select that name and centre it.
 */
import * as vscode from 'vscode';

/** Offset range of the layer's name string (without quotes) in a model.json text, or undefined. */
export function layerNameRange(text: string, layer: string): { start: number; end: number } | undefined {
  const quoted = JSON.stringify(layer);
  const pattern = new RegExp(`"name"\\s*:\\s*${quoted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
  const m = pattern.exec(text);
  if (!m) return undefined;
  const start = m.index + m[0].length - quoted.length + 1;
  return { start, end: start + quoted.length - 2 };
}

export async function revealLayerInModel(modelPath: string, layer: string): Promise<boolean> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(modelPath));
  const range = layerNameRange(doc.getText(), layer);
  const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preserveFocus: false, preview: false });
  if (!range) return false;
  const selection = new vscode.Selection(doc.positionAt(range.start), doc.positionAt(range.end));
  editor.selection = selection;
  editor.revealRange(selection, vscode.TextEditorRevealType.InCenter);
  return true;
}
