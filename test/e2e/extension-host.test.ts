/**
 * The extension's own tests (test/vscode/) inside code-server's extension host: once in a trusted window (commands,
 * engine runs, CodeLens, tasks), once in an untrusted one. Their counts are printed as a "N passed, N failed" line,
 * so they add up in npm test's total.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './harness/code-server';
import { type ExtensionTestResult, runExtensionTests } from './harness/extension-tests';
import { SOURCE_MAP_MODEL_PY, sourceMapFixtures } from '../helpers/source-map-fixtures';

// Exactly the tests test/vscode holds (update with them): a suite that fails to load, or a test lost or skipped,
// must fail here rather than pass as "at least N". Trusted: commands.test.ts (11) + engine-faults.test.ts (2) +
// onnx.test.ts (2) + source.test.ts (7) + tasks.test.ts (3).
const TRUSTED_TESTS = 25;
const UNTRUSTED_TESTS = 4; // untrusted.test.ts

function demoWorkspace(): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-ws-'));
  fs.cpSync(path.join(REPO, 'examples', 'fashion-mnist'), ws, { recursive: true });
  // The PyTorch demo beside it: an ONNX model in the same workspace.
  fs.cpSync(path.join(REPO, 'examples', 'fashion-mnist-torch'), path.join(ws, 'torch'), { recursive: true });
  // A torchvision-style model.py with its verbose export (test/vscode/source.test.ts).
  const fx = sourceMapFixtures();
  fs.mkdirSync(path.join(ws, 'pytorch', 'data'), { recursive: true });
  fs.copyFileSync(SOURCE_MAP_MODEL_PY, path.join(ws, 'pytorch', 'model.py'));
  fs.copyFileSync(path.join(fx.dir, 'verbose.onnx'), path.join(ws, 'pytorch', 'model.onnx'));
  fs.copyFileSync(path.join(fx.dir, 'truth.json'), path.join(ws, 'pytorch', 'truth.json'));
  for (const f of ['x.npy', 'y.npy']) fs.copyFileSync(path.join(fx.dir, f), path.join(ws, 'pytorch', 'data', f));
  return ws;
}

function report(what: string, r: ExtensionTestResult, seconds: number): void {
  console.log(`\n  extension tests in code-server, ${what} (${seconds.toFixed(0)} s):`);
  for (const l of r.lines) console.log(`  ${l}`);
  for (const l of r.pxpLog.split('\n').filter((x) => /main-thread lag/.test(x)))
    console.log(`  log: ${l.replace(/^\S+ \S+ /, '')}`);
  for (const f of r.failures) console.log(`\n  ✘ ${f.title}\n${f.error.split('\n').slice(0, 8).join('\n')}`);
  console.log(`\n${r.passed} passed, ${r.failed} failed`);
}

describe('extension tests inside VS Code (code-server)', () => {
  const workspaces: string[] = [];
  before(() =>
    execFileSync(process.execPath, [path.join(REPO, 'scripts', 'build-editor-tests.js')], { stdio: 'inherit' }),
  );
  after(() => workspaces.forEach((w) => fs.rmSync(w, { recursive: true, force: true })));

  it('pass in a trusted workspace (the demo)', async () => {
    const ws = demoWorkspace();
    workspaces.push(ws);
    const t0 = Date.now();
    const r = await runExtensionTests(ws, { settings: { 'pxp.backend': 'auto' } });
    report('trusted demo workspace', r, (Date.now() - t0) / 1000);
    assert.equal(r.failed, 0, r.failures.map((f) => f.title).join('; '));
    assert.equal(r.passed, TRUSTED_TESTS, `${r.passed} passed, ${r.pending} skipped`);
  });

  it('pass in an untrusted workspace', async () => {
    const ws = demoWorkspace();
    workspaces.push(ws);
    // A finished run to open (written by the CLI: the untrusted window may not start the engine).
    const run = path.join(ws, '.pxp', 'runs', 'prune-shared');
    execFileSync(
      process.execPath,
      [
        path.join(REPO, 'dist', 'cli.js'),
        'prune',
        '--model',
        path.join(ws, 'model', 'model.json'),
        '--reference',
        path.join(ws, 'reference'),
        '--eval',
        path.join(ws, 'test'),
        '--eval-limit',
        '100',
        '--rates',
        '0,0.5',
        '--criterion',
        'weight',
        '--out',
        run,
        '--quiet',
      ],
      { stdio: 'inherit' },
    );
    const t0 = Date.now();
    const r = await runExtensionTests(ws, { workspaceTrust: true, env: { PXP_EXTENSION_TEST_MODE: 'untrusted' } });
    report('untrusted workspace', r, (Date.now() - t0) / 1000);
    assert.equal(r.failed, 0, r.failures.map((f) => f.title).join('; '));
    assert.equal(r.passed, UNTRUSTED_TESTS, `${r.passed} passed, ${r.pending} skipped`);
  });
});
