import { type BackendChoice, initBackend } from '../../core/backend/select';
import { type CriterionScores, componentScores, parseCriterion, CRITERIA } from '../../core/criteria/criteria';
import { badInput, usageError } from '../../core/errors';
import { type Graph, disposeGraph } from '../../core/graph/graph';
import { writeCurve, writeRelevance, writeRunJson } from '../../core/run-folder/write';
import { type Dataset, loadSplit } from '../../core/io/datasets';
import { trainModel } from '../../core/train/train-model';
import { COMPONENT_KINDS, type ComponentLayerInfo, catalogue, chooseComponents } from '../../core/prune/catalogue';
import { type Curve, largestRateWithin, pruningCurve } from '../../core/prune/curve';
import { NORMALIZATIONS, type Normalization, normalizeScores } from '../../core/prune/normalize';
import { ORT_CHANNEL_BLOCK } from '../../core/prune/physical-plan';
import { writeRunReport } from '../../core/report/run-report';
import { maskedEvaluator, nodeShapes } from '../../core/prune/masked-eval';
import { type CommandContext, EXECUTOR_OPTION, MODEL_OPTION, defineCommand } from '../command';
import {
  choiceValue,
  compositeSetting,
  criterionValue,
  executorFlag,
  initFlag,
  intFlag,
  intValue,
  normalizeFlag,
  rateFlag,
  rateValue,
  ratesFlag,
  ratesValue,
  requiredString,
  roundToFlag,
  roundToValue,
  stringFlag,
} from '../flags';
import { INITS, loadComposite } from '../../core/lrp/composites';
import type { InitMode } from '../../core/lrp/explanation-plan';
import { percent } from '../format';
import { INPUT_RANGE_OPTION, type OpenedModel, openModel } from '../inputs';
import { TASK_DATA_OPTIONS, keepClasses, loadTaskData, taskDataFolders } from '../task-data';
import { claimOutputFolder } from '../output-folder';
import { SOURCE_ROOTS_OPTION, sourceMapFor, sourceRootsFlag } from '../source-map';
import {
  type PhysicalRemoval,
  type PrunedModel,
  differenceLines,
  modelAccuracy,
  removePhysically,
} from '../physical-removal';

type Flags = Record<string, string | boolean | undefined>;

export const pruneCommand = defineCommand({
  name: 'prune',
  summary: 'score components by a criterion (LRP or a baseline), and measure accuracy as they are pruned (curve + AUC)',
  usage:
    'pxp prune --model MODEL.json|MODEL.onnx (--data DIR | --reference DIR --eval DIR) --criterion C --out RUN [--rates 0,0.05,…] [--rate P | --max-drop POINTS]',
  options: {
    model: MODEL_OPTION,
    ...TASK_DATA_OPTIONS,
    criterion: {
      type: 'string',
      placeholder: 'C',
      description: `${CRITERIA.join(' | ')} (default lrp:epsilon-plus-flat)`,
      value: criterionValue,
    },
    seed: {
      type: 'string',
      placeholder: 'N',
      description: 'seed for the reference pick, --restrict and the random criterion (default 0)',
      value: intValue(0),
    },
    rates: {
      type: 'string',
      placeholder: 'LIST',
      description: 'pruning rates of the masked curve (default 0, 0.05, …, 0.95)',
      value: ratesValue,
    },
    rate: {
      type: 'string',
      placeholder: 'P',
      description: 'also remove this fraction of components physically: RUN/pruned/ is a smaller LayersModel',
      value: rateValue,
    },
    normalize: {
      type: 'string',
      placeholder: 'MODE',
      description:
        "none (method.md, default) | mean | max: divide each layer's scores by their mean or max before the global ranking, which spreads the removals over the layers",
      value: choiceValue(NORMALIZATIONS),
    },
    'round-to': {
      type: 'string',
      placeholder: 'N|auto',
      description:
        "with --rate or --max-drop: every layer keeps a multiple of N components (or all), giving back its most relevant removed ones. auto (default): for an ONNX model, each layer of a multiple of 16 components (64 or more) keeps a multiple of 16, so the pruned file stays on onnxruntime's fast blocked convolutions; 1 removes exactly what the ranking allows",
      value: roundToValue,
    },
    'max-drop': {
      type: 'string',
      placeholder: 'POINTS',
      description:
        'instead of --rate: remove physically the largest rate of the curve before its accuracy falls more than POINTS percentage points below the unpruned model',
      value: (v) => void maxDropPoints(v),
    },
    'finetune-epochs': {
      type: 'string',
      placeholder: 'N',
      description:
        'train the pruned model N epochs (on the train split of --data, else on the reference set) and report the accuracy regained',
      value: intValue(0),
    },
    signed: {
      type: 'boolean',
      description:
        'rank LRP by the signed sum of relevance (abs_sort = false; default: the composite file\'s "abs_sort", else true)',
    },
    'most-relevant-first': {
      type: 'boolean',
      description:
        'remove the most relevant components first (least_relevant_first = false; default: the file\'s "least_relevant_first", else true)',
    },
    init: {
      type: 'string',
      placeholder: 'MODE',
      description: 'LRP\'s initial relevance: one-hot or logit (default: the composite file\'s "init", else one-hot)',
      value: choiceValue(INITS),
    },
    executor: EXECUTOR_OPTION,
    components: {
      type: 'string',
      placeholder: 'KIND',
      description: 'transformers: heads | neurons | both (default heads; the paper prunes each kind separately)',
      value: choiceValue(COMPONENT_KINDS),
    },
    'input-range': INPUT_RANGE_OPTION,
    out: {
      type: 'string',
      placeholder: 'DIR',
      description:
        'run folder: run.json, relevance.json, curve.json, report.html (+ pruned/ with --rate or --max-drop; source-map.json for ONNX models)',
    },
    ...SOURCE_ROOTS_OPTION,
  },
  required: ['model', 'out'],
  async run(flags, ctx) {
    const s = pruneSettings(flags);
    const inputs = [s.modelPath, ...s.folders.all];
    const out = claimOutputFolder(requiredString(flags, 'out', 'pass --out RUN'), inputs, { ...ctx, command: 'prune' });
    let pruned: PrunedModel | undefined;
    let opened: OpenedModel | undefined;
    let graph: Graph | undefined;
    try {
      const backend = await initBackend(ctx.backend);
      const started = Date.now();
      opened = await openModel(s.modelPath);
      graph = opened.graph();
      if (s.finetuneEpochs > 0 && !opened.tfjs)
        throw badInput(
          '--finetune-epochs: PXP fine-tunes its own tfjs models only',
          'fine-tune the pruned ONNX model (RUN/pruned/model.onnx) in PyTorch, e.g. with onnx2torch, or leave out --finetune-epochs',
        );
      const task = loadPruneTask(flags, s, opened, graph);
      const { layers, evaluation, classes } = task;
      const { scores, ranked, curve, curveExecutor } = await scoreAndMeasure(
        s.criterion,
        task,
        { ranking: s.ranking, normalize: s.normalize, rates: s.rates, executor: s.executor },
        ctx,
      );
      const run = runRecord(s, task, opened, curve, {
        backend,
        executor: curveExecutor,
        timings: { scoresSeconds: scores.seconds, totalSeconds: (Date.now() - started) / 1000 },
      });
      const chosen = s.maxDrop === undefined ? undefined : largestRateWithin(curve.points, s.maxDrop / 100)!;
      const physicalRate = chosen?.rate ?? s.rate;
      if (physicalRate !== undefined) {
        const removal = await removePhysically({
          opened,
          graph,
          shapes: task.shapes,
          layers,
          scores: ranked,
          leastRelevantFirst: s.ranking.leastRelevantFirst,
          rate: physicalRate,
          roundTo: s.roundTo,
          evaluation,
          classes,
          executor: s.executor,
          backendName: backend.name,
          signal: ctx.signal,
        });
        pruned = removal.pruned;
        run.physical = await physicalRecord(removal.result, pruned, chosen, s, task, ctx);
      }
      const sourceMap = sourceMapFor(
        opened,
        s.sourceRoots,
        layers.map((l) => l.name),
      );
      await out.write(async (dir) => {
        sourceMap?.write(dir);
        if (pruned) await pruned.save(dir, { criterion: s.criterion, rate: physicalRate! });
        writeRelevance(dir, relevanceOf(s.criterion, layers, scores));
        writeCurve(dir, curve);
        writeRunJson(dir, run);
        writeRunReport(dir);
      });
      const text = [
        ...curveLines(s.criterion, curve, evaluation, classes),
        ...(run.physical ? physicalLines(run.physical, opened.summary.params, chosen ? s.maxDrop : undefined) : []),
        ...(sourceMap ? [sourceMap.line] : []),
        `wrote ${out.dir}/run.json, curve.json, relevance.json${pruned ? ', pruned/' : ''}${sourceMap ? ', source-map.json' : ''} (${run.timings.totalSeconds.toFixed(1)} s)`,
      ].join('\n');
      return { value: { out: out.dir, ...run, curve }, text };
    } finally {
      pruned?.dispose();
      if (graph) disposeGraph(graph);
      opened?.dispose();
      out.release();
    }
  },
});

/** The prune command's flags, checked in this order (the first error is the one reported). */
function pruneSettings(flags: Flags) {
  const modelPath = requiredString(flags, 'model', 'pass --model path/to/model.json');
  const criterion = stringFlag(flags, 'criterion') ?? 'lrp:epsilon-plus-flat';
  const ranking = rankingSettings(flags, criterion);
  const folders = taskDataFolders(flags, pruneCommand.usage);
  const executor = executorFlag(flags);
  const sourceRoots = sourceRootsFlag(flags);
  const rates = ratesFlag(flags);
  const { rate, maxDrop } = physicalRateFlags(flags, rates);
  const finetuneEpochs = intFlag(flags, 'finetune-epochs', 0);
  if (finetuneEpochs > 0 && rate === undefined && maxDrop === undefined)
    throw usageError(
      '--finetune-epochs trains the physically pruned model, which needs --rate or --max-drop',
      'add --rate P or --max-drop POINTS',
    );
  const normalize = normalizeFlag(flags);
  const roundTo = roundToFlag(flags);
  if (stringFlag(flags, 'round-to') !== undefined && rate === undefined && maxDrop === undefined)
    throw usageError('--round-to shapes the physically pruned model', 'add --rate P or --max-drop POINTS');
  const seed = intFlag(flags, 'seed', 0);
  return {
    modelPath,
    criterion,
    ranking,
    folders,
    executor,
    sourceRoots,
    rates,
    rate,
    maxDrop,
    finetuneEpochs,
    normalize,
    roundTo,
    seed,
  };
}

type PruneSettings = ReturnType<typeof pruneSettings>;

/** The reference and evaluation data (with --preprocess's normalization set on the graph) and the component layers. */
function loadPruneTask(flags: Flags, s: PruneSettings, opened: OpenedModel, graph: Graph) {
  const { reference, evaluation, classes, preprocess } = loadTaskData(flags, opened, s.seed, pruneCommand.usage);
  if (preprocess?.mean && preprocess.std) graph.inputNormalization = { mean: preprocess.mean, std: preprocess.std };
  const shapes = nodeShapes(graph, opened.summary.inputShape);
  const layers = chooseComponents(catalogue(graph), stringFlag(flags, 'components'));
  return { graph, shapes, layers, reference, evaluation, classes, preprocess, seed: s.seed };
}

type PruneTask = ReturnType<typeof loadPruneTask>;

/** run.json of a prune run (its `physical` part is added once the model is pruned). */
function runRecord(
  s: PruneSettings,
  task: PruneTask,
  opened: OpenedModel,
  curve: Curve,
  measured: {
    backend: BackendChoice;
    executor: 'onnx' | 'tfjs';
    timings: { scoresSeconds: number; totalSeconds: number };
  },
) {
  const { reference, evaluation, classes, preprocess } = task;
  return {
    command: 'prune',
    model: opened.file,
    criterion: s.criterion,
    components: [...new Set(task.layers.map((l) => l.kind))],
    reference: { source: reference.source, samples: reference.y.length },
    evaluation: { source: evaluation.source, samples: evaluation.y.length },
    classes: classes ?? null,
    ...(opened.classNames ? { classNames: opened.classNames } : {}),
    settings: {
      seed: s.seed,
      absSort: s.ranking.absSort,
      leastRelevantFirst: s.ranking.leastRelevantFirst,
      ...(s.ranking.init ? { init: s.ranking.init } : {}),
      normalize: s.normalize,
      rates: curve.points.map((p) => p.rate),
      ...(preprocess ? { preprocess } : {}),
    },
    backend: measured.backend,
    executor: measured.executor,
    timings: measured.timings,
    auc: curve.auc,
    physical: undefined as undefined | PhysicalRemoval,
  };
}

/** run.json's `physical`: the removal, how --max-drop chose its rate, and the fine-tuning (--finetune-epochs). */
async function physicalRecord(
  removal: Omit<PhysicalRemoval, 'chosenBy' | 'finetune'>,
  pruned: PrunedModel,
  chosen: ReturnType<typeof largestRateWithin>,
  s: PruneSettings,
  task: PruneTask,
  ctx: CommandContext,
): Promise<PhysicalRemoval> {
  const finetune =
    s.finetuneEpochs > 0
      ? await finetunePruned(
          pruned.tfjs!,
          s.finetuneEpochs,
          removal.prunedAccuracy,
          { ...task, dataDir: s.folders.dataDir, executor: s.executor },
          ctx,
        )
      : undefined;
  return {
    ...removal,
    ...(chosen
      ? {
          chosenBy: {
            maxDropPoints: s.maxDrop!,
            baselineAccuracy: chosen.baseline,
            maskedAccuracyAtRate: chosen.accuracy,
          },
        }
      : {}),
    ...(finetune ? { finetune } : {}),
  };
}

/**
 * The criterion's score of every component on the reference samples, the ranking's input (raw scores, method.md,
 * or normalized per layer; relevance.json keeps the raw ones), and the masked accuracy curve as they are removed.
 */
async function scoreAndMeasure(
  criterion: string,
  task: {
    graph: Graph;
    shapes: ReturnType<typeof nodeShapes>;
    layers: ComponentLayerInfo[];
    reference: Dataset;
    evaluation: Dataset;
    classes?: number[];
    seed: number;
  },
  how: {
    ranking: ReturnType<typeof rankingSettings>;
    normalize: Normalization;
    rates?: number[];
    executor: ReturnType<typeof executorFlag>;
  },
  ctx: CommandContext,
): Promise<{ scores: CriterionScores; ranked: Float64Array[]; curve: Curve; curveExecutor: 'onnx' | 'tfjs' }> {
  const { graph, shapes, layers } = task;
  const { ranking, executor } = how;
  const scores = await componentScores(criterion, {
    graph,
    layers,
    reference: task.reference,
    seed: task.seed,
    absSort: ranking.absSort,
    init: ranking.init,
    executor,
    onProgress: ctx.progress,
    signal: ctx.signal,
  });
  const ranked = normalizeScores(scores.scores, how.normalize);
  const evaluator = await maskedEvaluator(graph, layers, task.evaluation, { executor, allowedClasses: task.classes });
  try {
    const curve = await pruningCurve(criterion, ranked, { graph, shapes, layers }, evaluator, {
      rates: how.rates,
      leastRelevantFirst: ranking.leastRelevantFirst,
      onProgress: ctx.progress,
      signal: ctx.signal,
    });
    return { scores, ranked, curve, curveExecutor: evaluator.executor };
  } finally {
    await evaluator.dispose();
  }
}

/** --rate P or --max-drop POINTS: what chooses the physical rate (at most one of them; neither: the curve only). */
function physicalRateFlags(
  flags: Parameters<typeof stringFlag>[0],
  rates: number[] | undefined,
): { rate?: number; maxDrop?: number } {
  const rate = rateFlag(flags, 'rate');
  const maxDropText = stringFlag(flags, 'max-drop');
  const maxDrop = maxDropText === undefined ? undefined : maxDropPoints(maxDropText);
  if (maxDrop !== undefined) {
    if (rate !== undefined) throw usageError('--rate and --max-drop both choose the physical rate', 'give one of them');
    if (rates && !rates.includes(0))
      throw usageError('--max-drop measures the drop from rate 0, which --rates leaves out', 'add 0 to --rates');
  }
  return { rate, maxDrop };
}

/**
 * --finetune-epochs: trains the pruned tfjs model on the task's training data, the train split of --data (restricted
 * like the rest), else the reference set, and measures what it regained.
 */
async function finetunePruned(
  model: NonNullable<PrunedModel['tfjs']>,
  epochs: number,
  prunedAccuracy: number,
  task: {
    dataDir?: string;
    reference: Dataset;
    evaluation: Dataset;
    classes?: number[];
    seed: number;
    executor: ReturnType<typeof executorFlag>;
  },
  ctx: CommandContext,
): Promise<NonNullable<PhysicalRemoval['finetune']>> {
  let trainData = task.dataDir ? loadSplit(task.dataDir, 'train') : task.reference;
  if (task.dataDir && task.classes) trainData = keepClasses(trainData, task.classes);
  const fit = await trainModel(model, trainData, {
    epochs,
    batchSize: 64,
    learningRate: 1e-4,
    seed: task.seed,
    executor: task.executor,
    onProgress: ctx.progress,
    signal: ctx.signal,
  });
  const accuracy = await modelAccuracy(model, task.evaluation, task.classes, ctx.signal);
  return {
    epochs,
    samples: trainData.y.length,
    executor: fit.executor,
    seconds: fit.seconds,
    accuracy,
    regained: accuracy - prunedAccuracy,
  };
}

/** The curve's AUC, then one line per rate of the masked curve, for the command's text output. */
function curveLines(criterion: string, curve: Curve, evaluation: Dataset, classes: number[] | undefined): string[] {
  return [
    `${criterion}: AUC ${curve.auc.toFixed(4)} (max 0.95) on ${evaluation.y.length} samples${classes ? ` of classes ${classes.join(', ')}` : ''}`,
    ...curve.points.map(
      (p) =>
        `  rate ${p.rate.toFixed(2)}  removed ${String(p.removed).padStart(4)}  accuracy ${percent(p.accuracy, 1).padStart(7)}  params ${p.params}  FLOPs ${p.flops}`,
    ),
  ];
}

/** relevance.json: the criterion's raw score of every component by layer (and, for LRP, each layer's rule). */
function relevanceOf(criterion: string, layers: ComponentLayerInfo[], scores: CriterionScores) {
  return {
    criterion,
    layers: layers.map((l, i) => ({ name: l.name, kind: l.kind, scores: Array.from(scores.scores[i]) })),
    ...(scores.layerRules ? { rules: scores.layerRules } : {}),
  };
}

/** --max-drop POINTS: accuracy points in [0, 100]. */
function maxDropPoints(text: string): number {
  const n = text.trim() === '' ? NaN : Number(text);
  if (!(Number.isFinite(n) && n >= 0 && n <= 100))
    throw usageError(
      `--max-drop ${text} is not a number of accuracy points in [0, 100]`,
      'e.g. --max-drop 1 keeps the accuracy within one point',
    );
  return n;
}

/** The report of a physical removal, for the command's text output. */
function physicalLines(p: PhysicalRemoval, originalParams: number, maxDrop: number | undefined): string[] {
  return [
    ...(p.chosenBy && maxDrop !== undefined
      ? [
          `--max-drop ${maxDrop}: rate ${p.rate} is the largest before the masked accuracy falls more than ${maxDrop} point${maxDrop === 1 ? '' : 's'} below the unpruned ${percent(p.chosenBy.baselineAccuracy, 1)}`,
        ]
      : []),
    `physically pruned at rate ${p.rate}${p.roundTo === 'auto' ? ` (layers of a multiple of ${ORT_CHANNEL_BLOCK} components keep a multiple of ${ORT_CHANNEL_BLOCK}: --round-to auto)` : p.roundTo ? ` (every layer a multiple of ${p.roundTo})` : ''}: ${p.removed}/${p.total} components; accuracy ${percent(p.prunedAccuracy, 1)} (masked: ${percent(p.maskedAccuracy, 1)})`,
    ...differenceLines(p),
    ...(p.finetune
      ? [
          `  fine-tuned ${p.finetune.epochs} epochs: accuracy ${percent(p.finetune.accuracy, 1)} (${(p.finetune.regained * 100).toFixed(1)} points regained)`,
        ]
      : []),
    `  params ${originalParams} → ${p.params.pruned}, latency ${p.latencyMs.original.toFixed(1)} → ${p.latencyMs.pruned.toFixed(1)} ms per batch of ${p.latencyMs.batch} on ${p.latencyMs.engine} (${p.removed === 0 ? 'nothing removed: the same model, so the difference is timing noise' : `${p.speedup.toFixed(2)}× faster`})`,
  ];
}

/**
 * How the criterion's scores are ranked, and LRP's initial relevance: from the flags, else from the composite file
 * (a search's best-composite.json carries all three), else method.md's defaults. A flag that contradicts the file
 * is an error (flags.ts, compositeSetting).
 */
function rankingSettings(
  flags: Record<string, string | boolean | undefined>,
  criterion: string,
): { absSort: boolean; leastRelevantFirst: boolean; init?: InitMode } {
  const parsed = parseCriterion(criterion);
  const initArg = initFlag(flags);
  if (parsed.kind !== 'lrp') {
    if (initArg !== undefined)
      throw usageError(
        `--init applies to LRP criteria, not ${criterion}`,
        'leave --init out, or use --criterion lrp:…',
      );
    return { absSort: flags.signed !== true, leastRelevantFirst: flags['most-relevant-first'] !== true };
  }
  const file = loadComposite(parsed.composite);
  const from = (key: string, value: unknown) => ({ name: parsed.composite, key, value: value as never });
  return {
    absSort: compositeSetting(
      { name: '--signed', value: flags.signed === true ? false : undefined },
      from('abs_sort', file.absSort),
      true,
    ),
    leastRelevantFirst: compositeSetting(
      { name: '--most-relevant-first', value: flags['most-relevant-first'] === true ? false : undefined },
      from('least_relevant_first', file.leastRelevantFirst),
      true,
    ),
    init: compositeSetting<InitMode>({ name: `--init ${initArg}`, value: initArg }, from('init', file.init), 'one-hot'),
  };
}
