// The paper's Fashion-MNIST comparison (Hatefi et al. 2024, "ViTs can lose far more components than CNNs"): for the
// CNN demo model and the ViT example, how large a fraction of components each criterion removes while the masked
// model stays within 1 point of its unpruned accuracy. "Optimized LRP" is the best composite of a `pxp search` run on
// validation data; every curve below is measured on test data the search never saw. Writes docs/results.md and
// docs/results.json.
//
// Usage: npm run build && node bench/pruning-comparison.mjs
// Env: PXP_TRIALS (search trials, default 20), PXP_FINAL_EVAL (test images per curve, default 2000), PXP_MODELS
// (default cnn,vit), PXP_RESULTS (default docs/results.md), PXP_SEARCH_EVAL (validation images a search trial
// evaluates, default 1000), PXP_SEARCH_RATES (the search's rate grid, default the 20-point one).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const TRIALS = String(Number(process.env.PXP_TRIALS) || 20);
const FINAL_EVAL = String(Number(process.env.PXP_FINAL_EVAL) || 2000);
const WORK = path.join(os.tmpdir(), 'pxp-pruning-comparison');
const DATA = path.join(WORK, 'data');
const BASELINES = ['weight', 'activation', 'gradient', 'taylor', 'integrated-gradients', 'random'];
const SEARCH_EVAL = String(Number(process.env.PXP_SEARCH_EVAL) || 1000);
const SEARCH_RATES = process.env.PXP_SEARCH_RATES ? ['--rates', process.env.PXP_SEARCH_RATES] : [];
const ONLY = (process.env.PXP_MODELS || 'cnn,vit').split(',');
const RESULTS = process.env.PXP_RESULTS || path.join('docs', 'results.md');
const MODELS = [
  {
    id: 'cnn',
    title: 'CNN (VGG-style, examples/fashion-mnist/model)',
    model: 'examples/fashion-mnist/model',
    components: [null],
  },
  {
    id: 'vit',
    title: 'ViT (examples/fashion-mnist-vit/model)',
    model: 'examples/fashion-mnist-vit/model',
    components: ['heads', 'neurons'],
  },
];

function run(args, label) {
  const t0 = Date.now();
  const r = spawnSync(args[0], args.slice(1), { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (Date.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${label} failed (exit ${r.status}):\n${(r.stderr || '').slice(-2000)}`);
  console.log(`${label}: ${seconds.toFixed(0)} s`);
  return seconds;
}

/** The largest rate reached before the accuracy first falls more than 1 point below the unpruned accuracy. */
function keptWithinOnePoint(curve) {
  const base = curve.points[0].accuracy;
  let best = curve.points[0];
  for (const p of curve.points) {
    if (p.accuracy < base - 0.01 - 1e-12) break;
    best = p;
  }
  return { rate: best.rate, removed: best.removed, accuracy: best.accuracy, base };
}

// PXP_REPORT_ONLY=1 rewrites results.md from the JSON of the last run, measuring nothing.
const REPORT_ONLY = process.env.PXP_REPORT_ONLY === '1';
const JSON_FILE = path.resolve(ROOT, RESULTS.replace(/\.md$/, '.json'));
const previous = REPORT_ONLY ? JSON.parse(fs.readFileSync(JSON_FILE, 'utf8')) : undefined;
const data = (split) => path.join(DATA, split);
const results = previous ? previous.results : [];
if (!REPORT_ONLY) {
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  run(['npx', 'tsx', 'bench/pruning-splits.ts', DATA, FINAL_EVAL, SEARCH_EVAL], 'data');
}
for (const m of MODELS.filter((x) => ONLY.includes(x.id) && !REPORT_ONLY)) {
  for (const components of m.components) {
    const key = components ? `${m.id}-${components}` : m.id;
    const comp = components ? ['--components', components] : [];
    const dir = path.join(WORK, key);
    const searchDir = path.join(dir, 'search');
    const searchSeconds = run(
      [
        'node',
        'dist/cli.js',
        'search',
        '--model',
        m.model,
        '--reference',
        data('reference'),
        '--eval',
        data('search-eval'),
        '--trials',
        TRIALS,
        ...SEARCH_RATES,
        '--baselines',
        'none',
        ...comp,
        '--out',
        searchDir,
        '--force',
      ],
      `${key}: search (${TRIALS} trials)`,
    );
    const criteria = [`lrp:${path.join(searchDir, 'best-composite.json')}`, 'lrp:epsilon-plus-flat', ...BASELINES];
    const rows = [];
    for (const criterion of criteria) {
      const name = criterion.startsWith('lrp:/') ? 'optimized LRP' : criterion;
      const out = path.join(dir, name.replace(/[^a-z0-9-]+/gi, '_'));
      // The search's ranking choices (abs_sort, least_relevant_first) go with its composite.
      const extra = name === 'optimized LRP' ? rankingFlags(searchDir) : [];
      const seconds = run(
        [
          'node',
          'dist/cli.js',
          'prune',
          '--model',
          m.model,
          '--reference',
          data('reference'),
          '--eval',
          data('final-eval'),
          '--criterion',
          criterion,
          ...comp,
          ...extra,
          '--out',
          out,
          '--force',
        ],
        `${key}: ${name}`,
      );
      const curve = JSON.parse(fs.readFileSync(path.join(out, 'curve.json'), 'utf8'));
      rows.push({
        criterion: name,
        auc: curve.auc,
        seconds,
        ...keptWithinOnePoint(curve),
        curve: curve.points.map((p) => [p.rate, p.accuracy]),
      });
    }
    const baselines = rows.filter((r) => BASELINES.includes(r.criterion));
    const bestBaseline = baselines.reduce((a, b) => (b.rate > a.rate || (b.rate === a.rate && b.auc > a.auc) ? b : a));
    results.push({
      key,
      title: m.title,
      components: components ?? 'conv channels + dense neurons',
      searchSeconds,
      rows,
      bestBaseline: bestBaseline.criterion,
    });
  }
}

/** abs_sort / least_relevant_first of the search's best trial, as pxp prune flags. */
function rankingFlags(searchDir) {
  const trials = fs
    .readFileSync(path.join(searchDir, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((t) => typeof t.auc === 'number');
  const best = trials.sort((a, b) => b.auc - a.auc)[0];
  return [
    ...(best.params.abs_sort === 'false' ? ['--signed'] : []),
    ...(best.params.least_relevant_first === 'false' ? ['--most-relevant-first'] : []),
  ];
}

const pct = (x) => `${(100 * x).toFixed(1)} %`;
const meta = previous?.meta ?? {
  date: new Date().toISOString().slice(0, 10),
  cpu: os.cpus()[0]?.model ?? 'cpu',
  cores: os.cpus().length,
  load: os.loadavg()[0],
  trials: TRIALS,
  finalEval: FINAL_EVAL,
  searchEval: SEARCH_EVAL,
  searchRates: SEARCH_RATES[1],
};
const lines = [
  '# Pruning results on Fashion-MNIST',
  '',
  `Measured by \`node bench/pruning-comparison.mjs\` on ${meta.date} (${meta.cpu}, ${meta.cores} cores; load average ${meta.load.toFixed(1)} at the end).`,
  `Reference set: 10 training images per class. "Optimized LRP": the best composite of \`pxp search\` (${meta.trials} TPE trials,`,
  `AUC of the masked curve on ${meta.searchEval} validation images${meta.searchRates ? ` at rates ${meta.searchRates}` : ''}). Every curve below: masked pruning (one-shot scores, method.md §5)`,
  `on the first ${meta.finalEval} test images, which no search saw. "Removed within 1 point": the largest rate of the grid`,
  '(0, 0.05, …, 0.95) reached before the accuracy first falls more than 1 point below the unpruned accuracy; the count',
  'is the number of components actually removed there (every layer keeps its best component, method.md §5).',
  '',
  'Setup facts that shape the numbers: the ViT has 16 heads (4 blocks × 4), so one head is 6.25 % of them and the head',
  'grid is coarse. The ViT has no conv layer (its patch embedding is dense), so on it lrp:epsilon-plus-flat is epsilon',
  '1e-6 on every dense layer, flat on the patch embedding and the default softmax rule cp. One run, one seed:',
  'differences of one grid step are within noise.',
  '',
];
for (const r of results) {
  const best = r.rows.find((x) => x.criterion === r.bestBaseline);
  const opt = r.rows.find((x) => x.criterion === 'optimized LRP');
  lines.push(
    `## ${r.title}: ${r.components}`,
    '',
    `Unpruned accuracy ${pct(opt.base)}. Optimized LRP removes ${pct(opt.rate)} of the components (${opt.removed}) within 1 point; the best baseline (${r.bestBaseline}) ${pct(best.rate)} (${best.removed}). Search: ${r.searchSeconds.toFixed(0)} s.`,
    '',
  );
  lines.push('| criterion | removed within 1 point | accuracy there | AUC |', '|---|---|---|---|');
  for (const x of r.rows)
    lines.push(`| ${x.criterion} | ${pct(x.rate)} (${x.removed}) | ${pct(x.accuracy)} | ${x.auc.toFixed(4)} |`);
  lines.push('');
}
if (!REPORT_ONLY) fs.writeFileSync(JSON_FILE, JSON.stringify({ meta, results }, null, 1));
fs.writeFileSync(path.resolve(ROOT, RESULTS), lines.join('\n'));
console.log(lines.join('\n'));
