import assert from 'node:assert/strict';
import { page } from '../../../src/core/report/html-page';
import { openReportUri, reportCsp, reportDocument } from '../../../src/extension/panels/report-document';

describe('reports inside the editor: the page a report webview shows', () => {
  const html = page('Search run', [
    '<p><a href="report.html">Its pruning curve</a> · <a href="../prune-a/report.html#curves">another run</a> · <a href="https://arxiv.org/abs/2408.12568">the paper</a> · <a href="#top">top</a> · <a href="run.json">run.json</a></p>',
    '<svg><text fill="currentColor">x</text></svg>',
  ]);
  const doc = reportDocument(html, {
    cspSource: 'https://file+.vscode-resource.test',
    nonce: 'N0nce',
    file: '/ws/.pxp/runs/search-1/search.html',
    linkTo: (f) => `open:${f}`,
  });

  it('has a CSP that allows no script, its styles by nonce only and images from the run folder or data:', () => {
    assert.equal(reportCsp('SRC', 'N'), "default-src 'none'; style-src 'nonce-N'; img-src SRC data:");
    assert.ok(
      doc.includes(
        `<meta http-equiv="Content-Security-Policy" content="${reportCsp('https://file+.vscode-resource.test', 'N0nce')}">`,
      ),
    );
    assert.ok(doc.indexOf('Content-Security-Policy') < doc.indexOf('<style'), 'the policy comes before any style');
    const styles = doc.match(/<style[^>]*>/g)!;
    assert.equal(styles.length, 2, "the page's own style and the theme colours");
    assert.ok(styles.every((s) => s === '<style nonce="N0nce">'));
    assert.ok(!/<script/i.test(doc));
  });

  it("takes its colours from the editor theme, after the page's own light/dark rules", () => {
    const own = doc.indexOf('@media (prefers-color-scheme:dark)');
    const theme = doc.indexOf('--fg:var(--vscode-foreground)');
    assert.ok(own > 0 && theme > own);
  });

  it('turns links to other reports into links that open them in the editor; leaves the others', () => {
    assert.ok(doc.includes('<a href="open:/ws/.pxp/runs/search-1/report.html">Its pruning curve</a>'));
    assert.ok(doc.includes('<a href="open:/ws/.pxp/runs/prune-a/report.html">another run</a>'));
    for (const kept of ['https://arxiv.org/abs/2408.12568', '#top', 'run.json'])
      assert.ok(doc.includes(`href="${kept}"`), kept);
  });

  it('opens a report through the pxp.openReport command with the file as its one argument', () => {
    const uri = openReportUri('/ws/a b/report.html');
    assert.ok(uri.startsWith('command:pxp.openReport?'));
    assert.deepEqual(JSON.parse(decodeURIComponent(uri.slice('command:pxp.openReport?'.length))), [
      '/ws/a b/report.html',
    ]);
    assert.ok(!/["\s]/.test(uri), 'safe inside an attribute');
  });
});
