/**
 * The panels' webview code in plain Chromium, without VS Code (mock-webview.ts): what the code-server tests cannot
 * easily provoke — host messages that are malformed, trials appended one by one, a heatmap asked for and answered.
 * Same bundle, same document and CSP as in the editor.
 */
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { ToWebview } from '../../../src/protocol/webview';
import { readDiffView } from '../../../src/views/diff-view';
import { readRelevanceView } from '../../../src/views/relevance-view';
import { readSearchSnapshot } from '../../../src/views/search-view';
import { demoRuns } from '../../unit/views/demo-runs';
import { launchBrowser } from '../harness/workbench';
import { type MockPanel, serveMockPanel } from './mock-webview';

describe('panel webviews in plain Chromium', function () {
  this.timeout(300_000);
  let browser: Browser;
  const open: MockPanel[] = [];

  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await Promise.all(open.map((m) => m.close()));
  });

  async function panel(
    kind: 'relevance' | 'search' | 'diff',
    messages: ToWebview[],
    viewport?: { width: number; height: number },
  ): Promise<{ page: Page; console: string[] }> {
    const mock = await serveMockPanel(kind, messages, 'dark');
    open.push(mock);
    const page = await browser.newPage(viewport ? { viewport } : undefined);
    const console: string[] = [];
    page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
    await page.goto(mock.url);
    return { page, console };
  }

  const send = (page: Page, m: unknown) => page.evaluate((x) => window.postMessage(x, '*'), m);

  it('at a 900 px editor width the diff and relevance tables need no sideways scroll, numbers in k/M in every row (issue 17 item 10)', async () => {
    const { pruned, attribution } = demoRuns();
    for (const [kind, view] of [
      ['diff', readDiffView(pruned)],
      ['relevance', readRelevanceView(attribution)],
    ] as const) {
      const { page } = await panel(kind, [{ type: 'show', view } as ToWebview], { width: 900, height: 900 });
      await page.waitForSelector('.table-scroll table');
      const widths = await page
        .locator('.table-scroll')
        .first()
        .evaluate((e) => ({ scroll: e.scrollWidth, client: e.clientWidth }));
      assert.ok(widths.scroll <= widths.client + 1, `${kind}: table ${widths.scroll} px in ${widths.client} px`);
      if (kind === 'diff') {
        const params = await page.locator('tr[data-layer-row] td:nth-child(6)').allTextContents();
        assert.ok(
          params.length > 0 && params.every((t) => /^[\d.]+( [kM])? → [\d.]+( [kM])?$/.test(t.trim())),
          params.join(' | '),
        );
      }
      await page.close();
    }
  });

  it('the diff claims no speed-up when nothing was removed (two timings of the same model)', async () => {
    const { pruned } = demoRuns();
    const view = readDiffView(pruned);
    const same = {
      ...view,
      summary: { ...view.summary, components: { ...view.summary.components, removed: 0 }, timesFaster: 1.13 },
    };
    const { page } = await panel('diff', [{ type: 'show', view: same } as ToWebview]);
    await page.waitForSelector('.headline');
    const headline = (await page.locator('.headline').textContent()) ?? '';
    assert.match(headline, /unchanged/);
    assert.doesNotMatch(headline, /1\.13× faster/);
    await page.close();
  });

  it('drops malformed host messages and shows the first valid one', async () => {
    const { search } = demoRuns();
    const { view } = readSearchSnapshot(search);
    const { page, console } = await panel('search', [
      { ...({ type: 'show', view: { ...view, status: 'paused' } } as unknown as ToWebview) },
      { type: 'show', view },
    ]);
    await page.waitForSelector('h1');
    assert.equal(await page.locator('tr[data-trial]').count(), view.trials.length);
    assert.ok(
      console.some((l) => l.includes('dropped a malformed message')),
      console.join('\n'),
    );
    // A message that is not a protocol message changes nothing.
    await send(page, { type: 'show', view: { kind: 'search', title: '<img src=x onerror=alert(1)>' } });
    await page.waitForTimeout(200);
    assert.equal(await page.locator('tr[data-trial]').count(), view.trials.length);
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(
      await page.evaluate(() => (window as unknown as { __state: { kind: string } }).__state.kind),
      'search',
      'the panel saved its state for restore',
    );
  });

  it('adds appended trials live, keeping the chosen table order, and moves the best-so-far', async () => {
    const { search } = demoRuns();
    const real = readSearchSnapshot(search).view;
    // AUCs chosen so that "by AUC" and "newest first" (the default order) differ.
    const aucs = [0.3, 0.45, 0.2];
    const view = {
      ...real,
      trials: real.trials.slice(0, 3).map((t, i) => ({ ...t, auc: aucs[i] })),
      bestSoFar: [0.3, 0.45, 0.45],
    };
    const first = {
      ...view,
      status: 'running' as const,
      trials: view.trials.slice(0, 1),
      bestSoFar: view.bestSoFar.slice(0, 1),
      comparison: undefined,
      best: undefined,
      trialsWanted: undefined,
    };
    const { page } = await panel('search', [{ type: 'show', view: first }]);
    await page.waitForSelector('[data-status="running"]');
    assert.equal(await page.locator('[data-figure="trials so far"] .v').textContent(), '1');
    await page.locator('th', { hasText: 'AUC' }).click();
    await send(page, {
      type: 'trialsAppended',
      trials: view.trials.slice(1),
      bestSoFar: view.bestSoFar,
      importance: view.importance,
    });
    await page.waitForFunction((n) => document.querySelectorAll('tr[data-trial]').length === n, view.trials.length);
    assert.equal(await page.locator('[data-figure="trials so far"] .v').textContent(), String(view.trials.length));
    const best = view.trials.reduce((b, t) => (t.auc > b.auc ? t : b));
    assert.equal(await page.locator('[data-figure="best AUC"] .v').textContent(), best.auc.toFixed(4));
    // Still sorted by AUC, highest first, after the re-render.
    const order = await page
      .locator('tr[data-trial]')
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-trial'))));
    assert.deepEqual(order, [1, 0, 2]);
    assert.equal(best.number, 1);
  });

  it('asks the host for the heatmap of a sample without a PNG, and shows the answer', async () => {
    const { attribution } = demoRuns();
    const view = readRelevanceView(attribution);
    const { page } = await panel('relevance', [{ type: 'show', view }]);
    await page.waitForSelector('h1');
    await page.locator('vscode-single-select#sample').click();
    await page
      .locator('vscode-single-select#sample')
      .getByRole('option', { name: /^sample 30 \(/ })
      .first()
      .click();
    await page.waitForFunction(() =>
      (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'requestHeatmap'),
    );
    const posted = await page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);
    assert.deepEqual(
      posted.filter((m) => (m as { type: string }).type === 'requestHeatmap'),
      [{ type: 'requestHeatmap', sample: 30 }],
    );
    const png = view.samples[0].heatmap!;
    await send(page, { type: 'heatmap', sample: 30, heatmap: png });
    await page.locator('img.heatmap.drawn').waitFor();
    assert.equal(await page.locator('img.heatmap.drawn').getAttribute('src'), png);
    // The per-layer table now shows sample 30's relevance, not the mean.
    const sum = view.layers[0].perSample![30].reduce((a, v) => a + v, 0);
    const shown = Number(await page.locator('tr[data-layer-row] td.col-sum').first().textContent());
    assert.ok(Math.abs(shown - sum) <= Math.abs(sum) * 1e-3, `${shown} vs ${sum}`);
  });
});
