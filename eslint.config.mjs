// The layers of ../shared/design/architecture.md, enforced: imports go one way (core ← cli, engine, workers,
// extension), the extension and the webviews never load the engine's code, and no module imports itself back.
// Only layering and cycles are checked here; style is Prettier's job.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** Core modules the extension host and the views may import values from: each is plain node code (no tfjs, no
 * onnxruntime) the host needs for its own job. Anything else from core they import as types only. */
const HOST_SAFE_CORE = {
  errors: 'PxpError and badInput: the host raises and shows the same errors as the engine',
  'run-folder/read': 'the sidebar and the views read run folders',
  'lrp/composites': 'PRESET_NAMES for the composite quick pick',
  'prune/normalize': 'NORMALIZATIONS to check pxp.config.json in the task provider',
  'io/npy': 'the relevance view reads input.npy to draw heatmaps',
  'report/heatmap': 'the relevance view draws the PNG heatmaps',
  'search/describe-params': 'trial labels in the search panel',
  'search/importance': 'parameter importance in the search panel',
  'search/retired-params': 'which parameters the importance leaves out',
  'search/space': 'the search panel checks the space run.json records before drawing it',
  'io/result-folder': 'the host removes what a job wrote when the engine itself died (discardFolder)',
};

const src = (...names) => names.map((n) => `./src/${n}`);
/** `target` may import nothing (values or types) from `from`. */
const never = (target, from, why) => ({ target, from, message: `(architecture.md) ${why}` });

const layerZones = [
  never(
    src('core'),
    [...src('cli', 'engine', 'workers', 'extension', 'views', 'protocol'), './webview'],
    'src/core is the engine: it imports nothing above it.',
  ),
  never(
    src('shared'),
    [...src('core', 'cli', 'engine', 'workers', 'extension', 'views', 'protocol'), './webview'],
    'src/shared is browser-safe: it imports only src/shared.',
  ),
  never(
    src('protocol'),
    [...src('engine', 'workers', 'extension', 'views'), './webview'],
    'src/protocol holds message types: it imports only types from core and cli, and src/shared.',
  ),
  never(
    src('workers'),
    [...src('cli', 'engine', 'extension', 'views'), './webview'],
    'src/workers serve the CLI and the engine: they import only core, protocol and shared.',
  ),
  never(
    src('cli'),
    [...src('engine', 'extension', 'views'), './webview'],
    'src/cli runs inside the engine process and the terminal: it imports core, workers, protocol and shared.',
  ),
  never(
    src('engine'),
    [...src('extension', 'views'), './webview'],
    'src/engine is the engine process: it never imports the extension.',
  ),
  never(
    src('views'),
    [...src('cli', 'engine', 'workers', 'extension'), './webview'],
    'src/views build panel content from run folders: core (host-safe), protocol and shared only.',
  ),
  never(
    src('extension'),
    [...src('cli', 'workers'), './webview'],
    'src/extension runs commands through the engine process, never in the host.',
  ),
  never(
    './webview',
    src('core', 'cli', 'engine', 'workers', 'extension', 'views'),
    'webview/ imports only webview/, src/shared and src/protocol.',
  ),
  never(
    src('core/models'),
    src('core/train'),
    'models/ never imports train/ (training imports the models, not the reverse).',
  ),
];

const coreFolder = '^(\\.\\./)+core/';
const hostSafe = Object.keys(HOST_SAFE_CORE).join('|');
const noVscode = { name: 'vscode', message: 'only src/extension imports vscode (architecture.md)' };
const engineCode = [
  { regex: '^@tensorflow/', message: 'the extension host and the webviews never compute: no tfjs here' },
  { regex: '^onnxruntime-node$', message: 'the extension host and the webviews never compute: no onnxruntime here' },
];
const nodeBuiltins = {
  regex: '^node:',
  message: 'browser-safe code (src/shared, src/protocol, webview/) has no node import',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/**', 'bench/**', 'scripts/**', 'examples/**', 'media/**'] },
  {
    files: ['src/**/*.ts', 'webview/**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { 'import-x': importX, '@typescript-eslint': tseslint.plugin },
    settings: {
      // Without these, import-x does not read .ts dependencies and no-cycle sees no edges.
      'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': 'error',
      'import-x/no-self-import': 'error',
      // Optional packages load through require() in try/catch; each such line says so.
      '@typescript-eslint/no-require-imports': 'error',
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [noVscode] }],
    },
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [...engineCode, hostSafeOnly('src/extension')] },
      ],
    },
  },
  {
    files: ['src/views/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [noVscode], patterns: [...engineCode, hostSafeOnly('src/views')] },
      ],
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [
            ...engineCode,
            nodeBuiltins,
            // Types from cli: the engine's `run` answers with the CLI command's own result (cli/registry.ts CommandValues).
            {
              regex: '^(\\.\\./)+(core|cli)/',
              allowTypeImports: true,
              message: 'src/protocol imports only types from core and cli (webviews bundle it)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/shared/**/*.ts', 'webview/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [noVscode], patterns: [...engineCode, nodeBuiltins] },
      ],
    },
  },
);

/** Value imports from core outside HOST_SAFE_CORE are refused; type imports pass. */
function hostSafeOnly(layer) {
  return {
    regex: `${coreFolder}(?!(${hostSafe})$)`,
    allowTypeImports: true,
    message: `${layer} imports values only from the host-safe core modules of eslint.config.mjs (HOST_SAFE_CORE); import types, or run the work in the engine`,
  };
}
