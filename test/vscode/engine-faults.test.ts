import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { demoData, demoModel, pxpApi, runFolders, runsDir, waitFor } from './helpers';

/** Hidden entries of the runs folder: locks and partial folders a run may leave. */
const hiddenInRuns = () => (fs.existsSync(runsDir()) ? fs.readdirSync(runsDir()).filter((f) => f.startsWith('.')) : []);

describe('the engine process killed mid-job (issue 16)', () => {
  it('mid-search: the job fails with the reason, no partial run folder remains, the next job gets a fresh engine', async () => {
    const api = await pxpApi();
    const before = runFolders();
    const running = vscode.commands.executeCommand('pxp.optimizeAttribution', {
      model: demoModel(),
      data: demoData(),
      trials: 40,
      evalLimit: 200,
      open: false,
    });
    // The search writes trials.jsonl as it goes: kill the engine once the run folder holds a trial.
    const runDir = await waitFor(
      'a logged trial',
      () => {
        const dir = api.services.jobs.active.find((j) => j.kind === 'search')?.runDir;
        return dir &&
          fs.existsSync(path.join(dir, 'trials.jsonl')) &&
          fs.readFileSync(path.join(dir, 'trials.jsonl'), 'utf8').includes('\n')
          ? dir
          : undefined;
      },
      180_000,
    );
    const pid = api.services.session.pid!;
    process.kill(pid, 'SIGKILL');
    assert.equal(await running, undefined);
    const failed = api.services.jobs.failures[0];
    assert.equal(failed.status, 'failed');
    assert.match(failed.error!, /engine process exited \(SIGKILL\)/);
    assert.ok(!fs.existsSync(runDir), 'the half-written search folder is gone');
    assert.deepEqual(runFolders(), before);
    assert.deepEqual(hiddenInRuns(), [], 'no lock or partial folder left');

    const dir = (await vscode.commands.executeCommand('pxp.computeRelevance', {
      model: demoModel(),
      data: demoData(),
      composite: 'epsilon-plus-flat',
      open: false,
    })) as string;
    assert.ok(dir && fs.existsSync(path.join(dir, 'components.json')));
    assert.notEqual(api.services.session.pid, pid, 'a fresh engine ran the next job');
  });

  it('mid-prune: the job fails with the reason, and nothing of the run is left', async () => {
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
    await waitFor('the job to report progress', () =>
      api.services.jobs.active.find((j) => j.kind === 'prune' && j.done > 0),
    );
    process.kill(api.services.session.pid!, 'SIGKILL');
    assert.equal(await running, undefined);
    assert.match(api.services.jobs.failures[0].error!, /engine process exited \(SIGKILL\)/);
    assert.deepEqual(runFolders(), before);
    assert.deepEqual(hiddenInRuns(), []);
  });
});
