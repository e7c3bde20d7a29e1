/**
 * The embedded Fashion-MNIST demos, offline on a fresh machine: examples/fashion-mnist (a trained VGG-style tfjs
 * model, 100 reference images, 10 per class, and 1 000 test images) or, with --torch, examples/fashion-mnist-torch
 * (a torchvision MobileNetV2 exported to ONNX by scripts/make-torch-demo.py, with the same slices in its NCHW
 * layout). It shows what the engine knows about the model, how well the model does, LRP relevance of the reference
 * images with heatmaps, pruning curves (LRP against two baselines) and a short composite search; the PyTorch demo
 * also takes home the model pruned within one accuracy point, as an ONNX file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../../core/errors';
import { type CommandContext, defineCommand } from '../command';
import { lockFolder } from '../../core/io/result-folder';
import { stringFlag } from '../flags';
import { attributeCommand } from './attribute';
import { compareCommand } from './compare';
import { evaluateCommand } from './evaluate';
import { infoCommand } from './info';
import { pruneCommand } from './prune';
import { searchCommand } from './search';
import { type PhysicalRemoval, differenceLines } from '../physical-removal';
import { readCurve } from '../../core/run-folder/read';

interface Demo {
  /** Folder under examples/ and the model file in it. */
  folder: string;
  model: string;
  title: string;
  /** The paper's comparison: LRP pruning against two baselines. */
  criteria: string[];
  /** The criterion whose run also removes physically, within one accuracy point (--max-drop 1). */
  removeWith?: string;
  /** Flags of that physical removal beyond --max-drop 1. */
  removeFlags?: Record<string, string>;
}

const DEMOS: Record<'tfjs' | 'torch', Demo> = {
  tfjs: {
    folder: 'fashion-mnist',
    model: path.join('model', 'model.json'),
    title: 'the VGG-style tfjs model',
    criteria: ['lrp:epsilon-plus-flat', 'taylor', 'random'],
  },
  // z-plus (epsilon-plus-flat) gives a depthwise conv's input channel no relevance when its one weight at a 1×1 map
  // is negative, so on MobileNetV2 it removes channels that matter; alpha-beta keeps the negative part (NOTES.md).
  torch: {
    folder: 'fashion-mnist-torch',
    model: 'model.onnx',
    title: 'a torchvision MobileNetV2 exported to ONNX',
    criteria: ['lrp:epsilon-plus-flat', 'lrp:epsilon-alpha2-beta1-flat', 'taylor', 'random'],
    removeWith: 'lrp:epsilon-alpha2-beta1-flat',
    // onnxruntime's blocked (NCHWc) convs need channel counts in multiples of 16: without it the pruned
    // MobileNetV2 is smaller but slower (NOTES.md, --round-to).
    removeFlags: { 'round-to': '16' },
  },
};

/** A demo's folder under examples/, found from the bundle (dist/cli.js) or from the sources (src/cli/commands). */
export function demoFolder(demo: Demo = DEMOS.tfjs): string {
  const candidates = [
    path.resolve(__dirname, '..', 'examples', demo.folder),
    path.resolve(__dirname, '..', '..', '..', 'examples', demo.folder),
  ];
  const found = candidates.find((d) => fs.existsSync(path.join(d, demo.model)));
  if (!found)
    throw badInput(
      `the demo files are missing (looked in ${candidates.join(', ')})`,
      'run pxp demo from a complete checkout or package of PXP Studio',
    );
  return found;
}

/** Marks a folder as the demo's own output, which a later demo run may replace. */
const MARKER = '.pxp-demo';

function prepareDemoOutput(out: string, force: boolean, criteria: string[]): void {
  if (!fs.existsSync(out)) return;
  const entries = fs.readdirSync(out);
  if (entries.length === 0) return;
  if (!entries.includes(MARKER) && !force)
    throw badInput(
      `--out ${out} exists, is not empty and is not an earlier demo's output`,
      'choose another --out folder, or pass --force',
    );
  for (const e of ['attribution', 'search', 'compare', ...criteria.map(runName)])
    fs.rmSync(path.join(out, e), { recursive: true, force: true });
}

const runName = (criterion: string) => `prune-${criterion.replace(/[^a-z0-9-]+/gi, '-')}`;

/** Every file of a demo's output a user opens, with what it shows (issue 17 item 11: the closing summary names them all). */
export function demoFiles(out: string, criteria: string[], removeWith?: string): { file: string; what: string }[] {
  return [
    {
      file: path.join(out, 'attribution', 'heatmaps'),
      what: 'LRP heatmaps of the reference images (input | relevance, red positive, blue negative)',
    },
    ...criteria.map((c) => ({
      file: path.join(out, runName(c), 'report.html'),
      what: `pruning curve, costs and per-layer scores: ${c}`,
    })),
    {
      file: path.join(out, 'search', 'search.html'),
      what: 'the composite search: AUC per trial, best so far, parameter importance',
    },
    { file: path.join(out, 'search', 'report.html'), what: 'the pruning curve of the searched composite' },
    {
      file: path.join(out, 'search', 'best-composite.json'),
      what: 'the searched composite (pxp prune --criterion lrp:FILE)',
    },
    { file: path.join(out, 'compare', 'compare.html'), what: 'every curve above in one chart' },
    ...(removeWith
      ? [
          {
            file: path.join(out, runName(removeWith), 'pruned', 'model.onnx'),
            what: 'the model pruned within one accuracy point (load it with onnxruntime)',
          },
        ]
      : []),
  ];
}

/** A step's result, printed as soon as the step is done (the closing text then only sums up). */
const section = (title: string, text: string) => `\n== ${title} ==\n${text}`;

export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'run PXP on the embedded Fashion-MNIST model and data (offline)',
  usage: 'pxp demo [--torch] [--out pxp-demo] [--json]',
  options: {
    out: {
      type: 'string',
      placeholder: 'DIR',
      description: 'where the demo writes its results (default ./pxp-demo, with --torch ./pxp-demo-torch)',
    },
    torch: {
      type: 'boolean',
      description: 'the PyTorch demo: a torchvision MobileNetV2 in ONNX, pruned into an ONNX file',
    },
  },
  async run(flags, ctx) {
    const demo = flags.torch === true ? DEMOS.torch : DEMOS.tfjs;
    const dir = demoFolder(demo);
    const out = path.resolve(stringFlag(flags, 'out') ?? (demo === DEMOS.torch ? 'pxp-demo-torch' : 'pxp-demo'));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const lock = lockFolder(out, 'demo');
    try {
      return await runDemo(demo, dir, out, ctx);
    } finally {
      lock.release();
    }
  },
});

async function runDemo(demo: Demo, dir: string, out: string, ctx: CommandContext) {
  prepareDemoOutput(out, ctx.force, demo.criteria);
  const model = path.join(dir, demo.model);
  ctx.log(`PXP demo on ${demo.title}: ${model}`);
  const info = await infoCommand.run({ model }, ctx);
  ctx.log(section('model', info.text));
  const evaluation = await evaluateCommand.run({ model, data: path.join(dir, 'test') }, ctx);
  ctx.log(section('evaluation on the embedded test slice', evaluation.text));
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
  ctx.log(
    section(
      'LRP relevance of the 100 reference images (epsilon-plus-flat)',
      `${attribution.text}\nheatmaps: ${path.join(out, 'attribution', 'heatmaps')}`,
    ),
  );
  const { curves, physical } = await demoPruning(demo, dir, model, out, ctx);
  const searched = await demoSearch(dir, model, out, ctx);
  curves.push(searched.curve);
  // One chart of every curve: the prune runs and the searched composite's.
  await compareCommand.run(
    {
      runs: [...demo.criteria.map((c) => path.join(out, runName(c))), searched.out].join(','),
      out: path.join(out, 'compare'),
    },
    ctx,
  );
  return {
    value: {
      demo: dir,
      out,
      info: info.value,
      evaluate: evaluation.value,
      attribute: attribution.value,
      pruning: curves.map((c) => ({ criterion: c.criterion, auc: c.auc })),
      ...(physical ? { physical } : {}),
    },
    text: [
      `== summary: ${demo.title}, accuracy on the test slice as the least relevant components go (20 rates), and an optimized composite ==`,
      ...curveTable(curves),
      ...(physical && demo.removeWith
        ? [
            '',
            `removed for real: ${demo.removeWith}, the largest rate within one accuracy point (--max-drop 1)`,
            ...physicalLines(physical, path.join(out, runName(demo.removeWith), 'pruned', 'model.onnx')),
          ]
        : []),
      '',
      'files to open (the .html pages in a browser, or in the editor with PXP: Open Report…):',
      ...demoFiles(out, demo.criteria, physical ? demo.removeWith : undefined).map((f) => `  ${f.file}  ${f.what}`),
    ].join('\n'),
  };
}

type DemoCurve = { criterion: string; auc: number; points: { rate: number; accuracy: number }[] };

/** pxp prune with each of the demo's criteria (the one it removes with goes physical at --max-drop 1), logged. */
async function demoPruning(demo: Demo, dir: string, model: string, out: string, ctx: CommandContext) {
  const curves: DemoCurve[] = [];
  let physical: PhysicalRemoval | undefined;
  for (const criterion of demo.criteria) {
    const removal = criterion === demo.removeWith ? { 'max-drop': '1', ...demo.removeFlags } : {};
    const run = await pruneCommand.run(
      {
        model,
        reference: path.join(dir, 'reference'),
        eval: path.join(dir, 'test'),
        criterion,
        seed: '0',
        ...removal,
        out: path.join(out, runName(criterion)),
      },
      ctx,
    );
    const value = run.value;
    curves.push(value.curve);
    physical ??= value.physical;
    ctx.log(
      section(
        `pruning by ${criterion}: AUC ${value.curve.auc.toFixed(3)}`,
        `report: ${path.join(out, runName(criterion), 'report.html')}${value.physical ? `\n${physicalLines(value.physical, path.join(out, runName(criterion), 'pruned', 'model.onnx')).join('\n')}` : ''}`,
      ),
    );
  }
  return { curves, physical };
}

/** The paper's method in short: a few trials of the composite search, scored like the curves above. */
async function demoSearch(
  dir: string,
  model: string,
  out: string,
  ctx: CommandContext,
): Promise<{ curve: DemoCurve; out: string }> {
  const search = await searchCommand.run(
    {
      model,
      reference: path.join(dir, 'reference'),
      eval: path.join(dir, 'test'),
      trials: '8',
      'startup-trials': '4',
      seed: '0',
      baselines: 'none',
      out: path.join(out, 'search'),
    },
    ctx,
  );
  const searched = search.value;
  const bestCurve = readCurve(searched.out);
  ctx.log(
    section(
      `composite search, 8 trials: best AUC ${searched.best.auc.toFixed(3)}`,
      `${path.join(out, 'search', 'search.html')}`,
    ),
  );
  return { curve: { ...bestCurve, criterion: 'lrp (searched, 8 trials)' }, out: searched.out };
}

/** The summary table: each curve's AUC and its accuracy at the first rates. */
function curveTable(curves: DemoCurve[]): string[] {
  const at = (c: DemoCurve, rate: number) => c.points.find((p) => Math.abs(p.rate - rate) < 1e-9)?.accuracy ?? NaN;
  return [
    `${'criterion'.padEnd(30)} ${'AUC'.padStart(6)}  ${[0, 0.1, 0.2, 0.3, 0.4].map((r) => `acc@${r.toFixed(1)}`.padStart(8)).join(' ')}`,
    ...curves.map(
      (c) =>
        `${c.criterion.padEnd(30)} ${c.auc.toFixed(3).padStart(6)}  ${[0, 0.1, 0.2, 0.3, 0.4].map((r) => `${(100 * at(c, r)).toFixed(1)} %`.padStart(8)).join(' ')}`,
    ),
  ];
}

function physicalLines(p: PhysicalRemoval, file: string): string[] {
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
  return [
    `rate ${p.rate}: ${p.removed} of ${p.total} components, accuracy ${pct(p.chosenBy?.baselineAccuracy ?? NaN)} → ${pct(p.prunedAccuracy)}`,
    ...differenceLines(p),
    `params ${p.params.original} → ${p.params.pruned}, FLOPs ${p.flops.original} → ${p.flops.pruned}, ${p.latencyMs.engine} ${p.latencyMs.original.toFixed(1)} → ${p.latencyMs.pruned.toFixed(1)} ms per batch of ${p.latencyMs.batch} (${p.speedup.toFixed(2)}×)`,
    `wrote ${file} (load it with onnxruntime)`,
  ];
}
