/**
 * Results in the Python source as a user sees them: a prune run of a verbose export of a torchvision-style model.py,
 * the file opened from Quick Open, its CodeLens and the hover drawn by the workbench, the notes of PXP: Show Results
 * in Source; screenshots in test-results/ (source-*.png).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { type CodeServer, REPO, startCodeServer } from '../harness/code-server';
import { type Workbench, answerQuickInput, findFrameByTitle, openWorkbench, runCommand } from '../harness/workbench';
import { SOURCE_MAP_MODEL_PY, type SourceMapTruth, sourceMapFixtures } from '../../helpers/source-map-fixtures';

const RESULTS = path.join(REPO, 'test-results');

describe('results in the Python source (code-server)', function () {
  let ws: string;
  let server: CodeServer;
  let wb: Workbench;
  let page: Page;
  let truth: SourceMapTruth;

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-ui-src-'));
    const fx = sourceMapFixtures();
    truth = fx.truth;
    fs.copyFileSync(SOURCE_MAP_MODEL_PY, path.join(ws, 'model.py'));
    fs.copyFileSync(path.join(fx.dir, 'verbose.onnx'), path.join(ws, 'model.onnx'));
    // The run, as Prune Model writes it (the CLI is the engine's own command).
    execFileSync(
      process.execPath,
      [
        path.join(REPO, 'dist', 'cli.js'),
        'prune',
        '--model',
        path.join(ws, 'model.onnx'),
        '--reference',
        fx.dir,
        '--eval',
        fx.dir,
        '--rates',
        '0,0.3',
        '--rate',
        '0.3',
        '--source-roots',
        ws,
        '--out',
        path.join(ws, '.pxp', 'runs', 'prune-20261206-120000'),
        '--quiet',
      ],
      { stdio: 'inherit' },
    );
    fs.mkdirSync(RESULTS, { recursive: true });
    server = await startCodeServer(ws, {
      settings: { 'workbench.colorTheme': 'Dark Modern', 'editor.minimap.enabled': false },
    });
    wb = await openWorkbench(server, ws, { viewport: { width: 1400, height: 900 } });
    page = wb.page;
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page)
      await page.screenshot({ path: path.join(RESULTS, 'source-failed.png') }).catch(() => undefined);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (ws) fs.rmSync(ws, { recursive: true, force: true });
  });

  it('model.py shows a CodeLens per component above its definition, and the notes on pruned modules', async () => {
    await runCommand(page, 'Go to File');
    await answerQuickInput(page, 'model.py', { pick: 'model.py' });
    const lens = page.locator('.codelens-decoration', { hasText: 'stem.0 · 8' }).first();
    await lens.waitFor({ timeout: 60_000 });
    assert.match((await lens.textContent()) ?? '', /stem\.0 · 8( → \d+)? channels · \d+\.\d % of the relevance/);
    await page.locator('.codelens-decoration', { hasText: 'layer1.0.conv1 · 8' }).first().waitFor({ timeout: 10_000 });
    await runCommand(page, 'PXP: Show Results in Source');
    await page
      .locator('.view-lines')
      .getByText('✂')
      .first()
      .waitFor({ timeout: 15_000 })
      .catch(() => undefined);
    await page.waitForTimeout(500);
    await page.locator('.part.editor').screenshot({ path: path.join(RESULTS, 'source-codelens.png') });
  });

  it('a hover on a definition shows the relevance of each channel, the rule and the removed channels', async () => {
    // The definition line of stem.0 holds `nn.Conv2d(3, width, …)`: hover its text.
    const line = truth.modules['stem.0'].built!;
    await page.keyboard.press('Control+G');
    await page.keyboard.type(String(line));
    await page.keyboard.press('Enter');
    const target = page.locator('.view-line', { hasText: 'nn.Conv2d(3, width' }).first();
    await target.waitFor({ timeout: 10_000 });
    await target.hover({ position: { x: 120, y: 5 } });
    const hover = page.locator('.monaco-hover', { hasText: 'PXP' }).first();
    await hover.waitFor({ timeout: 15_000 });
    const text = (await hover.textContent()) ?? '';
    assert.match(text, /stem\.0/);
    assert.match(text, /LRP rule: /);
    assert.match(text, /relevance per channel \(0…7\)/);
    await page.locator('.part.editor').screenshot({ path: path.join(RESULTS, 'source-hover.png') });
  });

  it('model.onnx opens in the PXP model view: component groups, layers, shapes, MACs and the run overlaid', async () => {
    await runCommand(page, 'Go to File');
    await answerQuickInput(page, 'model.onnx', { pick: 'model.onnx' });
    const frame = await findFrameByTitle(page, 'model.onnx — PXP model view', 60_000);
    await frame.locator('tr', { hasText: 'stem.0' }).first().waitFor({ timeout: 60_000 });
    const row = (await frame.locator('tr', { hasText: 'layer1.0.conv1' }).first().textContent()) ?? '';
    assert.match(row, /layer1\.0\.conv1Conv8 × 32 × 32584589,8248( → \d+)?\d+\.\d %/);
    // The component groups: model.py's residual stages, and the group column beside a tied layer.
    const group = (await frame.locator('table.groups tr', { hasText: 'G1' }).first().textContent()) ?? '';
    assert.match(group, /G18 channelsresidual addstem\.0, layer1\.0\.conv2, layer1\.1\.conv2/);
    const tiedRow = (await frame.locator('tr', { hasText: 'layer2.0.downsample.0' }).last().textContent()) ?? '';
    assert.match(tiedRow, /layer2\.0\.downsample\.0Conv.*G2/);
    await page.waitForTimeout(300);
    await page.locator('.part.editor').screenshot({ path: path.join(RESULTS, 'source-onnx-view.png') });
  });
});
