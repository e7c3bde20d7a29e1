// Bundles the extension host, the engine process, the CLI and the webviews. The tfjs packages stay external so that
// an optional @tensorflow/tfjs-node(-gpu) and our code share one tfjs-core instance (one engine, one backend registry).
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const nodeCommon = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  external: ['vscode', '@tensorflow/*', 'onnxruntime-node'],
  logLevel: 'warning',
};

function webviewEntries() {
  const dir = path.join(__dirname, 'webview');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, 'main.ts')))
    .map((d) => ({ in: path.join(dir, d.name, 'main.ts'), out: d.name }));
}

/** The extension host never computes (architecture.md): its bundle fails to build if anything it imports, however
 * indirectly, reaches tfjs or onnxruntime. ESLint checks direct imports; this checks the whole graph. */
const hostNeverComputes = {
  name: 'host-never-computes',
  setup(build) {
    build.onResolve({ filter: /^(@tensorflow\/|onnxruntime-node$)/ }, (args) => ({
      errors: [
        {
          text: `the extension host must not load ${args.path} (imported by ${path.relative(__dirname, args.importer)}): import types only, or run it in the engine`,
        },
      ],
    }));
  },
};

const builds = [
  { ...nodeCommon, entryPoints: ['src/extension/main.ts'], outfile: 'dist/extension.js', plugins: [hostNeverComputes] },
  { ...nodeCommon, entryPoints: ['src/engine/main.ts'], outfile: 'dist/engine.js' },
  { ...nodeCommon, entryPoints: ['src/workers/worker.ts'], outfile: 'dist/worker.js' },
  { ...nodeCommon, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
];
const webviews = webviewEntries();
if (webviews.length) {
  builds.push({
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: !production,
    minify: production,
    entryPoints: webviews,
    outdir: 'dist/webview',
    logLevel: 'warning',
  });
}

async function main() {
  const contexts = await Promise.all(
    builds.filter((b) => b.entryPoints.length && fs.existsSync(firstEntry(b))).map((b) => esbuild.context(b)),
  );
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
    console.log('[esbuild] watching');
    return;
  }
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  if (fs.existsSync('dist/cli.js')) fs.chmodSync('dist/cli.js', 0o755);
}

function firstEntry(b) {
  const e = b.entryPoints[0];
  return typeof e === 'string' ? e : e.in;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
