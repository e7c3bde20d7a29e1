import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { revealLayerInSource } from '../../src/extension/panels/reveal-layer';
import { pxpApi, waitFor, workspace } from './helpers';

/** test/fixtures/source-map/model.py and its verbose export, copied into the test workspace's pytorch/ folder. */
const dir = () => path.join(workspace(), 'pytorch');
const modelPy = () => path.join(dir(), 'model.py');
const onnx = () => path.join(dir(), 'model.onnx');
/** Python's own record of where each module was built (scripts/export-source-map-fixtures.py). */
const truth = () =>
  JSON.parse(fs.readFileSync(path.join(dir(), 'truth.json'), 'utf8')) as { modules: Record<string, { built: number }> };

const hoverText = (hovers: vscode.Hover[]) =>
  hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');

describe('Results in the Python source of a model from PyTorch', () => {
  let runDir: string;
  let map: { modules: Record<string, { file: string; definitionLine: number }> };

  before(async function () {
    this.timeout(600_000);
    runDir = (await vscode.commands.executeCommand('pxp.pruneModel', {
      model: onnx(),
      data: { reference: path.join(dir(), 'data'), eval: path.join(dir(), 'data') },
      criterion: 'lrp:epsilon-plus-flat',
      rate: 0.3,
      open: false,
    })) as string;
    assert.ok(runDir, 'Prune Model returned its run folder');
    map = JSON.parse(fs.readFileSync(path.join(runDir, 'source-map.json'), 'utf8'));
  });

  it('the run places its modules in the workspace model.py (the editor passed the workspace as a source root)', () => {
    for (const m of ['stem.0', 'layer1.0.conv1', 'layer2.0.downsample.0', 'classifier.3']) {
      assert.equal(map.modules[m]?.file, modelPy(), m);
      assert.equal(map.modules[m].definitionLine, truth().modules[m].built, m);
    }
  });

  it('CodeLens above each component definition, on the lines Python built them', async () => {
    const uri = vscode.Uri.file(modelPy());
    await vscode.workspace.openTextDocument(uri);
    const lenses = await waitFor('lenses on model.py', async () => {
      const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100);
      return l && l.length > 0 ? l : undefined;
    });
    const at = (line: number) =>
      lenses.filter((l) => l.range.start.line === line - 1).map((l) => l.command?.title ?? '');
    const stem = at(truth().modules['stem.0'].built);
    assert.equal(stem.length, 1, stem.join(' | '));
    assert.match(stem[0], /^stem\.0 · 8( → \d+)? channels · \d+\.\d % of the relevance$/);
    // conv1 of every block is built on one line: two lenses and a third for the rest.
    const conv1 = at(truth().modules['layer1.0.conv1'].built);
    assert.equal(conv1.length, 3, conv1.join(' | '));
    assert.match(conv1[0], /^layer1\.0\.conv1 · 8( → \d+)? channels · \d+\.\d % of the relevance$/);
    assert.match(conv1[2], /^\+2 more modules built here \(hover for each\)$/);
    const dense = at(truth().modules['classifier.0'].built);
    assert.match(dense[0], /^classifier\.0 · 32( → \d+)? neurons · \d+\.\d % of the relevance$/);
    // The output layer is no component: no lens.
    assert.deepEqual(at(truth().modules['classifier.3'].built), []);
  });

  it("a hover on a definition gives each channel's relevance, the LRP rule and the removed channels", async () => {
    const uri = vscode.Uri.file(modelPy());
    const line = truth().modules['stem.0'].built - 1;
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      uri,
      new vscode.Position(line, 12),
    );
    const text = hoverText(hovers);
    assert.match(text, /\*\*PXP\*\* — `stem\.0` \(Conv2d\)/);
    assert.match(text, /LRP rule: \S+/);
    assert.match(text, /relevance per channel \(0…7\)/);
    assert.match(text, /```\n[▁▂▃▄▅▆▇█]{8}(\n[ ×]{8})?\n```/);
    const run = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
    const removed: number[] | undefined = run.physical.removedComponents['stem.0'];
    if (removed) assert.ok(text.includes(`removed: ${removed.join(', ')}`), text);
    const none = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      uri,
      new vscode.Position(0, 3),
    );
    assert.equal(hoverText(none).includes('PXP'), false);
  });

  it('a layer clicked in a panel lands on its definition line in model.py, an unplaced one says why', async () => {
    const api = await pxpApi();
    assert.equal(
      await revealLayerInSource(runDir, 'layer2.0.downsample.0', vscode.ViewColumn.One, api.services.log),
      true,
    );
    const editor = vscode.window.activeTextEditor!;
    assert.equal(editor.document.uri.fsPath, modelPy());
    assert.equal(editor.selection.active.line + 1, truth().modules['layer2.0.downsample.0'].built);
    assert.match(editor.document.getText(editor.selection), /^nn\.Conv2d\(self\.inplanes, planes, kernel_size=1/);
    assert.equal(await revealLayerInSource(runDir, 'no.such.layer', vscode.ViewColumn.One, api.services.log), true);
    assert.equal(
      await revealLayerInSource(path.join(workspace(), 'model'), 'conv1', vscode.ViewColumn.One, api.services.log),
      false,
      'a folder without source-map.json falls back to model.json',
    );
  });

  it('PXP: Show Results in Source switches the notes on pruned modules on and off', async () => {
    const api = await pxpApi();
    await vscode.window.showTextDocument(vscode.Uri.file(modelPy()));
    assert.equal(await vscode.commands.executeCommand('pxp.showResultsInSource', true), true);
    const run = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
    const pruned = (
      run.physical.layers as { name: string; components?: { original: number; pruned: number } }[]
    ).filter((l) => l.components && l.components.pruned < l.components.original);
    assert.ok(pruned.length > 0);
    const notes = api.sourceLens.notes.get(modelPy()) ?? [];
    for (const l of pruned) {
      const note = notes.find((n) => n.line === truth().modules[l.name].built);
      assert.ok(
        note && note.text.includes(`${l.name} −${l.components!.original - l.components!.pruned}`),
        `${l.name}: ${JSON.stringify(notes)}`,
      );
    }
    assert.equal(await vscode.commands.executeCommand('pxp.showResultsInSource'), false);
    assert.deepEqual(api.sourceLens.notes.get(modelPy()), []);
    assert.equal(await vscode.commands.executeCommand('pxp.showResultsInSource'), true);
    assert.ok((api.sourceLens.notes.get(modelPy()) ?? []).length > 0);
  });

  it('a .onnx file opens in the read-only PXP model view, which the engine fills with its layers and component groups', async () => {
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(onnx()));
    const tab = await waitFor('the PXP model view tab', () => {
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return input instanceof vscode.TabInputCustom && input.uri.fsPath === onnx() ? input : undefined;
    });
    assert.equal(tab.viewType, 'pxp.onnxModel');
    const api = await pxpApi();
    const layers = await waitFor('the view drawn', () => api.onnxEditor.drawn.get(onnx()));
    assert.ok(layers.layers > 20, `${layers.layers} layers`);
    assert.equal(layers.run, path.basename(runDir));
    // model.py: each stage's blocks add their conv2 to the stage's input (the stem, or layer2.0's downsample).
    assert.deepEqual(layers.tied, [
      ['stem.0', 'layer1.0.conv2', 'layer1.1.conv2'],
      ['layer2.0.conv2', 'layer2.0.downsample.0', 'layer2.1.conv2'],
    ]);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('a new run of the model updates the lenses', async function () {
    this.timeout(600_000);
    const uri = vscode.Uri.file(modelPy());
    const before = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100))
      .map((l) => l.command?.title)
      .join('\n');
    const next = (await vscode.commands.executeCommand('pxp.pruneModel', {
      model: onnx(),
      data: { reference: path.join(dir(), 'data'), eval: path.join(dir(), 'data') },
      criterion: 'weight',
      rate: 0.6,
      open: false,
    })) as string;
    assert.ok(next && next !== runDir);
    const run = JSON.parse(fs.readFileSync(path.join(next, 'run.json'), 'utf8'));
    const stem = run.physical.layers.find((l: { name: string }) => l.name === 'stem.0').components;
    const after = await waitFor('lenses of the new run', async () => {
      const l = (
        await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)
      ).map((x) => x.command?.title ?? '');
      return l.join('\n') !== before ? l : undefined;
    });
    assert.ok(
      after.some((t) =>
        t.startsWith(`stem.0 · ${stem.original}${stem.pruned !== stem.original ? ` → ${stem.pruned}` : ''} channels`),
      ),
      after.join(' | '),
    );
  });
});
