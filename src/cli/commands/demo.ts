/**
 * The embedded Fashion-MNIST demo: runs offline on a fresh machine from the files under examples/fashion-mnist
 * (a trained VGG-style model, 100 reference images, 10 per class, and 1 000 test images). It shows what the engine
 * knows about the model, how well the model does, LRP relevance of the reference images with heatmaps, and pruning
 * curves (LRP against two baselines); the physical-pruning and search issues extend it to the whole method.
 */
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../../core/errors';
import { Command } from '../command';
import { stringFlag } from '../flags';
import { attributeCommand } from './attribute';
import { evaluateCommand } from './evaluate';
import { infoCommand } from './info';
import { pruneCommand } from './prune';
import { searchCommand } from './search';
import { readCurve } from '../../core/run-folder/read';

/** The paper's comparison on the demo: optimized-attribution pruning against two baselines. */
const DEMO_CRITERIA = ['lrp:epsilon-plus-flat', 'taylor', 'random'];

/** examples/fashion-mnist, found from the bundle (dist/cli.js) or from the sources (src/cli/commands). */
export function demoFolder(): string {
  const candidates = [path.resolve(__dirname, '..', 'examples', 'fashion-mnist'), path.resolve(__dirname, '..', '..', '..', 'examples', 'fashion-mnist')];
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'model', 'model.json')));
  if (!found) throw badInput(`the demo files are missing (looked in ${candidates.join(', ')})`, 'run pxp demo from a complete checkout or package of PXP Studio');
  return found;
}

/** Marks a folder as the demo's own output, which a later demo run may replace. */
const MARKER = '.pxp-demo';

function prepareDemoOutput(out: string, force: boolean): void {
  if (!fs.existsSync(out)) return;
  const entries = fs.readdirSync(out);
  if (entries.length === 0) return;
  if (!entries.includes(MARKER) && !force) throw badInput(`--out ${out} exists, is not empty and is not an earlier demo's output`, 'choose another --out folder, or pass --force');
  for (const e of ['attribution', 'search', ...DEMO_CRITERIA.map(runName)]) fs.rmSync(path.join(out, e), { recursive: true, force: true });
}

const runName = (criterion: string) => `prune-${criterion.replace(/[^a-z0-9-]+/gi, '-')}`;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run PXP on the embedded Fashion-MNIST model and data (offline)',
  usage: 'pxp demo [--out pxp-demo] [--json]',
  options: { out: { type: 'string', placeholder: 'DIR', description: 'where the demo writes its results (default ./pxp-demo)' } },
  async run(flags, ctx) {
    const dir = demoFolder();
    const out = path.resolve(stringFlag(flags, 'out') ?? 'pxp-demo');
    prepareDemoOutput(out, ctx.force);
    const model = path.join(dir, 'model', 'model.json');
    ctx.log(`PXP demo: ${model}`);
    const info = await infoCommand.run({ model }, ctx);
    const evaluation = await evaluateCommand.run({ model, data: path.join(dir, 'test') }, ctx);
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, MARKER), 'written by pxp demo; a later pxp demo may replace this folder\n');
    const attribution = await attributeCommand.run(
      {
        model,
        inputs: path.join(dir, 'reference', 'x.npy'),
        targets: path.join(dir, 'reference', 'y.npy'),
        composite: 'epsilon-plus-flat',
        out: path.join(out, 'attribution'),
        heatmaps: '20',
      },
      ctx,
    );
    const curves: { criterion: string; auc: number; points: { rate: number; accuracy: number }[] }[] = [];
    for (const criterion of DEMO_CRITERIA) {
      const run = await pruneCommand.run(
        { model, reference: path.join(dir, 'reference'), eval: path.join(dir, 'test'), criterion, seed: '0', out: path.join(out, runName(criterion)) },
        ctx,
      );
      curves.push((run.value as { curve: (typeof curves)[number] }).curve);
    }
    // The paper's method in short: a few trials of the composite search, scored like the curves above.
    const search = await searchCommand.run(
      { model, reference: path.join(dir, 'reference'), eval: path.join(dir, 'test'), trials: '8', 'startup-trials': '4', seed: '0', baselines: 'none', out: path.join(out, 'search') },
      ctx,
    );
    const searched = search.value as { best: { auc: number }; out: string };
    const bestCurve = readCurve(searched.out);
    curves.push({ ...bestCurve, criterion: 'lrp (searched, 8 trials)' });
    const at = (c: (typeof curves)[number], rate: number) => c.points.find((p) => Math.abs(p.rate - rate) < 1e-9)?.accuracy ?? NaN;
    const table = [
      `${'criterion'.padEnd(24)} ${'AUC'.padStart(6)}  ${[0, 0.1, 0.2, 0.3, 0.4].map((r) => `acc@${r.toFixed(1)}`.padStart(8)).join(' ')}`,
      ...curves.map((c) => `${c.criterion.padEnd(24)} ${c.auc.toFixed(3).padStart(6)}  ${[0, 0.1, 0.2, 0.3, 0.4].map((r) => `${(100 * at(c, r)).toFixed(1)} %`.padStart(8)).join(' ')}`),
    ];
    return {
      value: { demo: dir, out, info: info.value, evaluate: evaluation.value, attribute: attribution.value, pruning: curves.map((c) => ({ criterion: c.criterion, auc: c.auc })) },
      text: [
        '== model ==',
        info.text,
        '',
        '== evaluation on the embedded test slice ==',
        evaluation.text,
        '',
        '== LRP relevance of the 100 reference images (epsilon-plus-flat) ==',
        attribution.text,
        `heatmaps (input | relevance, red positive, blue negative): ${path.join(out, 'attribution', 'heatmaps')}`,
        '',
        '== pruning by masking: accuracy on the test slice as the least relevant components go (20 rates), and an optimized composite ==',
        ...table,
        `reports (open in a browser): ${[...DEMO_CRITERIA.map(runName), 'search'].map((r) => path.join(out, r, 'report.html')).join(', ')}`,
        `the searched composite: ${path.join(out, 'search', 'best-composite.json')}`,
      ].join('\n'),
    };
  },
};
