/**
 * `pxp search`: reads the flags and the inputs, builds the space and the sampler, runs the trial loop of
 * core/search/run-study.ts (here or on worker threads), scores the comparison and writes the run folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../../core/backend/select';
import { badInput, usageError } from '../../core/errors';
import { type Graph, disposeGraph } from '../../core/graph/graph';
import { type Dataset, loadFolder, loadSplit } from '../../core/io/datasets';
import { INITS, compositeToJson, describeRule } from '../../core/lrp/composites';
import { COMPONENT_KINDS, type ComponentLayerInfo, catalogue, chooseComponents } from '../../core/prune/catalogue';
import { type MaskedEvaluator, maskedEvaluator, nodeShapes } from '../../core/prune/masked-eval';
import { NORMALIZATIONS, type Normalization } from '../../core/prune/normalize';
import { writeRunReport } from '../../core/report/run-report';
import { writeSearchReport } from '../../core/report/search-report';
import { readJsonObject, readTrialsToResume } from '../../core/run-folder/read';
import { type Json, asObject } from '../../shared/run-folder/json';
import { dataFingerprint, modelFingerprint } from '../../core/io/fingerprint';
import { curveRates } from '../../core/prune/ranking';
import { BEST_CRITERION, type ComparisonCurve, type TrialLine } from '../../shared/run-folder/types';
import { writeComparison, writeCurve, writeJsonFile, writeRelevance, writeRunJson } from '../../core/run-folder/write';
import { AttributionObjective } from '../../core/search/attribution-search';
import { scoreComparison } from '../../core/search/comparison';
import { describeParams } from '../../core/search/describe-params';
import { GridSampler } from '../../core/search/grid-sampler';
import { type LayerGroups, searchGroups, searchLayers } from '../../core/search/layer-groups';
import { customizeSpace, lrpSearchSpace, paramsToComposite, rulePattern } from '../../core/search/lrp-space';
import { RETIRED_PARAMS } from '../../core/search/retired-params';
import { RandomSampler } from '../../core/search/random-sampler';
import { type StudyPlan, type TrialRunner, localTrials, runStudy } from '../../core/search/run-study';
import { FileStudyStorage } from '../../core/search/storage/file-storage';
import type { SearchSpace, Trial } from '../../core/search/space';
import { bestTrial } from '../../core/search/study';
import {
  SELECTION_CANDIDATES,
  type Selection,
  type SelectionCurve,
  describeSelection,
  selectTrial,
} from '../../core/search/selection';
import { type StartingPlan, StartingSampler, startingPoints } from '../../core/search/starting-points';
import { TpeSampler } from '../../core/search/tpe';
import { defaultWorkerCount, workerScript } from '../../workers/parallel';
import { TrialPool, pooledTrials } from '../../workers/search-pool';
import { type CommandContext, EXECUTOR_OPTION, MODEL_OPTION, defineCommand } from '../command';
import {
  baselinesValue,
  choiceValue,
  executorFlag,
  initFlag,
  intFlag,
  intValue,
  normalizeFlag,
  parseBaselines,
  ratesFlag,
  ratesValue,
  requiredString,
  stringFlag,
  workersFlag,
} from '../flags';
import { type OpenedModel, fitData, openModel } from '../inputs';
import { claimOutputFolder } from '../output-folder';
import { TASK_DATA_OPTIONS, keepClasses, loadTaskData, preprocessingFor, taskDataFolders } from '../task-data';

type Flags = Record<string, string | boolean | undefined>;

export const USAGE =
  'pxp search --model MODEL.json|MODEL.onnx (--data DIR | --reference DIR --eval DIR [--holdout DIR]) --trials N --out RUN [--resume]';
const DEFAULT_BASELINES = 'presets,taylor,gradient,weight,random';

export interface SearchSettings {
  modelPath: string;
  trialsWanted: number;
  seed: number;
  sampler: 'tpe' | 'random' | 'grid';
  startupTrials: number;
  timeout?: number;
  executor: 'auto' | 'onnx' | 'tfjs';
  rates?: number[];
  normalize: Normalization;
  workers: number;
  /** Trials suggested together, each from the trials before its batch (default: workers). */
  batch: number;
  holdoutDir?: string;
  spaceFile?: string;
  init?: 'one-hot' | 'logit';
  components?: string;
  baselines: string[];
}

export function readSettings(flags: Flags, log: (line: string) => void): SearchSettings {
  const sampler = stringFlag(flags, 'sampler') ?? 'tpe';
  if (sampler !== 'tpe' && sampler !== 'random' && sampler !== 'grid')
    throw usageError(`--sampler ${sampler} is not a sampler`, 'use tpe, random or grid');
  const workers = workersFlag(flags, 1, log);
  if (workers > 1 && !workerScript()) throw badInput('--workers needs dist/worker.js', 'run npm run build');
  return {
    modelPath: requiredString(flags, 'model', 'pass --model path/to/model.json'),
    trialsWanted: trialsWanted(stringFlag(flags, 'trials') ?? '30'),
    seed: intFlag(flags, 'seed', 0),
    sampler,
    startupTrials: intFlag(flags, 'startup-trials', 10, 0),
    timeout: intFlag(flags, 'timeout', undefined, 1),
    executor: executorFlag(flags),
    rates: ratesFlag(flags),
    normalize: normalizeFlag(flags),
    workers,
    batch: intFlag(flags, 'batch', workers, 1),
    holdoutDir: stringFlag(flags, 'holdout'),
    spaceFile: stringFlag(flags, 'space'),
    init: initFlag(flags),
    components: stringFlag(flags, 'components'),
    baselines: parseBaselines(stringFlag(flags, 'baselines') ?? DEFAULT_BASELINES),
  };
}

function trialsWanted(text: string): number {
  const n = text.trim() === '' ? NaN : Number(text);
  if (!(Number.isInteger(n) && n >= 1))
    throw usageError(
      `--trials ${text}: a search needs a whole number of trials, at least one`,
      'give --trials N with N ≥ 1',
    );
  return n;
}

/** The settings a trial's AUC depends on besides the model, the data and the space (run.json records them). */
function trialSettings(s: SearchSettings) {
  return {
    seed: s.seed,
    sampler: s.sampler,
    batch: s.batch,
    normalize: s.normalize,
    startupTrials: s.startupTrials,
    rates: s.rates ?? curveRates(),
    components: s.components ?? null,
  };
}

const FLAG_OF: Record<keyof ReturnType<typeof trialSettings>, string> = {
  seed: '--seed',
  sampler: '--sampler',
  batch: '--batch (or --workers without it)',
  normalize: '--normalize',
  startupTrials: '--startup-trials',
  rates: '--rates',
  components: '--components',
};
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * With --resume: the search run.json describes, checked against this run's settings before anything is loaded (the
 * model and data are compared once loaded: checkSameTask). Nothing in the folder is written until both pass.
 */
function previousSearch(out: string, outArg: string, s: SearchSettings): Json {
  if (!fs.existsSync(path.join(out, 'run.json')))
    throw badInput(`--resume: ${outArg} holds no search to resume (no run.json)`, 'start the search without --resume');
  const previous = readJsonObject(
    out,
    'run.json',
    'resume a folder written by pxp search, or start a new search without --resume',
  );
  if (previous.command !== 'search')
    throw badInput(`--resume: ${outArg} is not a search run`, 'resume a folder written by pxp search');
  // An older run folder has no batch: its batches were its workers.
  const was = { normalize: 'none', ...previous, batch: previous.batch ?? previous.workers ?? 1 } as Record<
    string,
    unknown
  >;
  const now = trialSettings(s);
  const differ = (Object.keys(now) as (keyof typeof now)[]).filter((k) => !same(was[k], now[k]));
  if (differ.length) {
    const show = (v: unknown) =>
      Array.isArray(v) ? v.join(',') : v === null || v === undefined ? '(none)' : String(v);
    throw badInput(
      `--resume: ${outArg} ran with ${differ.map((k) => `${FLAG_OF[k]} ${show(was[k])}`).join(' ')} (this run: ${differ.map((k) => `${FLAG_OF[k]} ${show(now[k])}`).join(' ')})`,
      'resume with the settings the search ran with (every one changes the trials or their AUC), or start a new search in another folder',
    );
  }
  return previous;
}

/** With --resume: the model, the data (as the trials see them), the classes and the space must be those the trials were scored on. */
function checkSameTask(
  previous: Json,
  fingerprint: SearchFingerprint,
  task: SearchTask,
  outArg: string,
  opened: OpenedModel,
): void {
  const recorded = asObject(previous.fingerprint);
  if (!recorded)
    throw badInput(
      `--resume: ${outArg} does not record the model and data it searched (written by an older PXP)`,
      'start a new search in another folder; its trials cannot be checked against this model and data',
    );
  const fail = (what: string) =>
    badInput(
      `--resume: ${what}`,
      'resume with the model and data the search ran on, or start a new search in another folder',
    );
  if (recorded.model !== fingerprint.model)
    throw fail(
      `${outArg} searched another model: ${opened.file} differs from the one it ran with (${String(previous.model)})`,
    );
  for (const k of ['reference', 'evaluation', 'holdout'] as const) {
    if (!same(recorded[k] ?? null, fingerprint[k]))
      throw fail(`the ${k} data differ from those ${outArg} ran with (${JSON.stringify(previous[k] ?? null)})`);
  }
  if (!same(previous.classes ?? null, task.classes ?? null))
    throw fail(
      `${outArg} ran on classes ${JSON.stringify(previous.classes ?? 'all')}, this run on ${JSON.stringify(task.classes ?? 'all')}`,
    );
  if (!same(previous.space, task.space))
    throw fail(`${outArg} searched another space (--space, --init or the model's layer groups differ)`);
}

interface SearchFingerprint {
  model: string;
  reference: string;
  evaluation: string;
  holdout: string | null;
}

function searchFingerprint(opened: OpenedModel, task: SearchTask): SearchFingerprint {
  return {
    model: modelFingerprint(opened),
    reference: dataFingerprint(task.reference),
    evaluation: dataFingerprint(task.evaluation),
    holdout: task.holdout ? dataFingerprint(task.holdout) : null,
  };
}

/** The finished trials a resume continues from; an older search's trials (other parameters) cannot be continued. */
function resumableTrials(out: string, space: SearchSpace): TrialLine[] {
  const done = readTrialsToResume(out);
  const names = new Set(space.map((p) => p.name));
  const foreign = [...new Set(done.flatMap((t) => Object.keys(t.params)).filter((k) => !names.has(k)))];
  if (foreign.length) {
    const retired = foreign.filter((k) => RETIRED_PARAMS.includes(k));
    throw badInput(
      `--resume: the trials in ${out} have parameters this search space lacks (${foreign.join(', ')})${retired.length ? `; ${retired.join(', ')} is no longer searched, as it cannot change a component's score` : ''}`,
      'start a new search (without --resume) in another folder; pxp search --force over this one starts from no trials',
    );
  }
  return done;
}

function readSpaceFile(file: string): unknown {
  if (!fs.existsSync(file)) throw badInput(`--space ${file}: file not found`, 'pass the path of a JSON space file');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw badInput(`${file}: not valid JSON (${(e as Error).message})`, 'fix the JSON of the space file');
  }
}

export interface SearchTask {
  reference: Dataset;
  evaluation: Dataset;
  holdout?: Dataset;
  classes?: number[];
  shapes: number[][];
  layers: ComponentLayerInfo[];
  groups: LayerGroups;
  space: SearchSpace;
  starting: StartingPlan;
}

/** Data, component layers, groups, space (narrowed by --space and --init) and the starting points. */
export function loadTask(flags: Flags, s: SearchSettings, opened: OpenedModel, graph: Graph): SearchTask {
  const { reference, evaluation, classes, preprocess } = loadTaskData(flags, opened, s.seed, USAGE);
  if (preprocess?.mean && preprocess.std) graph.inputNormalization = { mean: preprocess.mean, std: preprocess.std };
  const dataDir = stringFlag(flags, 'data');
  const { image } = preprocessingFor(flags, opened);
  let holdout = s.holdoutDir
    ? loadFolder(s.holdoutDir, { image })
    : dataDir
      ? loadSplit(dataDir, 'val', { image })
      : undefined;
  if (holdout) holdout = fitData(holdout, opened);
  if (holdout && classes) holdout = keepClasses(holdout, classes);
  const layers = chooseComponents(catalogue(graph), s.components);
  const linear = searchLayers(graph);
  const model = { graph, components: layers };
  const defaults = (groups: LayerGroups) => ({ groups, space: lrpSearchSpace(groups) });
  let { groups, space } = s.spaceFile
    ? customizeSpace(
        readSpaceFile(s.spaceFile),
        s.spaceFile,
        model,
        linear.map((l) => l.name),
      )
    : defaults(searchGroups(model));
  if (s.init) space = space.map((p) => (p.name === 'init' ? { ...p, choices: [s.init!] } : p));
  return {
    reference,
    evaluation,
    holdout,
    classes,
    shapes: nodeShapes(graph, opened.summary.inputShape),
    layers,
    groups,
    space,
    starting: startingPoints(space, groups, linear),
  };
}

export function makeSampler(s: SearchSettings, task: SearchTask): StartingSampler {
  const inner =
    s.sampler === 'grid'
      ? new GridSampler(task.space)
      : s.sampler === 'random'
        ? new RandomSampler(task.space, { seed: s.seed })
        : new TpeSampler(task.space, { seed: s.seed, startupTrials: s.startupTrials, patternOf: rulePattern });
  return new StartingSampler(task.starting.points, inner);
}

export function logSpace(ctx: CommandContext, task: SearchTask): void {
  const { groups, space } = task;
  ctx.log(
    `search space: ${Object.entries(groups.groups)
      .map(
        ([g, names]) =>
          `${g} = ${names.join(', ')}${groups.inert.includes(g) ? ' (not searched: its rule cannot change a component score)' : ''}`,
      )
      .join('; ')}`,
  );
  const softmax = space.some((p) => p.name === 'softmax.rule')
    ? 'softmax ∈ {epsilon, z-plus, z-plus-vbias, cp}; '
    : groups.softmax === 'inert'
      ? 'softmax not searched (it cannot change a component score); '
      : '';
  ctx.log(
    `  per group: rule ∈ {epsilon (ε log-uniform 1e-6…1), z-plus, alpha-beta (α 1…3, β = α − 1), gamma (γ log-uniform 1e-3…10)}; ${softmax}init ∈ {one-hot, logit}; abs_sort, least_relevant_first ∈ {true, false}`,
  );
  ctx.log(
    `  starting points: ${task.starting.points.map((p) => p.name).join(', ') || 'none'}${task.starting.notes.length ? ` (${task.starting.notes.join('; ')})` : ''}`,
  );
}

/** The accuracy under masks a search scores its curves with (the caller disposes it). */
export function searchEvaluator(s: SearchSettings, task: SearchTask, graph: Graph): Promise<MaskedEvaluator> {
  return maskedEvaluator(graph, task.layers, task.evaluation, { executor: s.executor, allowedClasses: task.classes });
}

/** The objective a trial scores: the AUC of the pruning curve of the composite it names. */
export function searchObjective(
  s: SearchSettings,
  task: SearchTask,
  graph: Graph,
  evaluator: MaskedEvaluator,
  ctx: CommandContext,
): AttributionObjective {
  return new AttributionObjective({
    graph,
    shapes: task.shapes,
    layers: task.layers,
    groups: task.groups,
    reference: task.reference,
    evaluator,
    executor: s.executor,
    rates: s.rates,
    normalize: s.normalize,
    signal: ctx.signal,
  });
}

export async function trialRunner(
  s: SearchSettings,
  task: SearchTask,
  opened: OpenedModel,
  objective: AttributionObjective,
  ctx: CommandContext,
): Promise<{ runner: TrialRunner; close: () => Promise<void> }> {
  if (s.workers === 1) return { runner: localTrials(objective), close: async () => {} };
  const init = {
    backend: ctx.backend,
    modelPath: opened.file,
    reference: task.reference,
    evaluation: task.evaluation,
    classes: task.classes,
    components: s.components,
    groups: task.groups,
    rates: s.rates,
    normalize: s.normalize,
    executor: s.executor,
    ortThreads: Math.max(1, Math.floor(defaultWorkerCount() / s.workers)),
  };
  const pool = await TrialPool.start(init, s.workers, ctx.signal);
  return { runner: pooledTrials(pool, objective), close: () => pool.close() };
}

export function studyPlan(
  s: SearchSettings,
  sampler: StartingSampler,
  started: number,
  ctx: CommandContext,
): StudyPlan {
  return {
    sampler,
    startingPoint: (n) => sampler.nameOf(n),
    workers: s.workers,
    deadline: s.timeout === undefined ? undefined : started + 1000 * s.timeout,
    note: ctx.log,
  };
}

export function reportTrial(ctx: CommandContext, line: TrialLine, best: Trial, of: number): void {
  const news = {
    trial: line.number + 1,
    of,
    auc: line.auc,
    best: best.value,
    seconds: line.seconds,
    params: describeParams(line.params),
    ...(line.enqueued ? { start: line.enqueued } : {}),
  };
  if (ctx.json) process.stderr.write(JSON.stringify({ trial: news }) + '\n');
  else
    ctx.log(
      `trial ${news.trial}/${of}: AUC ${line.auc.toFixed(4)} (best ${best.value!.toFixed(4)}) ${line.seconds.toFixed(1)} s${line.cached ? ', relevance cached' : ''}${line.enqueued ? ` [start: ${line.enqueued}]` : ''} — ${news.params}`,
    );
}

export const searchCommand = defineCommand({
  name: 'search',
  summary:
    'optimize the LRP composite for pruning: a TPE (or random, grid) search for the highest AUC, starting from the presets',
  usage: USAGE,
  options: {
    model: MODEL_OPTION,
    ...TASK_DATA_OPTIONS,
    holdout: {
      type: 'string',
      placeholder: 'DIR',
      description:
        'held-out samples (x.npy + y.npy) on which the best composite, the presets and the baselines are scored too (with --data: its val split)',
    },
    trials: {
      type: 'string',
      placeholder: 'N',
      description: 'number of trials, the starting points included (default 30)',
      value: (v) => void trialsWanted(v),
    },
    space: {
      type: 'string',
      placeholder: 'FILE',
      description:
        'JSON narrowing or widening the space: {"groups": {group: [layers]}, "params": {name: {choices} | {low, high}}}',
    },
    init: {
      type: 'string',
      placeholder: 'MODE',
      description: 'search only this initial relevance: one-hot | logit (default: both)',
      value: choiceValue(INITS),
    },
    sampler: {
      type: 'string',
      placeholder: 'NAME',
      description: 'tpe (default) | random | grid; every sampler starts from the presets and fixed points',
      value: choiceValue(['tpe', 'random', 'grid']),
    },
    'startup-trials': {
      type: 'string',
      placeholder: 'N',
      description:
        'finished trials (starting points included) before TPE models the history; the rest random (default 10)',
      value: intValue(0),
    },
    seed: {
      type: 'string',
      placeholder: 'N',
      description: 'seed of the sampler and the reference pick (default 0)',
      value: intValue(0),
    },
    timeout: {
      type: 'string',
      placeholder: 'S',
      description: 'stop starting new trials after S seconds',
      value: intValue(1),
    },
    rates: {
      type: 'string',
      placeholder: 'LIST',
      description: 'pruning rates of each curve (default 0, 0.05, …, 0.95)',
      value: ratesValue,
    },
    normalize: {
      type: 'string',
      placeholder: 'MODE',
      description: 'how each curve ranks: none (method.md, default) | mean | max, as pxp prune --normalize',
      value: choiceValue(NORMALIZATIONS),
    },
    executor: EXECUTOR_OPTION,
    workers: {
      type: 'string',
      placeholder: 'N',
      description:
        'trials run together on N worker threads, the cores shared between them (default 1; at most one per core)',
      value: intValue(1),
    },
    batch: {
      type: 'string',
      placeholder: 'N',
      description:
        'trials suggested together, each from the trials before its batch (default --workers); the same batch gives the same trials on any number of threads or processes',
      value: intValue(1),
    },
    components: {
      type: 'string',
      placeholder: 'KIND',
      description: 'transformers: heads | neurons | both (default heads)',
      value: choiceValue(COMPONENT_KINDS),
    },
    baselines: {
      type: 'string',
      placeholder: 'LIST',
      description: `criteria to score beside the best composite (default: ${DEFAULT_BASELINES}, where presets are the five LRP presets; none to skip)`,
      value: baselinesValue,
    },
    resume: {
      type: 'boolean',
      description: 'continue the search in --out (after a crash or a kill); the same seed gives the same trials',
    },
    out: {
      type: 'string',
      placeholder: 'DIR',
      description:
        'run folder: trials.jsonl, best-composite.json, comparison.json, run.json, curve.json, report.html, search.html',
    },
  },
  required: ['model', 'out'],
  async run(flags, ctx) {
    const s = readSettings(flags, ctx.log);
    const resume = flags.resume === true;
    const outArg = requiredString(flags, 'out', 'pass --out RUN');
    const inputs = [
      s.modelPath,
      ...taskDataFolders(flags, USAGE).all,
      ...(s.holdoutDir ? [s.holdoutDir] : []),
      ...(s.spaceFile ? [s.spaceFile] : []),
    ];
    const out = claimOutputFolder(outArg, inputs, { ...ctx, command: 'search' }, { resume });
    let opened: OpenedModel | undefined;
    let graph: Graph | undefined;
    try {
      const previous = resume ? previousSearch(out.dir, outArg, s) : undefined;
      const backend = await initBackend(ctx.backend);
      const started = Date.now();
      opened = await openModel(s.modelPath);
      graph = opened.graph();
      const task = loadTask(flags, s, opened, graph);
      const fingerprint = searchFingerprint(opened, task);
      // Trials first: an older search's retired parameters get their own message rather than "another space".
      const done = previous ? resumableTrials(out.dir, task.space) : [];
      if (previous) checkSameTask(previous, fingerprint, task, outArg, opened);
      const evaluator = await searchEvaluator(s, task, graph);
      const objective = searchObjective(s, task, graph, evaluator, ctx);
      // Only --resume continues a log; a new search replaces an old folder (--force) whole and starts from no trials.
      const dir = out.openInPlace({ keep: resume });
      const storage = new FileStudyStorage(dir, done, s.trialsWanted, s.batch);
      const runInfo = { ...runDescription(s, task, opened, backend, evaluator.executor), fingerprint };
      writeRunJson(dir, { ...runInfo, status: 'running' });
      logSpace(ctx, task);
      const sampler = makeSampler(s, task);
      const { runner, close } = await trialRunner(s, task, opened, objective, ctx);
      let study;
      try {
        study = await runStudy(studyPlan(s, sampler, started, ctx), runner, storage, (line, best) =>
          reportTrial(ctx, line, best, s.trialsWanted),
        );
      } finally {
        await close();
      }
      // Relevance passes the trials needed (the re-evaluations of the best point below hit the cache).
      const relevanceComputed = study.trials.length - done.length - objective.cacheHits;
      const picked = await pickResult(study.trials, task.starting.points.length, objective, ctx);
      const finished = await finishSearch(dir, picked, s, task, graph, objective, evaluator, ctx);
      const result = {
        ...runInfo,
        status: 'done',
        stoppedBy: study.stoppedBy,
        trials: study.trials.length,
        relevanceComputed,
        ...finished.summary,
        timings: { totalSeconds: (Date.now() - started) / 1000 },
      };
      writeRunJson(dir, result);
      writeRunReport(dir);
      writeSearchReport(dir);
      return {
        value: { out: dir, ...result },
        text: summaryText(dir, result, finished, study.trials.length, s.normalize),
      };
    } finally {
      if (graph) disposeGraph(graph);
      opened?.dispose();
      out.release();
    }
  },
});

export function runDescription(
  s: SearchSettings,
  task: SearchTask,
  opened: OpenedModel,
  backend: unknown,
  executor: string,
) {
  return {
    command: 'search',
    model: opened.file,
    reference: { source: task.reference.source, samples: task.reference.y.length },
    evaluation: { source: task.evaluation.source, samples: task.evaluation.y.length },
    holdout: task.holdout ? { source: task.holdout.source, samples: task.holdout.y.length } : null,
    classes: task.classes ?? null,
    ...(opened.classNames ? { classNames: opened.classNames } : {}),
    workers: s.workers,
    ...trialSettings(s),
    trialsWanted: s.trialsWanted,
    groups: task.groups.groups,
    inertGroups: task.groups.inert,
    space: task.space,
    startingPoints: task.starting.points.map((p, trial) => ({ name: p.name, trial })),
    startingNotes: task.starting.notes,
    backend,
    executor,
  };
}

export interface Finished {
  comparison: ComparisonCurve[];
  composite: ReturnType<typeof paramsToComposite>;
  summary: {
    best: { number: number; auc: number; params: Trial['params']; holdoutAuc?: number };
    /** How the result was picked among the best trials (absent when the best trial is a starting point). */
    selection?: Selection & { summary: string };
    comparison: { criterion: string; auc: number; holdoutAuc?: number }[];
    criterion: string;
    auc: number;
    settings: {
      absSort: boolean;
      leastRelevantFirst: boolean;
      init: string;
      normalize: Normalization;
      rates: number[];
    };
  };
}

/**
 * The search's result (selection.ts): the best trial when it is a starting point; else the best trial among the
 * top ones that beats the best starting point beyond the noise of the search images, or that starting point.
 */
export async function pickResult(
  trials: Trial[],
  startingCount: number,
  objective: AttributionObjective,
  ctx: CommandContext,
): Promise<{ best: Trial; selection?: Selection }> {
  const top = bestTrial(trials);
  if (!top) throw badInput('no trial finished', 'give the search more time or trials');
  const base = bestTrial(trials.filter((t) => t.number < startingCount));
  if (!base || top.number === base.number) return { best: top };
  const others = trials
    .filter((t) => t.number >= startingCount && t.value !== undefined && t.value > base.value!)
    .sort((a, b) => b.value! - a.value!)
    .slice(0, SELECTION_CANDIDATES);
  ctx.progress({ done: 0, total: others.length + 1, message: 'checking the best trials against the noise' });
  const curveOf = async (t: Trial): Promise<SelectionCurve & { rates: number[] }> => {
    const curve = await objective.evaluate(t.params, undefined, true);
    return { number: t.number, auc: curve.auc, correct: curve.correct!, rates: curve.points.map((p) => p.rate) };
  };
  const baseCurve = await curveOf(base);
  const otherCurves: SelectionCurve[] = [];
  for (const [k, t] of others.entries()) {
    ctx.progress({ done: k + 1, total: others.length + 1, message: 'checking the best trials against the noise' });
    otherCurves.push(await curveOf(t));
  }
  const selection = selectTrial(baseCurve.rates, baseCurve, otherCurves);
  return { best: trials.find((t) => t.number === selection.picked)!, selection };
}

/** The picked trial's composite, curve and scores, and the comparison on the evaluation and held-out data. */
export async function finishSearch(
  out: string,
  picked: { best: Trial; selection?: Selection },
  s: SearchSettings,
  task: SearchTask,
  graph: Graph,
  objective: AttributionObjective,
  evaluator: MaskedEvaluator,
  ctx: CommandContext,
): Promise<Finished> {
  const { best, selection } = picked;
  const composite = paramsToComposite(best.params, task.groups, path.join(out, 'best-composite.json'));
  writeJsonFile(out, 'best-composite.json', compositeToJson(composite), 2);
  const bestCurve = await objective.evaluate(best.params);
  writeCurve(out, { ...bestCurve, criterion: BEST_CRITERION });
  const holdout = task.holdout
    ? await maskedEvaluator(graph, task.layers, task.holdout, { executor: s.executor, allowedClasses: task.classes })
    : undefined;
  let comparison: ComparisonCurve[];
  try {
    const cctx = {
      graph,
      shapes: task.shapes,
      layers: task.layers,
      reference: task.reference,
      seed: s.seed,
      executor: s.executor,
      normalize: s.normalize,
      rates: s.rates,
      evaluation: evaluator,
      holdout,
      signal: ctx.signal,
    };
    comparison = await scoreComparison(best.params, objective, s.baselines, cctx, ctx.log);
  } finally {
    await holdout?.dispose();
    await evaluator.dispose();
  }
  const data = (d?: Dataset) => (d ? { source: d.source, samples: d.y.length } : undefined);
  writeComparison(out, {
    curves: comparison,
    evaluation: data(task.evaluation),
    ...(task.holdout ? { holdout: data(task.holdout) } : {}),
  });
  const scores = await objective.scores(best.params);
  writeRelevance(out, {
    criterion: BEST_CRITERION,
    layers: task.layers.map((l, i) => ({ name: l.name, kind: l.kind, scores: Array.from(scores[i]) })),
  });
  const holdoutAuc = comparison[0].holdout?.auc;
  return {
    comparison,
    composite,
    summary: {
      best: {
        number: best.number,
        auc: best.value!,
        params: best.params,
        ...(holdoutAuc !== undefined ? { holdoutAuc } : {}),
      },
      ...(selection ? { selection: { ...selection, summary: describeSelection(selection) } } : {}),
      comparison: comparison.map((c) => ({
        criterion: c.criterion,
        auc: c.auc,
        ...(c.holdout ? { holdoutAuc: c.holdout.auc } : {}),
      })),
      criterion: BEST_CRITERION,
      auc: best.value!,
      settings: {
        absSort: composite.absSort!,
        leastRelevantFirst: composite.leastRelevantFirst!,
        init: composite.init!,
        normalize: s.normalize,
        rates: bestCurve.points.map((p) => p.rate),
      },
    },
  };
}

export function summaryText(
  out: string,
  result: { timings: { totalSeconds: number } },
  f: Finished,
  trials: number,
  normalize: Normalization,
): string {
  const { best } = f.summary;
  const others = f.comparison.slice(1);
  const held = f.comparison[0].holdout ? others.filter((c) => c.holdout) : [];
  const topHeld = held.reduce<ComparisonCurve | undefined>(
    (b, c) => (!b || c.holdout!.auc > b.holdout!.auc ? c : b),
    undefined,
  );
  return [
    f.summary.selection
      ? `result of ${trials} trials: trial ${best.number + 1}, AUC ${best.auc.toFixed(4)} on these data${best.holdoutAuc !== undefined ? `, ${best.holdoutAuc.toFixed(4)} held out` : ''}`
      : `best of ${trials} trials: AUC ${best.auc.toFixed(4)} (trial ${best.number + 1}; the maximum over the trials on these data, so biased upwards)${best.holdoutAuc !== undefined ? `; on held-out data ${best.holdoutAuc.toFixed(4)}` : ''}`,
    ...(f.summary.selection ? [`  ${describeSelection(f.summary.selection)}`] : []),
    ...(others.length
      ? [
          `  beside: ${others.map((c) => `${c.criterion} ${c.auc.toFixed(4)}${c.holdout ? ` (held out ${c.holdout.auc.toFixed(4)})` : ''}`).join(', ')}`,
        ]
      : []),
    ...(topHeld && best.holdoutAuc !== undefined
      ? [
          `  held out: best composite ${best.holdoutAuc.toFixed(4)} vs the best other criterion, ${topHeld.criterion}, ${topHeld.holdout!.auc.toFixed(4)} (${best.holdoutAuc > topHeld.holdout!.auc ? 'the search wins' : best.holdoutAuc === topHeld.holdout!.auc ? 'a tie' : 'the search loses'})`,
        ]
      : []),
    `  ${describeParams(best.params)}`,
    `  rules: ${Object.entries(f.composite.layers)
      .map(([n, r]) => `${n} ${describeRule(r)}`)
      .join(', ')}`,
    `wrote ${out}/best-composite.json, trials.jsonl, comparison.json, report.html, search.html (${result.timings.totalSeconds.toFixed(0)} s)`,
    `prune with it: pxp prune --criterion lrp:${path.join(out, 'best-composite.json')}${normalize === 'none' ? '' : ` --normalize ${normalize}`} … (the file carries init, abs_sort and least_relevant_first)`,
  ].join('\n');
}
