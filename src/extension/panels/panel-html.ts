/** The panel document for a live webview (after vscode-extension-samples' webview-sample): a fresh nonce per load. */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { PanelKind, PanelState } from '../../protocol/webview';
import { panelDocument } from './panel-document';

export function panelHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  kind: PanelKind,
  title: string,
  state: PanelState,
): string {
  const asset = (file: string) =>
    webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', file)).toString();
  return panelDocument({
    cspSource: webview.cspSource,
    nonce: randomBytes(18).toString('base64'),
    scriptUri: asset(`${kind}.js`),
    styleUri: asset(`${kind}.css`),
    title,
    state,
  });
}

/** Scripts on; resources only from the extension's dist/ and media/ (heatmaps travel as data: URIs, not file reads). */
export function panelOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}
