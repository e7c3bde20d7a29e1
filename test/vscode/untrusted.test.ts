import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { EngineTerminal } from '../../src/extension/tasks';
import { demoData, demoModel, pxpApi, runFolders, workspace } from './helpers';

describe('an untrusted workspace', () => {
  before(function () {
    if (process.env.PXP_EXTENSION_TEST_MODE !== 'untrusted') this.skip();
  });

  it('is untrusted, and the extension is active in restricted mode', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    await pxpApi();
  });

  it('refuses to load models: Prune Model writes nothing and starts no engine', async () => {
    const api = await pxpApi();
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
    assert.equal(await vscode.commands.executeCommand('pxp.showInfo', vscode.Uri.file(demoModel())), undefined);
    assert.deepEqual(runFolders(), before);
    assert.equal(api.services.session.pid, undefined, 'no engine process');
    assert.match(api.services.jobs.failures[0].error!, /not trusted/);
  });

  it('refuses to run a pxp task: its terminal prints a problem-matcher error and exits 1, writing nothing', async () => {
    // Asking VS Code for the tasks hangs in an untrusted window, so the task's terminal is driven directly.
    const api = await pxpApi();
    const before = runFolders();
    const terminal = new EngineTerminal(
      { type: 'pxp', command: 'prune', config: 'pxp.config.json' },
      workspace(),
      api.services.session,
      api.services.jobs,
      () => undefined,
    );
    const written: string[] = [];
    terminal.onDidWrite((text) => written.push(text));
    const code = await new Promise<number | void>((resolve) => {
      terminal.onDidClose!((c) => resolve(c));
      terminal.open();
    });
    assert.equal(code, 1);
    assert.match(written.join(''), /pxp\.config\.json:1:1: error: this workspace is not trusted/);
    assert.deepEqual(runFolders(), before);
    assert.equal(api.services.session.pid, undefined, 'no engine process');
  });

  it('can still open a run folder', async () => {
    const run = path.join(workspace(), '.pxp', 'runs', 'prune-shared');
    assert.ok(fs.existsSync(path.join(run, 'run.json')), 'the launcher put a finished run there');
    assert.equal(await vscode.commands.executeCommand('pxp.openRun', run), run);
  });
});
