/**
 * A panel in plain Chromium, without VS Code: a local HTTP server gives dist/webview/ and the panel document built by
 * the same `panelDocument` (same CSP), plus a stand-in `acquireVsCodeApi` that answers `ready` with the given host
 * messages and records what the panel posts. Theme variables are a small copy of VS Code's light or dark ones.
 * For fast checks of the webview code; the code-server tests check the real thing.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { panelDocument } from '../../../src/extension/panels/panel-document';
import type { PanelKind, ToWebview } from '../../../src/protocol/webview';

const ROOT = path.resolve(__dirname, '..', '..', '..');

const THEMES = {
  light: {
    '--vscode-font-family': 'system-ui, sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-foreground': '#3b3b3b',
    '--vscode-editor-background': '#ffffff',
    '--vscode-descriptionForeground': '#717171',
    '--vscode-panel-border': '#e5e5e5',
    '--vscode-textLink-foreground': '#005fb8',
    '--vscode-editorWidget-background': '#f8f8f8',
    '--vscode-list-hoverBackground': '#f2f2f2',
    '--vscode-list-inactiveSelectionBackground': '#e4e6f1',
    '--vscode-charts-blue': '#1a85ff',
    '--vscode-charts-red': '#e51400',
    '--vscode-charts-green': '#388a34',
  },
  dark: {
    '--vscode-font-family': 'system-ui, sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-foreground': '#cccccc',
    '--vscode-editor-background': '#1f1f1f',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-panel-border': '#2b2b2b',
    '--vscode-textLink-foreground': '#4daafc',
    '--vscode-editorWidget-background': '#202020',
    '--vscode-list-hoverBackground': '#2a2d2e',
    '--vscode-list-inactiveSelectionBackground': '#37373d',
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-charts-green': '#89d185',
  },
};

export interface MockPanel {
  url: string;
  close(): Promise<void>;
}

export async function serveMockPanel(
  kind: PanelKind,
  messages: ToWebview[],
  theme: 'light' | 'dark',
): Promise<MockPanel> {
  const nonce = 'bW9jay1ub25jZQ';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/') {
      const origin = `http://${req.headers.host}`;
      let html = panelDocument({
        cspSource: origin,
        nonce,
        scriptUri: `${origin}/dist/webview/${kind}.js`,
        styleUri: `${origin}/dist/webview/${kind}.css`,
        title: `mock ${kind}`,
        state: { kind, runDir: '/mock' },
      });
      const vars = Object.entries(THEMES[theme])
        .map(([k, v]) => `${k}:${v}`)
        .join(';');
      const mock = `<style nonce="${nonce}">html{${vars}}</style><script nonce="${nonce}">
window.__posted = [];
window.__messages = ${JSON.stringify(messages).replace(/</g, '\\u003c')};
window.__state = undefined;
window.acquireVsCodeApi = () => ({
  postMessage(m) { window.__posted.push(m); if (m && m.type === 'ready') for (const x of window.__messages) setTimeout(() => window.postMessage(x, '*'), 0); },
  getState() { return window.__state; },
  setState(s) { window.__state = s; },
});
</script>`;
      html = html.replace('</head>', `${mock}</head>`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
      return;
    }
    const file = path.join(ROOT, path.normalize(url.pathname));
    if (!file.startsWith(path.join(ROOT, 'dist', 'webview')) || !fs.existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, {
      'content-type': file.endsWith('.js')
        ? 'text/javascript'
        : file.endsWith('.css')
          ? 'text/css'
          : 'application/octet-stream',
    });
    res.end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
