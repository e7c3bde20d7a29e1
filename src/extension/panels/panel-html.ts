/**
 * The HTML shell of every PXP panel: a strict Content-Security-Policy with a per-load nonce (after
 * vscode-extension-samples' webview-sample), the panel's bundle from dist/webview/, and the panel's saved state in a
 * data attribute so the script can hand it to `setState` (the serializer needs it to reopen the panel after a reload).
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { PanelKind, PanelState } from '../../protocol/webview';

export function makeNonce(): string {
  return randomBytes(18).toString('base64');
}

const escapeAttr = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * Only our bundle runs (script nonce); styles come from our CSS file or from Lit's constructable stylesheets
 * (adoptedStyleSheets are not subject to style-src); images are data: URIs (heatmaps) or files under dist/ and media/.
 */
export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, kind: PanelKind, title: string, state: PanelState): string {
  const nonce = makeNonce();
  const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', file)).toString();
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${nonce}" href="${asset(`${kind}.css`)}">
<title>${escapeAttr(title)}</title>
</head>
<body data-state="${escapeAttr(JSON.stringify(state))}">
<main id="app" aria-busy="true"><p class="loading">Reading the run folder…</p></main>
<script type="module" nonce="${nonce}" src="${asset(`${kind}.js`)}"></script>
</body>
</html>`;
}

/** Scripts on; resources only from the extension's dist/ and media/ (heatmaps travel as data: URIs, not file reads). */
export function panelOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}
