import * as vscode from 'vscode';

/** The model to act on: the active model.json editor, else a quick pick of the workspace's model.json files. */
export async function pickModel(): Promise<string | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.fsPath.endsWith('model.json')) return active.fsPath;
  const found = await vscode.workspace.findFiles('**/model.json', '**/node_modules/**', 200);
  if (found.length === 0) {
    void vscode.window.showWarningMessage('PXP: no model.json in this workspace. Open a folder with a tfjs LayersModel.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })),
    { placeHolder: 'Choose a tfjs model.json' },
  );
  return pick?.uri.fsPath;
}
