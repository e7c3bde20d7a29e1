import assert from 'node:assert/strict';
import { contentSecurityPolicy, panelDocument } from '../../../src/extension/panels/panel-document';

describe('panel HTML document', () => {
  const spec = {
    cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
    nonce: 'abc123',
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/relevance.js',
    styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/relevance.css',
    title: 'Relevance: run <1>',
    state: { kind: 'relevance' as const, runDir: '/runs/"><script>alert(1)</script>' },
  };

  it('has a strict policy: nothing by default, scripts only with the nonce, no inline styles or eval, no network', () => {
    const csp = contentSecurityPolicy(spec.cspSource, spec.nonce);
    const directives = Object.fromEntries(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([k, ...v]) => [k, v]),
    );
    assert.deepEqual(directives['default-src'], ["'none'"]);
    assert.deepEqual(directives['script-src'], ["'nonce-abc123'"]);
    assert.deepEqual(directives['style-src'], [spec.cspSource, "'nonce-abc123'"]);
    assert.deepEqual(directives['img-src'], [spec.cspSource, 'data:']);
    assert.deepEqual(directives['font-src'], [spec.cspSource]);
    assert.ok(!/unsafe-inline|unsafe-eval|https?:\/\/\*|\*/.test(csp.replace(spec.cspSource, '')), csp);
  });

  it('loads only its bundle, with the nonce, and escapes the title and the saved state', () => {
    const html = panelDocument(spec);
    assert.ok(
      html.includes(
        `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(spec.cspSource, spec.nonce)}">`,
      ),
    );
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    assert.deepEqual(scripts, [`<script type="module" nonce="abc123" src="${spec.scriptUri}">`]);
    assert.ok(html.includes('<title>Relevance: run &lt;1&gt;</title>'));
    assert.ok(!html.includes('<script>alert(1)'), 'a run folder name cannot inject markup');
    const state = /data-state="([^"]*)"/
      .exec(html)![1]
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
    assert.deepEqual(JSON.parse(state), spec.state);
  });
});
