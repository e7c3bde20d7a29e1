import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { RunsView } from '../../src/extension/sidebar';
import { demoData, demoModel, pxpApi, runFolders, runsDir, waitFor, workspace } from './helpers';

describe('PXP commands in VS Code', () => {
  it('registers every command of the manifest', async () => {
    await pxpApi();
    const manifest = vscode.extensions.getExtension('pxp-studio.pxp-studio')!.packageJSON as {
      contributes: { commands: { command: string }[] };
    };
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = manifest.contributes.commands.map((c) => c.command).filter((c) => !registered.has(c));
    assert.deepEqual(missing, []);
    assert.equal(manifest.contributes.commands.length, 17, 'the manifest declares the 17 PXP commands');
  });

  it('Compute Relevance runs attribute in the engine and writes a relevance run folder', async () => {
    const before = runFolders();
    const dir = (await vscode.commands.executeCommand('pxp.computeRelevance', {
      model: demoModel(),
      data: demoData(),
      composite: 'epsilon-plus-flat',
      open: false,
    })) as string;
    assert.ok(dir, 'the command returned its run folder');
    assert.equal(path.dirname(dir), runsDir());
    assert.match(path.basename(dir), /^relevance-epsilon-plus-flat-\d{8}-\d{6}/, 'the name says the composite');
    const components = JSON.parse(fs.readFileSync(path.join(dir, 'components.json'), 'utf8'));
    const topology = JSON.parse(fs.readFileSync(demoModel(), 'utf8')).modelTopology.config.layers as {
      class_name: string;
    }[];
    // Every conv and dense layer but the output one, whose neurons are the classes.
    assert.equal(
      components.layers.length,
      topology.filter((l) => l.class_name === 'Conv2D' || l.class_name === 'Dense').length - 1,
    );
    assert.equal(components.layers[0].relevance.length, 100, 'one row per reference sample');
    assert.ok(fs.existsSync(path.join(dir, 'input.npy')));
    assert.deepEqual(runFolders(), [...before, path.basename(dir)].sort());
  });

  it('Prune Model runs prune in the engine, writes the run folder, and the main thread stays responsive', async () => {
    const api = await pxpApi();
    const dir = (await vscode.commands.executeCommand('pxp.pruneModel', {
      model: demoModel(),
      data: demoData(),
      criterion: 'lrp:epsilon-plus-flat',
      rate: 0.25,
      evalLimit: 300,
      open: false,
    })) as string;
    assert.ok(dir);
    const run = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
    assert.equal(run.command, 'prune');
    assert.equal(run.evaluation.samples, 300);
    assert.equal(run.physical.rate, 0.25);
    assert.ok(fs.existsSync(path.join(dir, 'pruned', 'model.json')));
    const curve = JSON.parse(fs.readFileSync(path.join(dir, 'curve.json'), 'utf8'));
    assert.equal(curve.auc, run.auc);
    // The lag of this job: the monitor was reset when it started.
    const lag = api.lag.maxLagMs;
    console.log(`main-thread lag during the prune run: max ${lag.toFixed(1)} ms over ${api.lag.samples} samples`);
    assert.ok(api.lag.samples > 10, 'the monitor ran during the job');
    assert.ok(lag < 500, `main-thread lag ${lag} ms`);
  });

  it('the Runs view lists finished runs with their figures, and the backend', async () => {
    const api = await pxpApi();
    const view = new RunsView(api.services.session, api.services.jobs);
    const nodes = view.getChildren();
    assert.equal(nodes[0].type, 'backend');
    assert.equal(view.getTreeItem(nodes[0]).label, `Backend: ${api.services.session.backend?.name}`);
    assert.ok(api.services.session.backend, 'the backend is known after a run');
    const prune = nodes.find((n) => n.type === 'run' && n.run.kind === 'prune');
    assert.ok(prune);
    // The label is the headline figure, which fits the default width; the children hold every figure (issue 17 item 8).
    const item = view.getTreeItem(prune);
    assert.match(String(item.label), /^(⚠ )?\d+\.\d % · \d+\.\d\d×$/);
    assert.match(String(item.description), /^prune · [\w-]+ · \d\d:\d\d$/);
    assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    const figures = view.getChildren(prune).map((n) => {
      const child = view.getTreeItem(n);
      return `${String(child.label)}: ${String(child.description)}`;
    });
    assert.ok(
      figures.some((f) => /^AUC: 0\.\d{4}$/.test(f)),
      figures.join(' | '),
    );
    assert.ok(
      figures.some((f) => /^accuracy: \d+\.\d → \d+\.\d %$/.test(f)),
      'the accuracy unpruned → pruned (issue 17 item 3)',
    );
    assert.ok(
      figures.some((f) => /^removed: 25 % · \d+\.\d\d× faster$/.test(f)),
      figures.join(' | '),
    );
    assert.match(item.accessibilityInformation?.label ?? '', /^prune-.*: AUC 0\.\d{3} · /);
  });

  it('CodeLens and hovers on model.json show the latest run of the model', async () => {
    const uri = vscode.Uri.file(demoModel());
    const doc = await vscode.workspace.openTextDocument(uri);
    const lenses = await waitFor('lenses', async () => {
      const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100);
      return l && l.some((x) => /latest run: prune-/.test(x.command?.title ?? '')) ? l : undefined;
    });
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.ok(titles.some((t) => t.includes('Prune with PXP')));
    assert.ok(titles.some((t) => t.includes('Compute relevance')));
    assert.ok(
      titles.some((t) => /^relevance: \w+ \d+ %/.test(t)),
      titles.join(' | '),
    );
    const offset = doc.getText().indexOf('"block1_conv1"') + 3;
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      uri,
      doc.positionAt(offset),
    );
    const text = hovers
      .flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : '')))
      .join('\n');
    assert.match(text, /block1_conv1: relevance \d+\.\d %/);
    assert.match(text, /\d+\/16 pruned/);
  });

  it('Cancel stops a running prune: no folder is written and the run shows as cancelled', async () => {
    const api = await pxpApi();
    const before = runFolders();
    const running = vscode.commands.executeCommand('pxp.pruneModel', {
      model: demoModel(),
      data: demoData(),
      criterion: 'lrp:epsilon-plus-flat',
      rate: 0.5,
      evalLimit: 1000,
      open: false,
    });
    await waitFor('the job to report progress', () => api.services.jobs.active.find((j) => j.done > 0));
    const cancelled = await vscode.commands.executeCommand<number>('pxp.cancel');
    assert.equal(cancelled, 1);
    assert.equal(await running, undefined);
    assert.deepEqual(runFolders(), before);
    assert.equal(api.services.jobs.failures[0].status, 'cancelled');
    assert.equal(fs.readdirSync(runsDir()).filter((f) => f.startsWith('.')).length, 0, 'no temp folder left');
  });

  it('a bad input fails with a clear error, writes nothing, and the Runs view shows the failure', async () => {
    const api = await pxpApi();
    const before = runFolders();
    const broken = path.join(workspace(), 'broken', 'model.json');
    fs.mkdirSync(path.dirname(broken), { recursive: true });
    fs.writeFileSync(broken, '{"format": "layers-model", "modelTopology": ');
    try {
      assert.equal(
        await vscode.commands.executeCommand('pxp.pruneModel', {
          model: broken,
          data: demoData(),
          criterion: 'weight',
          rate: 0,
          open: false,
        }),
        undefined,
      );
      const failed = api.services.jobs.failures[0];
      assert.equal(failed.status, 'failed');
      assert.match(failed.error!, /model\.json/);
      assert.equal(
        await vscode.commands.executeCommand('pxp.pruneModel', {
          model: demoModel(),
          data: { reference: path.join(workspace(), 'no-such-folder'), eval: demoData().eval },
          criterion: 'weight',
          rate: 0,
          open: false,
        }),
        undefined,
      );
      assert.deepEqual(runFolders(), before);
    } finally {
      fs.rmSync(path.dirname(broken), { recursive: true, force: true });
    }
  });

  it('a crashed engine fails the running job, and the next command starts a fresh engine', async () => {
    const api = await pxpApi();
    const running = vscode.commands.executeCommand('pxp.pruneModel', {
      model: demoModel(),
      data: demoData(),
      criterion: 'lrp:epsilon-plus-flat',
      rate: 0.5,
      evalLimit: 1000,
      open: false,
    });
    await waitFor('the job to report progress', () => api.services.jobs.active.find((j) => j.done > 0));
    const pid = api.services.session.pid!;
    process.kill(pid, 'SIGKILL');
    assert.equal(await running, undefined);
    assert.match(api.services.jobs.failures[0].error!, /engine process exited/);
    const info = (await vscode.commands.executeCommand('pxp.showInfo', vscode.Uri.file(demoModel()))) as {
      params: number;
    };
    assert.equal(info.params, 110266);
    assert.notEqual(api.services.session.pid, pid);
  });

  it('pxp.nodePath starts the engine under another Node, and a missing one is a clear error', async function () {
    // The editor runs on code-server's Node 24; the machine's own Node (20) is the other one.
    const other = ['/usr/bin/node', '/usr/local/bin/node'].find(
      (p) => fs.existsSync(p) && fs.realpathSync(p) !== fs.realpathSync(process.execPath),
    );
    assert.ok(other, `no Node besides the editor's (${process.execPath}) to test with`);
    const api = await pxpApi();
    const config = vscode.workspace.getConfiguration('pxp');
    const info = () =>
      vscode.commands.executeCommand('pxp.showInfo', vscode.Uri.file(demoModel())) as Thenable<
        { params: number } | undefined
      >;
    try {
      await config.update('nodePath', other, vscode.ConfigurationTarget.Workspace);
      await waitFor('the engine to restart', () => (api.services.session.pid === undefined ? true : undefined));
      assert.equal((await info())?.params, 110266);
      assert.equal(fs.realpathSync(`/proc/${api.services.session.pid}/exe`), fs.realpathSync(other));
      await config.update('nodePath', path.join(workspace(), 'no-such-node'), vscode.ConfigurationTarget.Workspace);
      await waitFor('the engine to restart', () => (api.services.session.pid === undefined ? true : undefined));
      const before = runFolders();
      assert.equal(
        await vscode.commands.executeCommand('pxp.pruneModel', {
          model: demoModel(),
          data: demoData(),
          criterion: 'weight',
          rate: 0,
          open: false,
        }),
        undefined,
      );
      assert.match(api.services.jobs.failures[0]?.error ?? '', /cannot start the engine with .*no-such-node/);
      assert.deepEqual(runFolders(), before);
    } finally {
      await config.update('nodePath', undefined, vscode.ConfigurationTarget.Workspace);
    }
    assert.equal((await info())?.params, 110266);
    assert.equal(fs.realpathSync(`/proc/${api.services.session.pid}/exe`), fs.realpathSync(process.execPath));
  });

  it('Open the Fashion-MNIST Demo copies the demo into a new folder next to any existing one', async () => {
    const parent = path.join(workspace(), 'demo-target');
    fs.mkdirSync(path.join(parent, 'fashion-mnist'), { recursive: true });
    try {
      const target = (await vscode.commands.executeCommand('pxp.openDemo', parent)) as string;
      assert.equal(target, path.join(parent, 'fashion-mnist-2'));
      for (const f of ['model/model.json', 'model/weights.bin', 'reference/x.npy', 'test/y.npy'])
        assert.ok(fs.existsSync(path.join(target, f)), f);
      assert.deepEqual(fs.readdirSync(path.join(parent, 'fashion-mnist')), [], 'the existing folder is untouched');
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  it('Train Example Model trains a small model into models/ and opens it', async function () {
    const fashion = '/usr/share/datasets/fashion-mnist';
    if (!fs.existsSync(fashion)) this.skip();
    const out = (await vscode.commands.executeCommand('pxp.trainExample', {
      data: { data: fashion },
      arch: 'vgg',
      epochs: 1,
      limit: 256,
    })) as string;
    assert.ok(out);
    assert.equal(path.dirname(out), path.join(workspace(), 'models'));
    const training = JSON.parse(fs.readFileSync(path.join(out, 'training.json'), 'utf8'));
    assert.equal(training.history.length, 1);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, path.join(out, 'model.json'));
    fs.rmSync(path.join(workspace(), 'models'), { recursive: true, force: true });
  });
});
