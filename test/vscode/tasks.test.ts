import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { pxpApi, runFolders, waitFor, workspace } from './helpers';

async function runTask(task: vscode.Task): Promise<number | undefined> {
  const ended = new Promise<number | undefined>((resolve) => {
    const d = vscode.tasks.onDidEndTaskProcess((e) => {
      if (
        e.execution.task.definition.config === task.definition.config &&
        e.execution.task.definition.command === task.definition.command
      ) {
        d.dispose();
        resolve(e.exitCode);
      }
    });
  });
  await vscode.tasks.executeTask(task);
  return ended;
}

describe('pxp workspace tasks', () => {
  it('provides prune, search, attribute and train tasks for pxp.config.json', async () => {
    await pxpApi();
    const tasks = await vscode.tasks.fetchTasks({ type: 'pxp' });
    const mine = tasks
      .filter((t) => t.definition.config === 'pxp.config.json')
      .map((t) => t.definition.command)
      .sort();
    assert.deepEqual(mine, ['attribute', 'prune', 'search', 'train']);
  });

  it('a prune task runs the engine and writes a run folder', async () => {
    const before = runFolders();
    const task = (await vscode.tasks.fetchTasks({ type: 'pxp' })).find(
      (t) => t.definition.command === 'prune' && t.definition.config === 'pxp.config.json',
    )!;
    assert.equal(await runTask(task), 0);
    const added = runFolders().filter((f) => !before.includes(f));
    assert.equal(added.length, 1);
    assert.match(added[0], /^prune-/);
    const run = JSON.parse(fs.readFileSync(path.join(workspace(), '.pxp', 'runs', added[0], 'run.json'), 'utf8'));
    assert.equal(run.evaluation.samples, 500, 'evalLimit from pxp.config.json');
    assert.equal(
      run.physical.chosenBy.maxDropPoints,
      1,
      'the example config prunes within an accuracy budget of one point',
    );
  });

  it('config errors come out as problems at their line and column, and nothing runs', async () => {
    const api = await pxpApi();
    const bad = path.join(workspace(), 'bad.config.json');
    fs.writeFileSync(
      bad,
      '{\n  "model": "model/model.json",\n  "reference": "reference",\n  "eval": "test",\n  "rate": 1.5\n}\n',
    );
    // A task from tasks.json: VS Code resolves it through the provider's resolveTask.
    const tasksJson = path.join(workspace(), '.vscode', 'tasks.json');
    fs.mkdirSync(path.dirname(tasksJson), { recursive: true });
    fs.writeFileSync(
      tasksJson,
      JSON.stringify({
        version: '2.0.0',
        tasks: [{ type: 'pxp', command: 'prune', config: 'bad.config.json', label: 'prune with the bad config' }],
      }),
    );
    const before = runFolders();
    try {
      const resolved = await waitFor(
        'the tasks.json task',
        async () =>
          (await vscode.tasks.fetchTasks({ type: 'pxp' })).find((t) => t.definition.config === 'bad.config.json'),
        20_000,
      );
      assert.ok(resolved.execution instanceof vscode.CustomExecution, 'resolved with the engine terminal');
      assert.equal(await runTask(resolved), 1);
      const diags = await waitFor(
        'the problem matcher',
        () => {
          const d = vscode.languages.getDiagnostics(vscode.Uri.file(bad));
          return d.length ? d : undefined;
        },
        20_000,
      );
      assert.equal(diags[0].range.start.line, 4);
      assert.equal(diags[0].range.start.character, 2);
      assert.match(diags[0].message, /"rate" must be a fraction/);
      assert.deepEqual(runFolders(), before);
      assert.equal(api.services.jobs.active.length, 0);
    } finally {
      fs.rmSync(bad, { force: true });
      fs.rmSync(tasksJson, { force: true });
    }
  });
});
