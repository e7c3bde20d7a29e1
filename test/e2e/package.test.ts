/**
 * `npm run package`: the .vsix holds what the extension needs and nothing of the sources, and the engine inside it
 * runs from the package's own node_modules (tfjs, onnxruntime-node) on a machine with no repository around it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './harness/code-server';

describe('npm run package (.vsix)', () => {
  let tmp: string;
  let vsix: string;
  before(function () {
    this.timeout(15 * 60_000);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-vsix-'));
    vsix = path.join(tmp, 'pxp-studio.vsix');
    const t0 = Date.now();
    execFileSync('bash', [path.join(REPO, 'scripts', 'package.sh'), vsix], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    console.log(
      `    packaged in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${(fs.statSync(vsix).size / 2 ** 20).toFixed(1)} MiB`,
    );
  });
  after(() => {
    // package.sh leaves a minified production build in dist/; the other editor tests use the development build.
    execFileSync(process.execPath, [path.join(REPO, 'esbuild.js')], { cwd: REPO, stdio: 'ignore' });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('holds the bundles, the webviews, the demo and the runtime packages, and no sources or tests', () => {
    const entries = execFileSync('unzip', ['-Z1', vsix], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 }).split('\n');
    for (const f of [
      'extension/package.json',
      'extension/dist/extension.js',
      'extension/dist/engine.js',
      'extension/dist/cli.js',
      'extension/dist/worker.js',
      'extension/examples/fashion-mnist/model/model.json',
      'extension/node_modules/@tensorflow/tfjs/package.json',
      'extension/node_modules/onnxruntime-node/package.json',
    ])
      assert.ok(entries.includes(f), `${f} is in the package`);
    assert.ok(
      entries.some((e) => /^extension\/dist\/webview\/.+\.js$/.test(e)),
      'webview bundles',
    );
    assert.ok(
      entries.some((e) => /^extension\/node_modules\/onnxruntime-node\/bin\/.*linux\/x64\/.+\.node$/.test(e)),
      "onnxruntime's linux-x64 binary",
    );
    assert.ok(
      !entries.some((e) => /^extension\/(src|test|webview|bench)\//.test(e)),
      'no sources, tests or benchmarks',
    );
    assert.ok(fs.statSync(vsix).size < 80 * 2 ** 20, 'under 80 MiB');
  });

  it('runs its engine from its own node_modules: pxp info on the packaged demo, LRP on onnxruntime', () => {
    const dir = path.join(tmp, 'unpacked');
    execFileSync('unzip', ['-q', vsix, '-d', dir]);
    const ext = path.join(dir, 'extension');
    const out = execFileSync(
      process.execPath,
      [
        path.join(ext, 'dist', 'cli.js'),
        'info',
        '--model',
        path.join(ext, 'examples', 'fashion-mnist', 'model'),
        '--json',
      ],
      { cwd: tmp, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const info = JSON.parse(out) as { params: number; lrpExecutor: { name: string } };
    assert.equal(info.params, 110266);
    assert.equal(info.lrpExecutor.name, 'onnx');
  });
});
