import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { ModelsView } from '../../src/extension/sidebar';
import { readDiffView } from '../../src/views/diff-view';
import { pxpApi, workspace } from './helpers';

/** The PyTorch demo (examples/fashion-mnist-torch), copied into the test workspace's torch/ folder. */
const torchModel = () => path.join(workspace(), 'torch', 'model.onnx');
const torchData = () => ({
  reference: path.join(workspace(), 'torch', 'reference'),
  eval: path.join(workspace(), 'torch', 'test'),
});

describe('ONNX models from PyTorch in VS Code', () => {
  it('the Models view lists the .onnx file, and its details say channels first and the opset', async () => {
    const api = await pxpApi();
    const view = new ModelsView(api.services.session);
    const models = await view.getChildren();
    const onnx = models.find((n) => n.type === 'model' && n.uri.fsPath === torchModel());
    assert.ok(onnx, `models: ${models.map((n) => (n.type === 'model' ? n.uri.fsPath : '')).join(', ')}`);
    assert.equal(view.getTreeItem(onnx).label, 'model.onnx');
    const details = await view.getChildren(onnx);
    const text = details.map((d) => (d.type === 'detail' ? `${d.label}: ${d.description}` : '')).join('\n');
    assert.match(text, /input: 3 × 32 × 32 \(channels first\)/);
    assert.match(text, /ONNX: opset 17/);
  });

  it('Prune Model on the .onnx file writes pruned/model.onnx, and the diff panel reads its layers from run.json', async () => {
    const dir = (await vscode.commands.executeCommand('pxp.pruneModel', {
      model: torchModel(),
      data: torchData(),
      criterion: 'lrp:epsilon-alpha2-beta1-flat',
      rate: 0.1,
      evalLimit: 200,
      open: false,
    })) as string;
    assert.ok(dir, 'the command returned its run folder');
    assert.ok(fs.existsSync(path.join(dir, 'pruned', 'model.onnx')));
    const view = readDiffView(dir);
    assert.ok(view.summary.params.pruned < view.summary.params.original);
    const conv = view.layers.find((l) => l.name === 'features.1.conv.0.0');
    assert.ok(conv?.components && conv.components.pruned <= conv.components.original, JSON.stringify(conv));
    assert.ok(view.layers.length > 50, `${view.layers.length} layers`);
  });
});
