/**
 * The extension as a user drives it: code-server in headless Chromium, every PXP command from the palette, bad
 * input through the UI (a broken model.json, a data folder that went missing, a cancelled run), screenshots of the
 * sidebar in the dark and light themes (test-results/), and no Content-Security-Policy violation in the console.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { type CodeServer, REPO, startCodeServer } from '../harness/code-server';
import {
  type Workbench,
  answerQuickInput,
  findFrameByTitle,
  openWorkbench,
  runCommand,
  setTheme,
  waitForNotification,
} from '../harness/workbench';

const RESULTS = path.join(REPO, 'test-results');

describe('PXP in the editor (palette, sidebar, notifications)', function () {
  let ws: string;
  let server: CodeServer;
  let wb: Workbench;
  let page: Page;
  const runs = () =>
    fs.existsSync(path.join(ws, '.pxp', 'runs')) ? fs.readdirSync(path.join(ws, '.pxp', 'runs')).sort() : [];
  const newRuns = (before: string[]) => runs().filter((r) => !before.includes(r));
  /** Waits for a tree row whose accessible label (the run folder or job title, then its figures or status) matches. */
  const rowLabelled = (pattern: RegExp) =>
    page.waitForFunction(
      ({ source, flags }) =>
        Array.from(document.querySelectorAll('.monaco-list-row')).some((r) =>
          new RegExp(source, flags).test(r.getAttribute('aria-label') ?? ''),
        ),
      { source: pattern.source, flags: pattern.flags },
      { timeout: 30_000 },
    );
  const pxpLog = () => server.readLogs(/PXP Studio/);

  async function waitForRun(before: string[], prefix: string, timeoutMs = 120_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const added = newRuns(before).filter((r) => r.startsWith(prefix) && !r.startsWith('.'));
      if (added.length) return path.join(ws, '.pxp', 'runs', added[0]);
      await page.waitForTimeout(500);
    }
    throw new Error(`no ${prefix} run folder within ${timeoutMs} ms; log:\n${pxpLog().slice(-2000)}`);
  }

  async function showSidebar(): Promise<void> {
    const icon = page.locator('.activitybar [aria-label^="PXP"]').first();
    await icon.waitFor({ state: 'visible', timeout: 30_000 });
    const selected = await icon.evaluate((e) => e.closest('.action-item')?.classList.contains('checked') ?? false);
    if (!selected) await icon.click();
    await page.locator('.pane-header', { hasText: 'Runs' }).first().waitFor({ timeout: 15_000 });
  }

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-ui-'));
    fs.cpSync(path.join(REPO, 'examples', 'fashion-mnist'), ws, { recursive: true });
    fs.mkdirSync(RESULTS, { recursive: true });
    server = await startCodeServer(ws, { settings: { 'pxp.evalLimit': 200, 'workbench.colorTheme': 'Dark Modern' } });
    wb = await openWorkbench(server, ws);
    page = wb.page;
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      const name = (this.currentTest.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60) || 'failure').toLowerCase();
      await page.screenshot({ path: path.join(RESULTS, `ui-failed-${name}.png`) }).catch(() => undefined);
      await page.keyboard.press('Escape').catch(() => undefined);
    }
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (ws) fs.rmSync(ws, { recursive: true, force: true });
  });

  it('activates, shows the sidebar with the demo model and its parameters and input shape, and PXP: Show Log opens the log', async () => {
    await showSidebar();
    await page
      .locator('.pane', { has: page.locator('.pane-header', { hasText: 'Models' }) })
      .getByText('model', { exact: true })
      .first()
      .waitFor({ timeout: 30_000 });
    // Expanding a model reads its figures from the engine's info method.
    await page
      .locator('.pane', { has: page.locator('.pane-header', { hasText: 'Models' }) })
      .locator('.monaco-list-row', { hasText: 'model/model.json' })
      .first()
      .locator('.monaco-tl-twistie')
      .click();
    await page
      .locator('.monaco-list-row', { hasText: 'parameters' })
      .filter({ hasText: '110,266' })
      .first()
      .waitFor({ timeout: 60_000 });
    await page
      .locator('.monaco-list-row', { hasText: 'input' })
      .filter({ hasText: '28 × 28 × 1' })
      .first()
      .waitFor({ timeout: 10_000 });
    await page.keyboard.press('Escape');
    await runCommand(page, 'PXP: Show Log');
    await page.locator('.output-view, .panel').first().waitFor({ timeout: 15_000 });
    assert.match(pxpLog(), /PXP Studio activated \(workspace trusted\)/);
  });

  it('PXP: Select Backend… starts the engine on the chosen backend', async () => {
    await runCommand(page, 'PXP: Select Backend…');
    await answerQuickInput(page, /Engine backend/, 'wasm', { pick: 'wasm' });
    await waitForNotification(page, /the engine runs on wasm/);
    await page.locator('.statusbar-item', { hasText: 'PXP wasm' }).first().waitFor({ timeout: 15_000 });
  });

  it('PXP: Show Model Info… reports the model through the engine', async () => {
    await runCommand(page, 'PXP: Show Model Info…');
    await waitForNotification(
      page,
      /model\/model\.json: 110,266 parameters, input 28×28×1, 10 classes \(backend wasm\)/,
    );
  });

  it('PXP: Compute Relevance… writes a relevance run and lists it', async () => {
    const before = runs();
    await runCommand(page, 'PXP: Compute Relevance…');
    await answerQuickInput(page, /Data for model\/model\.json/, undefined, { pick: 'next to the model' });
    await answerQuickInput(page, /LRP composite/, 'epsilon-plus-flat', { pick: 'epsilon-plus-flat' });
    const dir = await waitForRun(before, 'relevance-');
    assert.ok(fs.existsSync(path.join(dir, 'components.json')));
    await showSidebar();
    await rowLabelled(new RegExp(`^${path.basename(dir)}: `));
  });

  it('PXP: Prune Model… (twice: a fraction, an accuracy budget) writes prune runs with figures in the Runs view', async () => {
    for (const [criterion, target] of [
      ['lrp:epsilon-plus-flat', '0.25'],
      ['weight', '2pt'],
    ]) {
      const before = runs();
      await runCommand(page, 'PXP: Prune Model…');
      await answerQuickInput(page, /Data for model\/model\.json/, undefined, { pick: 'last used' });
      await answerQuickInput(page, /Pruning criterion/, criterion, { pick: criterion });
      await answerQuickInput(page, /What to remove physically/, target);
      const dir = await waitForRun(before, 'prune-');
      await rowLabelled(new RegExp(`^${path.basename(dir)}: AUC 0\\.\\d{3} · `));
      const physical = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')).physical;
      if (target === '2pt') assert.equal(physical.chosenBy.maxDropPoints, 2);
      else assert.equal(physical.rate, 0.25);
    }
  });

  it('PXP: Open Run… opens the run in a panel', async () => {
    await runCommand(page, 'PXP: Open Run…');
    await answerQuickInput(page, /Run to open/, 'prune-', { pick: 'prune-' });
    await page
      .locator('.tab', { hasText: /prune-/ })
      .first()
      .waitFor({ timeout: 30_000 });
  });

  it('PXP: Compare Runs… compares two prune runs', async () => {
    const before = runs();
    await runCommand(page, 'PXP: Compare Runs…');
    await page.waitForFunction(() =>
      /Runs to compare/.test(
        (document.querySelector('.quick-input-widget input.input') as HTMLInputElement | null)?.placeholder ?? '',
      ),
    );
    await page.locator('.quick-input-widget input.input').fill('prune-');
    // Clicking a row of a multi-select pick toggles it.
    const rows = page.locator('.quick-input-list .monaco-list-row', { hasText: 'prune-' });
    await rows.nth(1).waitFor({ state: 'visible' });
    await rows.nth(0).click();
    await rows.nth(1).click();
    await page.locator('.quick-input-widget input.input').press('Enter');
    await waitForNotification(page, /best prune-/);
    assert.equal(newRuns(before).filter((r) => r.startsWith('compare-')).length, 1);
  });

  it('PXP: Export Pruned Model… writes the pruned model into a new folder', async () => {
    await runCommand(page, 'PXP: Export Pruned Model…');
    await answerQuickInput(page, /Prune run to export/, undefined, { pick: 'prune-' });
    await answerQuickInput(page, /Folder for the pruned model/);
    await waitForNotification(page, /exported the pruned model to exported\/prune-/);
    const exported = fs.readdirSync(path.join(ws, 'exported'));
    assert.equal(exported.length, 1);
    assert.ok(fs.existsSync(path.join(ws, 'exported', exported[0], 'model.json')));
  });

  it('PXP: Cancel stops a running search: a clear notification, "cancelled" in the Runs view, nothing written', async () => {
    const before = runs();
    await runCommand(page, 'PXP: Optimize Attribution…');
    // The exported model is a second model.json in the workspace now.
    await answerQuickInput(page, /Choose a model \(tfjs model\.json or ONNX\)/, 'model/model.json', {
      pick: 'model/model.json',
    });
    await answerQuickInput(page, /Data for model\/model\.json/, undefined, { pick: 'last used' });
    await answerQuickInput(page, /Search trials/, '50');
    await page
      .locator('.statusbar-item', { hasText: /optimize attribution/ })
      .first()
      .waitFor({ timeout: 60_000 });
    await page.waitForTimeout(3000);
    await runCommand(page, 'PXP: Cancel');
    await waitForNotification(page, /cancelled; nothing was written/);
    await rowLabelled(/^optimize attribution.*: cancelled$/);
    // The Search panel that followed it says the folder is gone, instead of waiting for a first trial forever.
    await page
      .locator('.tab', { hasText: /Search: search-/ })
      .first()
      .click();
    const panel = await findFrameByTitle(page, /^Search: search-/);
    await panel.getByText(/is gone: the search was cancelled or failed/).waitFor({ timeout: 10_000 });
    await page.waitForTimeout(1000);
    assert.deepEqual(newRuns(before), []);
  });

  it('a broken model.json fails with a clear error, the Runs view shows the failure, nothing is written', async () => {
    const broken = path.join(ws, 'broken');
    fs.mkdirSync(broken);
    fs.cpSync(path.join(ws, 'reference'), path.join(broken, 'reference'), { recursive: true });
    fs.cpSync(path.join(ws, 'test'), path.join(broken, 'test'), { recursive: true });
    fs.writeFileSync(
      path.join(broken, 'model.json'),
      '{"format": "layers-model", "modelTopology": {"class_name": "Sequential"',
    );
    const before = runs();
    await runCommand(page, 'PXP: Prune Model…');
    await answerQuickInput(page, /Choose a model \(tfjs model\.json or ONNX\)/, 'broken', {
      pick: 'broken/model.json',
    });
    await answerQuickInput(page, /Data for broken\/model\.json/, undefined, { pick: 'next to the model' });
    await answerQuickInput(page, /Pruning criterion/, 'weight', { pick: 'weight' });
    await answerQuickInput(page, /What to remove physically/, '0');
    const text = await waitForNotification(page, /prune broken by weight failed: .*model\.json/);
    assert.match(text, /broken\/model\.json/);
    await rowLabelled(/^prune broken by weight: failed$/);
    assert.deepEqual(newRuns(before), []);
  });

  it('a data folder that went missing fails with an error naming it, before any work', async () => {
    const m2 = path.join(ws, 'second');
    fs.mkdirSync(m2);
    for (const f of ['model.json', 'weights.bin']) fs.copyFileSync(path.join(ws, 'model', f), path.join(m2, f));
    fs.cpSync(path.join(ws, 'reference'), path.join(m2, 'reference'), { recursive: true });
    fs.cpSync(path.join(ws, 'test'), path.join(m2, 'test'), { recursive: true });
    // Pick the data once (remembered for this model), then stop at the criterion.
    await runCommand(page, 'PXP: Prune Model…');
    await answerQuickInput(page, /Choose a model \(tfjs model\.json or ONNX\)/, 'second', {
      pick: 'second/model.json',
    });
    await answerQuickInput(page, /Data for second\/model\.json/, undefined, { pick: 'next to the model' });
    await page.waitForFunction(() =>
      /Pruning criterion/.test(
        (document.querySelector('.quick-input-widget input.input') as HTMLInputElement | null)?.placeholder ?? '',
      ),
    );
    await page.keyboard.press('Escape');
    fs.rmSync(path.join(m2, 'reference'), { recursive: true });
    const before = runs();
    await runCommand(page, 'PXP: Prune Model…');
    await answerQuickInput(page, /Choose a model \(tfjs model\.json or ONNX\)/, 'second', {
      pick: 'second/model.json',
    });
    await answerQuickInput(page, /Data for second\/model\.json/, undefined, { pick: 'last used' });
    await waitForNotification(page, /the reference folder .*second\/reference does not exist/);
    assert.deepEqual(newRuns(before), []);
  });

  it('screenshots of the sidebar in the dark and light themes', async () => {
    await page.keyboard.press('Escape');
    // The workbench shot shows a prune run's Architecture diff beside the sidebar, not the last command's panel.
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'PXP: Open Run…');
    await answerQuickInput(page, /Run to open/, 'prune-lrp', { pick: 'prune-lrp' });
    await page
      .locator('.tab', { hasText: /Architecture diff: prune-lrp/ })
      .first()
      .waitFor({ timeout: 30_000 });
    await showSidebar();
    await page.waitForTimeout(1000);
    // One run opened to its figures, as a user would to read them all.
    await page.locator('.monaco-list-row[aria-label^="prune-"] .monaco-tl-twistie').first().click();
    await page
      .locator('.monaco-list-row', { hasText: /accuracy\s*\d/ })
      .first()
      .waitFor({ timeout: 10_000 });
    await page.locator('.part.sidebar').screenshot({ path: path.join(RESULTS, 'sidebar-dark.png') });
    await setTheme(page, 'Light Modern');
    await showSidebar();
    await page.waitForTimeout(1000);
    await page.locator('.part.sidebar').screenshot({ path: path.join(RESULTS, 'sidebar-light.png') });
    await page.screenshot({ path: path.join(RESULTS, 'workbench-light.png') });
    for (const f of ['sidebar-dark.png', 'sidebar-light.png'])
      assert.ok(fs.statSync(path.join(RESULTS, f)).size > 5000, f);
    // Issue 17 item 8: at the default width no run or job row cuts its label (the figure or the status).
    const cut = await page.evaluate(() => {
      const pane = Array.from(document.querySelectorAll('.pane')).find((p) =>
        /Runs/.test(p.querySelector('.pane-header')?.textContent ?? ''),
      );
      const rows = Array.from(pane?.querySelectorAll('.monaco-list-row') ?? []);
      return {
        rows: rows.length,
        width: document.querySelector('.part.sidebar')?.getBoundingClientRect().width ?? 0,
        cut: rows
          .filter((r) => {
            const name = r.querySelector('.label-name')?.getBoundingClientRect();
            const box = r.querySelector('.monaco-icon-label-container')?.getBoundingClientRect();
            return !name || !box || name.right > box.right + 0.5;
          })
          .map((r) => r.getAttribute('aria-label')),
      };
    });
    assert.ok(cut.rows >= 5, `the Runs view lists the backend, runs and jobs (${cut.rows} rows)`);
    assert.deepEqual(cut.cut, [], `rows whose label is cut at a ${cut.width} px sidebar`);
  });

  it('the console shows no Content-Security-Policy violation', () => {
    assert.deepEqual(wb.cspViolations(), []);
  });
});

describe('PXP in an editor with no model (welcome view)', () => {
  let ws: string;
  let server: CodeServer;
  let wb: Workbench;

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-ui-empty-'));
    fs.writeFileSync(path.join(ws, 'notes.txt'), 'no model here\n');
    server = await startCodeServer(ws, { settings: { 'workbench.colorTheme': 'Dark Modern' } });
    wb = await openWorkbench(server, ws);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (ws) fs.rmSync(ws, { recursive: true, force: true });
  });

  it('offers to open the Fashion-MNIST demo', async () => {
    const page = wb.page;
    await runCommand(page, 'PXP: Refresh Runs');
    const icon = page.locator('.activitybar [aria-label^="PXP"]').first();
    await icon.waitFor({ state: 'visible', timeout: 30_000 });
    if (!(await icon.evaluate((e) => e.closest('.action-item')?.classList.contains('checked') ?? false)))
      await icon.click();
    await page
      .locator('.welcome-view-content', { hasText: 'No model in this workspace' })
      .first()
      .waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Open the Fashion-MNIST demo' }).first().waitFor({ timeout: 10_000 });
    await page.locator('.part.sidebar').screenshot({ path: path.join(RESULTS, 'sidebar-welcome-dark.png') });
    assert.deepEqual(wb.cspViolations(), []);
  });
});
