/**
 * The HTML document of a PXP panel, as a pure function (no vscode import) so the plain-browser UI tests load the
 * very same shell and CSP the editor does. The strict policy: only our bundle runs (script nonce); styles come from
 * our CSS file or from Lit's constructable stylesheets (adoptedStyleSheets are not subject to style-src); images are
 * data: URIs (heatmaps) or files from the webview's resource roots; nothing is fetched from the network.
 */
import type { PanelState } from '../../protocol/webview';

export interface PanelDocumentSpec {
  /** webview.cspSource */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  title: string;
  state: PanelState;
}

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function panelDocument(spec: PanelDocumentSpec): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(spec.cspSource, spec.nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${spec.nonce}" href="${escapeHtml(spec.styleUri)}">
<title>${escapeHtml(spec.title)}</title>
</head>
<body data-state="${escapeHtml(JSON.stringify(spec.state))}">
<main id="app" aria-busy="true"><p class="loading">Reading the run folder…</p></main>
<script type="module" nonce="${spec.nonce}" src="${escapeHtml(spec.scriptUri)}"></script>
</body>
</html>`;
}
