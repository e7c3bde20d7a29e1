// Does the search win on images it never saw? (issue 13.) For each model: a `pxp search` (25 TPE trials, seed 0)
// tuned on one half of 2 000 Fashion-MNIST test images, and the best composite, every LRP preset and every baseline
// criterion scored on the other half (the search's --holdout, comparison.json). Prints the table and writes
// docs/search-quality.md and docs/search-quality.json.
//
// Models: the demo CNN (examples/fashion-mnist/model), the demo ViT (heads, and MLP neurons), and two CNNs the script
// trains itself with `pxp train` (a VGG-style one with another seed, a residual one), cached under bench/cache/models
// so reruns skip the training.
//
// Usage: npm run build && node bench/search-quality.mjs   (or npm run bench:search)
// Env: PXP_TRIALS (default 25), PXP_EVAL (test images, split in halves; default 2000), PXP_MODELS (default
// cnn,vit-heads,vit-neurons,vgg,resnet), PXP_SEED (default 0), PXP_REPORT_ONLY=1 (rewrite the Markdown from the JSON).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const CACHE = path.join(ROOT, 'bench', 'cache');
const FASHION = '/usr/share/datasets/fashion-mnist';
const TRIALS = String(Number(process.env.PXP_TRIALS) || 25);
const EVAL = Number(process.env.PXP_EVAL) || 2000;
const SEED = String(Number(process.env.PXP_SEED) || 0);
const DATA = path.join(CACHE, `data-${EVAL}`);
const WORK = path.join(CACHE, 'search-quality');
const BASELINES = ['taylor', 'integrated-gradients', 'gradient', 'activation', 'weight', 'random'];
const ONLY = (process.env.PXP_MODELS || 'cnn,vit-heads,vit-neurons,vgg,resnet').split(',');
const RESULTS = path.join(ROOT, 'docs', 'search-quality.md');
const JSON_FILE = path.join(ROOT, 'docs', 'search-quality.json');

const MODELS = [
  { id: 'cnn', title: 'demo CNN (VGG-style, examples/fashion-mnist/model)', model: 'examples/fashion-mnist/model' },
  {
    id: 'vit-heads',
    title: 'demo ViT (examples/fashion-mnist-vit/model), attention heads',
    model: 'examples/fashion-mnist-vit/model',
    components: 'heads',
  },
  {
    id: 'vit-neurons',
    title: 'demo ViT (examples/fashion-mnist-vit/model), MLP neurons',
    model: 'examples/fashion-mnist-vit/model',
    components: 'neurons',
  },
  {
    id: 'vgg',
    title: 'VGG-style CNN trained here (pxp train --arch vgg --seed 7 --epochs 4)',
    train: ['--arch', 'vgg', '--seed', '7', '--epochs', '4'],
    model: 'bench/cache/models/vgg-seed7',
  },
  {
    id: 'resnet',
    title: 'ResNet-style CNN trained here (pxp train --arch resnet --seed 3 --epochs 3)',
    train: ['--arch', 'resnet', '--seed', '3', '--epochs', '3'],
    model: 'bench/cache/models/resnet-seed3',
  },
];

function run(args, label) {
  const t0 = Date.now();
  const r = spawnSync(args[0], args.slice(1), { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 << 20 });
  const seconds = (Date.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${label} failed (exit ${r.status}):\n${(r.stderr || '').slice(-3000)}`);
  console.log(`${label}: ${seconds.toFixed(0)} s`);
  return { seconds, stdout: r.stdout };
}

const pxp = (args, label) => run(['node', 'dist/cli.js', ...args], label);
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

function prepare(m) {
  if (!m.train || fs.existsSync(path.join(ROOT, m.model, 'model.json'))) return;
  pxp(['train', ...m.train, '--data', FASHION, '--out', m.model, '--quiet', '--force'], `${m.id}: train`);
}

function measure(m) {
  prepare(m);
  const out = path.join(WORK, m.id);
  const args = [
    'search',
    '--model',
    m.model,
    '--reference',
    path.join(DATA, 'reference'),
    '--eval',
    path.join(DATA, 'half-a'),
    '--holdout',
    path.join(DATA, 'half-b'),
    '--trials',
    TRIALS,
    '--seed',
    SEED,
    '--baselines',
    ['presets', ...BASELINES].join(','),
    ...(m.components ? ['--components', m.components] : []),
    '--out',
    out,
    '--force',
    '--json',
  ];
  const { seconds, stdout } = pxp(args, `${m.id}: search (${TRIALS} trials) and comparison`);
  const result = JSON.parse(stdout);
  const comparison = readJson(path.join(out, 'comparison.json'));
  const trials = fs
    .readFileSync(path.join(out, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const best = comparison.curves.find((c) => c.selectionBiased);
  const others = comparison.curves.filter((c) => !c.selectionBiased);
  const top = others.reduce((a, c) => (c.holdout.auc > a.holdout.auc ? c : a));
  return {
    id: m.id,
    title: m.title,
    seconds,
    trainedAccuracy: m.train ? readJson(path.join(ROOT, m.model, 'training.json')).testAccuracy : undefined,
    searchSamples: comparison.evaluation.samples,
    holdoutSamples: comparison.holdout.samples,
    best: {
      trial: result.best.number + 1,
      params: result.best.params,
      enqueued: trials[result.best.number].enqueued ?? null,
      own: best.auc,
      holdout: best.holdout.auc,
      // How pxp picked it when a trial beat every starting point on the search half (selection.ts).
      selection: result.selection?.summary ?? null,
    },
    rows: others.map((c) => ({ criterion: c.criterion, own: c.auc, holdout: c.holdout.auc })),
    topOther: { criterion: top.criterion, holdout: top.holdout.auc },
    wins: best.holdout.auc > top.holdout.auc,
    margin: best.holdout.auc - top.holdout.auc,
  };
}

const REPORT_ONLY = process.env.PXP_REPORT_ONLY === '1';
const previous = REPORT_ONLY ? readJson(JSON_FILE) : undefined;
// A run over some models keeps the last results of the others (same settings), in the MODELS order.
const kept = !REPORT_ONLY && fs.existsSync(JSON_FILE) ? readJson(JSON_FILE) : undefined;
const sameSettings = kept && kept.meta.trials === TRIALS && kept.meta.seed === SEED && kept.meta.eval === EVAL;
const results = previous ? previous.results : sameSettings ? kept.results.filter((r) => !ONLY.includes(r.id)) : [];
if (!REPORT_ONLY) {
  if (!fs.existsSync(path.join(DATA, 'half-b', 'y.npy')))
    run(['npx', 'tsx', 'bench/search-quality-data.ts', DATA, String(EVAL), FASHION], 'data');
  for (const m of MODELS.filter((x) => ONLY.includes(x.id))) {
    results.push(measure(m));
    results.sort((a, b) => MODELS.findIndex((x) => x.id === a.id) - MODELS.findIndex((x) => x.id === b.id));
    fs.writeFileSync(JSON_FILE, JSON.stringify({ meta: { ...meta(), partial: true }, results }, null, 1));
  }
}

function meta() {
  return (
    previous?.meta ?? {
      date: new Date().toISOString().slice(0, 10),
      cpu: os.cpus()[0]?.model ?? 'cpu',
      cores: os.cpus().length,
      load: os.loadavg()[0],
      trials: TRIALS,
      seed: SEED,
      eval: EVAL,
    }
  );
}

const f4 = (x) => x.toFixed(4);
/** The held-out margin in units of one image at one rate (an AUC step of 0.05 / n on n images). */
const imageRates = (r) => Math.abs(r.margin) / (0.05 / r.holdoutSamples);
const metaNow = meta();
const criteria = [...new Set(results.flatMap((r) => r.rows.map((x) => x.criterion)))];
const lines = [
  '# Does the search win on images it never saw?',
  '',
  `Measured by \`node bench/search-quality.mjs\` on ${metaNow.date} (${metaNow.cpu}, ${metaNow.cores} cores; load average ${metaNow.load.toFixed(1)} at the end).`,
  `Reference set: 10 Fashion-MNIST training images per class. Each \`pxp search\` (${metaNow.trials} trials, seed ${metaNow.seed}: the`,
  'LRP presets and fixed points first, then TPE) is tuned on the first half of the first',
  `${metaNow.eval} test images; every AUC below is on the other half, which no trial was chosen on (\`--holdout\`,`,
  '`comparison.json`). AUC: accuracy of the masked model over the pruning rates 0, 0.05, …, 0.95 (trapezoid rule, at',
  'most 0.95). One seed, one split: on 1 000 images a difference of a few thousandths is within the noise.',
  '',
  '## Held-out AUC',
  '',
  `| criterion | ${results.map((r) => r.id).join(' | ')} |`,
  `|---|${results.map(() => '---').join('|')}|`,
  `| **best composite** | ${results.map((r) => `**${f4(r.best.holdout)}**`).join(' | ')} |`,
  ...criteria.map(
    (c) =>
      `| ${c} | ${results
        .map((r) => {
          const x = r.rows.find((y) => y.criterion === c);
          return x ? f4(x.holdout) : '—';
        })
        .join(' | ')} |`,
  ),
  `| search wins? | ${results.map((r) => `${r.wins ? 'yes' : r.margin === 0 ? 'tie' : 'no'} (${r.margin >= 0 ? '+' : '−'}${f4(Math.abs(r.margin))} vs ${r.topOther.criterion})`).join(' | ')} |`,
  `| margin in images | ${results.map((r) => `${r.margin >= 0 ? '+' : '−'}${imageRates(r).toFixed(0)}`).join(' | ')} |`,
  '',
  'Margin in images: the held-out AUC difference to the best other criterion in units of one image changing its',
  'prediction at one of the 19 rates after 0 (an AUC step of 0.05 / n for n held-out images): the curves differ by that',
  'many image-rate flips, net. The result of a search is its best trial on the search half when that is a starting point;',
  'otherwise the best starting point, unless one of the 5 best trials beats it there by at least 1.645 standard errors of',
  'the paired per-image AUC difference (src/core/search/selection.ts): a win within the noise of the search half does',
  'not carry over to other images, so it does not replace a point known to be good.',
  '',
  '## The searches',
  '',
  '| model | result trial | its AUC on the search half | held out | search + comparison |',
  '|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.title} | #${r.best.trial}${r.best.enqueued ? ` (starting point ${r.best.enqueued})` : ''} | ${f4(r.best.own)} | ${f4(r.best.holdout)} | ${r.seconds.toFixed(0)} s |`,
  ),
  '',
  ...results.map(
    (r) =>
      `- ${r.id}: ${Object.entries(r.best.params)
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ', ',
        )}${r.trainedAccuracy !== undefined ? ` (model test accuracy ${(100 * r.trainedAccuracy).toFixed(1)} %)` : ''}; search half ${r.searchSamples} images, held-out half ${r.holdoutSamples}.${r.best.selection ? ` Picked: ${r.best.selection}.` : ''}`,
  ),
  '',
];
if (!REPORT_ONLY) fs.writeFileSync(JSON_FILE, JSON.stringify({ meta: metaNow, results }, null, 1));
fs.writeFileSync(RESULTS, lines.join('\n'));
console.log(lines.join('\n'));
