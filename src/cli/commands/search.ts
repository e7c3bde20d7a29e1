import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../../core/backend/select';
import { badInput, usageError } from '../../core/errors';
import { disposeGraph, graphFromModel } from '../../core/graph/graph';
import { loadFolder, loadSplit } from '../../core/io/datasets';
import { PRESET_NAMES, compositeToJson, describeRule } from '../../core/lrp/composites';
import { componentScores, parseCriterion } from '../../core/criteria/criteria';
import { pruningCurve } from '../../core/prune/curve';
import { normalizeScores } from '../../core/prune/normalize';
import { catalogue, chooseComponents } from '../../core/prune/catalogue';
import { maskedEvaluator, nodeShapes } from '../../core/prune/masked-eval';
import { writeRunReport } from '../../core/report/run-report';
import { writeSearchReport } from '../../core/report/search-report';
import { readTrials } from '../../core/run-folder/read';
import type { TrialLine } from '../../core/run-folder/types';
import { TrialLog, writeComparison, writeCurve, writeJsonFile, writeRelevance, writeRunJson } from '../../core/run-folder/write';
import { describeParams } from '../../core/search/describe-params';
import { AttributionObjective } from '../../core/search/attribution-search';
import { GridSampler } from '../../core/search/grid-sampler';
import { customizeSpace, layerGroups, lrpSearchSpace, paramsToComposite, relevanceKey, searchLayers } from '../../core/search/lrp-space';
import { RandomSampler } from '../../core/search/random-sampler';
import type { Params, Sampler, Trial } from '../../core/search/space';
import { bestTrial, historyFor } from '../../core/search/study';
import { TpeSampler } from '../../core/search/tpe';
import { defaultWorkerCount, workerScript } from '../../engine/parallel';
import { TrialPool } from '../../engine/search-pool';
import type { Curve } from '../../core/prune/curve';
import { Command } from '../command';
import { executorFlag, intFlag, normalizeFlag, ratesFlag, requiredString, stringFlag } from '../flags';
import { openModel } from '../inputs';
import { checkOutputFolder } from '../output-folder';
import { TASK_DATA_OPTIONS, keepClasses, loadTaskData, taskDataFolders } from '../task-data';

function readJsonFile(file: string): unknown {
  if (!fs.existsSync(file)) throw badInput(`--space ${file}: file not found`, 'pass the path of a JSON space file');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw badInput(`${file}: not valid JSON (${(e as Error).message})`, 'fix the JSON of the space file');
  }
}

export const searchCommand: Command = {
  name: 'search',
  summary: 'optimize the LRP composite for pruning: a TPE (or random, grid) search for the highest AUC',
  usage: 'pxp search --model MODEL.json (--data DIR | --reference DIR --eval DIR [--holdout DIR]) --trials N --out RUN [--resume]',
  options: {
    model: { type: 'string', placeholder: 'FILE', description: 'a tfjs model.json' },
    ...TASK_DATA_OPTIONS,
    holdout: { type: 'string', placeholder: 'DIR', description: 'held-out samples (x.npy + y.npy) to score the best composite on (with --data: its val split)' },
    trials: { type: 'string', placeholder: 'N', description: 'number of trials (default 30)' },
    space: { type: 'string', placeholder: 'FILE', description: 'JSON narrowing or widening the space: {"groups": {group: [layers]}, "params": {name: {choices} | {low, high}}}' },
    sampler: { type: 'string', placeholder: 'NAME', description: 'tpe (default) | random | grid' },
    'startup-trials': { type: 'string', placeholder: 'N', description: 'random trials before TPE models the history (default 10)' },
    seed: { type: 'string', placeholder: 'N', description: 'seed of the sampler and the reference pick (default 0)' },
    timeout: { type: 'string', placeholder: 'S', description: 'stop starting new trials after S seconds' },
    rates: { type: 'string', placeholder: 'LIST', description: 'pruning rates of each curve (default 0, 0.05, …, 0.95)' },
    normalize: { type: 'string', placeholder: 'MODE', description: 'how each curve ranks: none (method.md, default) | mean | max, as pxp prune --normalize' },
    executor: { type: 'string', placeholder: 'NAME', description: 'auto | onnx | tfjs (default auto: onnxruntime when installed)' },
    workers: { type: 'string', placeholder: 'N', description: 'trials run together on N worker threads, the cores shared between them (default 1)' },
    components: { type: 'string', placeholder: 'KIND', description: 'transformers: heads | neurons | both (default heads)' },
    baselines: { type: 'string', placeholder: 'LIST', description: 'criteria to score beside the best composite (default: the five presets, taylor, gradient, weight, random; none to skip)' },
    resume: { type: 'boolean', description: 'continue the search in --out (after a crash or a kill); the same seed gives the same trials' },
    out: { type: 'string', placeholder: 'DIR', description: 'run folder: trials.jsonl, best-composite.json, run.json, curve.json, report.html' },
  },
  required: ['model', 'out'],
  async run(flags, ctx) {
    const modelPath = requiredString(flags, 'model', 'pass --model path/to/model.json');
    const folders = taskDataFolders(flags, searchCommand.usage);
    const trialsWanted = intFlag(flags, 'trials', 30);
    if (trialsWanted < 1) throw badInput(`--trials ${trialsWanted}: a search needs at least one trial`, 'give --trials N with N ≥ 1');
    const seed = intFlag(flags, 'seed', 0);
    const samplerName = stringFlag(flags, 'sampler') ?? 'tpe';
    if (!['tpe', 'random', 'grid'].includes(samplerName)) throw usageError(`--sampler ${samplerName} is not a sampler`, 'use tpe, random or grid');
    const timeout = intFlag(flags, 'timeout', undefined, 1);
    const executor = executorFlag(flags);
    const rates = ratesFlag(flags);
    const normalize = normalizeFlag(flags);
    const workers = intFlag(flags, 'workers', 1, 1);
    if (workers > 1 && !workerScript()) throw badInput('--workers needs dist/worker.js', 'run npm run build');
    const outArg = requiredString(flags, 'out', 'pass --out RUN');
    const holdoutDir = stringFlag(flags, 'holdout');
    const inputs = [modelPath, ...folders.all, ...(holdoutDir ? [holdoutDir] : []), ...(stringFlag(flags, 'space') ? [stringFlag(flags, 'space')!] : [])];
    const resume = flags.resume === true;
    let out: string;
    if (resume) {
      out = path.resolve(outArg);
      if (!fs.existsSync(path.join(out, 'run.json'))) throw badInput(`--resume: ${outArg} holds no search to resume (no run.json)`, 'start the search without --resume');
      const previous = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')) as { command?: string; model?: string; seed?: number; sampler?: string; workers?: number; normalize?: string };
      if (previous.command !== 'search') throw badInput(`--resume: ${outArg} is not a search run`, 'resume a folder written by pxp search');
      if (previous.seed !== seed || previous.sampler !== samplerName || (previous.workers ?? 1) !== workers || (previous.normalize ?? 'none') !== normalize)
        throw badInput(`--resume: ${outArg} ran with --seed ${previous.seed} --sampler ${previous.sampler} --workers ${previous.workers ?? 1} --normalize ${previous.normalize ?? 'none'}`, 'resume with the same seed, sampler, workers and normalization');
    } else {
      out = checkOutputFolder(outArg, inputs, ctx.force);
    }
    const backend = await initBackend(ctx.backend);
    const started = Date.now();
    const opened = await openModel(modelPath);
    const graph = graphFromModel(opened.model);
    try {
      const { reference, evaluation, classes } = loadTaskData(flags, opened, seed, searchCommand.usage);
      let holdout = holdoutDir ? loadFolder(holdoutDir) : folders.dataDir ? loadSplit(folders.dataDir, 'val') : undefined;
      if (holdout && classes) holdout = keepClasses(holdout, classes);
      const shapes = nodeShapes(graph, opened.summary.inputShape);
      const layers = chooseComponents(catalogue(graph), stringFlag(flags, 'components'));
      const linear = searchLayers(graph);
      const spaceFile = stringFlag(flags, 'space');
      const { groups, space } = spaceFile ? customizeSpace(readJsonFile(spaceFile), spaceFile, layerGroups(linear), linear.map((l) => l.name)) : { groups: layerGroups(linear), space: lrpSearchSpace(layerGroups(linear)) };
      const sampler: Sampler =
        samplerName === 'grid' ? new GridSampler(space) : samplerName === 'random' ? new RandomSampler(space, { seed }) : new TpeSampler(space, { seed, startupTrials: intFlag(flags, 'startup-trials', 10, 0) });
      const evaluator = await maskedEvaluator(graph, layers, evaluation, { executor, allowedClasses: classes });
      const objective = new AttributionObjective({ graph, shapes, layers, groups, reference, evaluator, executor, rates, normalize, signal: ctx.signal });
      fs.mkdirSync(out, { recursive: true });
      // Only --resume continues a log; a new search over an old folder (--force) starts from no trials.
      const done = resume ? readTrials(out) : [];
      const log = new TrialLog(out, done);
      const groupNames = Object.keys(groups.groups);
      const runInfo = {
        command: 'search',
        model: opened.file,
        reference: { source: reference.source, samples: reference.y.length },
        evaluation: { source: evaluation.source, samples: evaluation.y.length },
        holdout: holdout ? { source: holdout.source, samples: holdout.y.length } : null,
        classes: classes ?? null,
        seed,
        sampler: samplerName,
        workers,
        normalize,
        trialsWanted,
        groups: groups.groups,
        space,
        backend,
        executor: evaluator.executor,
      };
      writeRunJson(out, { ...runInfo, status: 'running' });
      ctx.log(`search space: ${groupNames.map((g) => `${g} = ${groups.groups[g].join(', ')}`).join('; ')}; first layer ${groups.first}`);
      ctx.log(`  per group: rule ∈ {epsilon (ε log-uniform 1e-6…1), z-plus, alpha-beta (α 1…3, β = α − 1), gamma (γ log-uniform 1e-3…10)}; first ∈ {group, flat, z-box, w-square}; ${space.some((p) => p.name === 'softmax.rule') ? 'softmax ∈ {epsilon, z-plus, z-plus-vbias, cp}; ' : ''}abs_sort, least_relevant_first ∈ {true, false}`);
      const history: Trial[] = done.map((t) => ({ number: t.number, params: t.params, value: t.auc }));
      const pool =
        workers > 1
          ? await TrialPool.start(
              { backend: ctx.backend, modelPath: opened.file, reference, evaluation, classes, components: stringFlag(flags, 'components'), groups, rates, normalize, executor, ortThreads: Math.max(1, Math.floor(defaultWorkerCount() / workers)) },
              workers,
              ctx.signal,
            )
          : undefined;
      // Relevance a worker is computing, by rule assignment, so a second trial of the batch waits for it.
      const computing = new Map<string, Promise<void>>();
      const runTrial = async (params: Params): Promise<{ curve: Curve; cached: boolean; seconds: number }> => {
        if (!pool) {
          const t0 = Date.now();
          const hitsBefore = objective.cacheHits;
          const curve = await objective.evaluate(params);
          return { curve, cached: objective.cacheHits > hitsBefore, seconds: (Date.now() - t0) / 1000 };
        }
        // Claim the rule assignment before the first await, so the batch's later trials see the claim.
        const key = relevanceKey(params);
        const claimed = computing.get(key);
        if (!claimed && !objective.has(params)) {
          const pending = pool.evaluate(params);
          computing.set(
            key,
            pending.then(
              (a) => objective.remember(params, a.relevance!),
              () => undefined,
            ),
          );
          return { ...(await pending), cached: false };
        }
        await claimed;
        const answer = await pool.evaluate(params, await objective.relevance(params));
        return { ...answer, cached: true };
      };
      let stoppedBy = 'budget';
      try {
        while (history.length < trialsWanted) {
          if (timeout !== undefined && (Date.now() - started) / 1000 > timeout) {
            stoppedBy = 'timeout';
            break;
          }
          const first = history.length;
          const end = Math.min(trialsWanted, first - (first % workers) + workers);
          const batch: Trial[] = [];
          for (let number = first; number < end; number++) {
            const trial: Trial = { number, params: sampler.suggest(historyFor([...history, ...batch], number, workers)) };
            batch.push(trial);
          }
          history.push(...batch);
          const running = batch.map((t) => runTrial(t.params));
          // A failure is reported through the first await below; the batch's other trials must not crash the process.
          running.forEach((r) => r.catch(() => undefined));
          // Lines go out in trial order, each as soon as it and those before it have finished.
          for (const [i, trial] of batch.entries()) {
            const { curve, cached, seconds } = await running[i];
            trial.value = curve.auc;
            const line: TrialLine = { number: trial.number, params: trial.params, auc: curve.auc, curve: curve.points.map((p) => ({ rate: p.rate, accuracy: p.accuracy })), seconds, cached };
            log.append(line);
            const best = bestTrial(history)!;
            const news = { trial: trial.number + 1, of: trialsWanted, auc: curve.auc, best: best.value, seconds, params: describeParams(trial.params) };
            if (ctx.json) process.stderr.write(JSON.stringify({ trial: news }) + '\n');
            else ctx.log(`trial ${trial.number + 1}/${trialsWanted}: AUC ${curve.auc.toFixed(4)} (best ${best.value!.toFixed(4)}) ${seconds.toFixed(1)} s${cached ? ', relevance cached' : ''} — ${news.params}`);
          }
        }
      } finally {
        await pool?.close();
      }
      // Relevance passes the trials needed (the re-evaluations of the best point below hit the cache).
      const relevanceComputed = history.length - done.length - objective.cacheHits;
      const best = bestTrial(history);
      if (!best) throw badInput('no trial finished', 'give the search more time or trials');
      const bestComposite = paramsToComposite(best.params, groups, path.join(out, 'best-composite.json'));
      writeJsonFile(out, 'best-composite.json', compositeToJson(bestComposite), 2);
      const bestCurve = await objective.evaluate(best.params);
      writeCurve(out, { ...bestCurve, criterion: 'lrp:best-composite.json' });
      let holdoutAuc: number | undefined;
      if (holdout) {
        const holdoutEval = await maskedEvaluator(graph, layers, holdout, { executor, allowedClasses: classes });
        holdoutAuc = (await objective.evaluate(best.params, holdoutEval)).auc;
        await holdoutEval.dispose();
      }
      // The paper's comparison: the optimized composite beside the presets and the baseline criteria, on the same curve.
      const baselineText = stringFlag(flags, 'baselines') ?? 'presets,taylor,gradient,weight,random';
      const baselines = baselineText === 'none' ? [] : baselineText.split(',').flatMap((c) => (c.trim() === 'presets' ? PRESET_NAMES.map((p) => `lrp:${p}`) : [c.trim()]));
      baselines.forEach((c) => parseCriterion(c));
      const comparison = [{ criterion: 'lrp:best-composite.json', auc: bestCurve.auc, points: bestCurve.points.map((p) => ({ rate: p.rate, accuracy: p.accuracy })) }];
      for (const criterion of baselines) {
        const sc = await componentScores(criterion, { graph, layers, reference, seed, executor, signal: ctx.signal });
        const c = await pruningCurve(criterion, normalizeScores(sc.scores, normalize), { graph, shapes, layers }, evaluator, { rates, signal: ctx.signal });
        comparison.push({ criterion, auc: c.auc, points: c.points.map((p) => ({ rate: p.rate, accuracy: p.accuracy })) });
        ctx.log(`baseline ${criterion}: AUC ${c.auc.toFixed(4)}`);
      }
      writeComparison(out, { curves: comparison });
      await evaluator.dispose();
      const scores = await objective.scores(best.params);
      writeRelevance(out, { criterion: 'lrp:best-composite.json', layers: layers.map((l, i) => ({ name: l.name, kind: l.kind, scores: Array.from(scores[i]) })) });
      const result = {
        ...runInfo,
        status: 'done',
        stoppedBy,
        trials: history.length,
        relevanceComputed,
        best: { number: best.number, auc: best.value, params: best.params, holdoutAuc },
        comparison: comparison.map((c) => ({ criterion: c.criterion, auc: c.auc })),
        criterion: 'lrp:best-composite.json',
        auc: best.value,
        timings: { totalSeconds: (Date.now() - started) / 1000 },
        settings: { absSort: best.params.abs_sort !== 'false', leastRelevantFirst: best.params.least_relevant_first !== 'false', normalize, rates: bestCurve.points.map((p) => p.rate) },
      };
      writeRunJson(out, result);
      writeRunReport(out);
      writeSearchReport(out);
      const text = [
        `best of ${history.length} trials: AUC ${best.value!.toFixed(4)} (trial ${best.number + 1})${holdoutAuc !== undefined ? `; on held-out data ${holdoutAuc.toFixed(4)}` : ''}`,
        ...(comparison.length > 1 ? [`  beside: ${comparison.slice(1).map((c) => `${c.criterion} ${c.auc.toFixed(4)}`).join(', ')}`] : []),
        `  ${describeParams(best.params)}`,
        `  rules: ${Object.entries(bestComposite.layers).map(([n, r]) => `${n} ${describeRule(r)}`).join(', ')}`,
        `wrote ${out}/best-composite.json, trials.jsonl, report.html (${result.timings.totalSeconds.toFixed(0)} s)`,
        `prune with it: pxp prune --criterion lrp:${path.join(out, 'best-composite.json')}${result.settings.absSort ? '' : ' --signed'}${result.settings.leastRelevantFirst ? '' : ' --most-relevant-first'}${normalize === 'none' ? '' : ` --normalize ${normalize}`} …`,
      ].join('\n');
      return { value: { out, ...result }, text };
    } finally {
      disposeGraph(graph);
      opened.model.dispose();
    }
  },
};
