// Bundles the extension tests (test/vscode/*.ts) into dist/test/, where code-server's extension host loads them
// through extensionTestsPath. vscode and mocha stay external: the host provides vscode, mocha comes from node_modules.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', 'test', 'vscode');
const entries = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => path.join(dir, f));
fs.rmSync(path.join(__dirname, '..', 'dist', 'test'), { recursive: true, force: true });
esbuild
  .build({
    entryPoints: entries,
    outdir: path.join(__dirname, '..', 'dist', 'test'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha', '@tensorflow/*', 'onnxruntime-node'],
    logLevel: 'warning',
  })
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
