import fs from 'node:fs';
import path from 'node:path';
import { type BackendChoice, initBackend } from '../../core/backend/select';
import { badInput } from '../../core/errors';
import { writeComponents } from '../../core/run-folder/write';
import { readNpy, writeNpy } from '../../core/io/npy';
import { type AttributionResult, attribute } from '../../core/lrp/attribute';
import type { InitMode } from '../../core/lrp/explanation-plan';
import { OnnxExplainer } from '../../core/lrp/onnx-explainer';
import { DEFAULT_SOFTMAX_RULE } from '../../core/lrp/propagate';
import { type CompositeSpec, INITS, PRESET_NAMES, compositeToJson, loadComposite } from '../../core/lrp/composites';
import { throwIfCancelled, yieldToEventLoop } from '../../core/progress';
import { writeHeatmapPng } from '../../core/report/heatmap';
import { classLabel } from '../../shared/class-label';
import { findClassNamesFile, readClassNamesFile } from '../../core/io/class-names-file';
import { attributeInWorkers, defaultWorkerCount } from '../../workers/parallel';
import { type CommandContext, EXECUTOR_OPTION, MODEL_OPTION, defineCommand } from '../command';
import {
  choiceValue,
  compositeSetting,
  executorFlag,
  initFlag,
  inputRangeFlag,
  intFlag,
  intValue,
  requiredString,
  stringFlag,
  workersFlag,
} from '../flags';
import { backendLine } from '../format';
import { INPUT_RANGE_OPTION, type OpenedModel, openModel, readInputs } from '../inputs';
import { arrayForUser } from '../../core/io/array-layout';
import { requireClassifier } from '../../core/io/open-model';
import { claimOutputFolder } from '../output-folder';
import { SOURCE_ROOTS_OPTION, sourceMapFor, sourceRootsFlag } from '../source-map';

function readTargets(file: string, n: number, numClasses: number): Int32Array {
  const arr = readNpy(file);
  if (arr.dtype === 'float32')
    throw badInput(`${file}: targets are float32`, 'save the targets as integer class indices (int32)');
  if (arr.shape.length !== 1 || arr.shape[0] !== n)
    throw badInput(`${file}: ${arr.shape.join('×')} targets for ${n} inputs`, 'give one target class per input sample');
  const t = Int32Array.from(arr.data);
  const bad = t.findIndex((v) => v < 0 || v >= numClasses);
  if (bad >= 0)
    throw badInput(
      `${file}: target ${t[bad]} (sample ${bad}) is out of range for the model's ${numClasses} classes`,
      `targets must be class indices 0…${numClasses - 1}`,
    );
  return t;
}

export const attributeCommand = defineCommand({
  name: 'attribute',
  summary: 'LRP relevance of the inputs and of every conv channel / dense neuron, with heatmaps',
  usage:
    'pxp attribute --model MODEL.json|MODEL.onnx --inputs X.npy [--targets Y.npy] --composite NAME|FILE.json --out DIR',
  options: {
    model: MODEL_OPTION,
    inputs: {
      type: 'string',
      placeholder: 'X.npy',
      description: 'samples [N, ...input shape], float32 in [0, 1] (or uint8)',
    },
    targets: {
      type: 'string',
      placeholder: 'Y.npy',
      description: 'class to explain per sample (default: the predicted class)',
    },
    composite: {
      type: 'string',
      placeholder: 'NAME|FILE',
      description: `LRP composite: ${PRESET_NAMES.join(', ')}, or a JSON file (default epsilon-plus-flat)`,
      value: (v) => void loadComposite(v),
    },
    out: { type: 'string', placeholder: 'DIR', description: 'writes input.npy, components.json and heatmaps/' },
    'batch-size': {
      type: 'string',
      placeholder: 'N',
      description: 'samples per batch (default 32)',
      value: intValue(1),
    },
    init: {
      type: 'string',
      placeholder: 'MODE',
      description:
        'initial relevance: one-hot (default, or the composite file\'s "init") or logit (one-hot scaled by the target logit)',
      value: choiceValue(INITS),
    },
    heatmaps: {
      type: 'string',
      placeholder: 'N',
      description: 'PNG heatmaps of the first N samples (default 16; 0 for none)',
      value: intValue(0),
    },
    workers: {
      type: 'string',
      placeholder: 'N',
      description: 'tfjs worker threads, at most one per core (default: one per core from 256 samples up, else 1)',
      value: intValue(1),
    },
    executor: EXECUTOR_OPTION,
    ...SOURCE_ROOTS_OPTION,
    'input-range': INPUT_RANGE_OPTION,
  },
  required: ['model', 'inputs', 'out'],
  async run(flags, ctx) {
    const initArg = initFlag(flags);
    const modelPath = requiredString(flags, 'model', 'pass --model path/to/model.json');
    const inputsPath = requiredString(flags, 'inputs', 'pass --inputs X.npy');
    const targetsPath = stringFlag(flags, 'targets');
    const compositeArg = stringFlag(flags, 'composite') ?? 'epsilon-plus-flat';
    const heatmaps = intFlag(flags, 'heatmaps', 16);
    const executor = executorFlag(flags);
    const sourceRoots = sourceRootsFlag(flags);
    const batchSize = intFlag(flags, 'batch-size', 32, 1);
    const inputRange = inputRangeFlag(flags);
    const out = claimOutputFolder(
      requiredString(flags, 'out', 'pass --out DIR'),
      [
        modelPath,
        inputsPath,
        ...(targetsPath ? [targetsPath] : []),
        ...(fs.existsSync(compositeArg) ? [compositeArg] : []),
      ],
      { ...ctx, command: 'attribute' },
    );
    let opened: OpenedModel | undefined;
    try {
      const backend = await initBackend(ctx.backend);
      opened = await openModel(modelPath);
      requireClassifier(opened);
      const { x, shape } = readInputs(inputsPath, opened, inputRange);
      const targets = targetsPath ? readTargets(targetsPath, shape[0], opened.summary.numClasses) : undefined;
      const classNames = classNamesFor(opened, inputsPath);
      const composite = loadComposite(compositeArg, opened.ruleLayerNames());
      const init: InitMode = compositeSetting(
        { name: `--init ${initArg}`, value: initArg },
        { name: compositeArg, key: 'init', value: composite.init },
        'one-hot',
      );
      const { result, workers } = await explain(
        flags,
        opened,
        { composite, x, shape, targets, init, batchSize, executor },
        ctx,
      );
      const n = shape[0];
      const per = x.length / n;
      const inputSums = Array.from({ length: n }, (_, s) =>
        result.input.subarray(s * per, (s + 1) * per).reduce((a, v) => a + v, 0),
      );
      const sourceMap = sourceMapFor(
        opened,
        sourceRoots,
        result.layers.map((l) => l.name),
      );
      const model = opened;
      await out.write(async (dir) => {
        sourceMap?.write(dir);
        // Relevance in the layout of the user's inputs (NCHW for a model from PyTorch).
        const relevance = arrayForUser(result.input, shape, model.layout);
        writeNpy(path.join(dir, 'input.npy'), { dtype: 'float32', shape: relevance.shape, data: relevance.data });
        writeComponents(dir, componentsFile(model.file, composite, init, result, classNames));
        if (shape.length === 4 && heatmaps > 0)
          await writeHeatmaps(dir, { x, shape, result, count: heatmaps, classNames }, ctx.signal);
      });
      const value = { out: out.dir, ...summaryValue(result, composite, n, workers, backend, inputSums) };
      const meanRatio = inputSums.reduce((a, v, s) => a + v / (result.outputRelevance[s] || 1), 0) / n;
      const text = [
        ...summaryLines(result, composite, n, workers, meanRatio),
        ...(sourceMap ? [sourceMap.line] : []),
        `wrote ${path.join(out.dir, 'input.npy')}, ${path.join(out.dir, 'components.json')}${sourceMap ? ', source-map.json' : ''}${shape.length === 4 && heatmaps > 0 ? `, ${path.join(out.dir, 'heatmaps')}/` : ''}`,
        backendLine(backend),
      ].join('\n');
      return { value, text };
    } finally {
      opened?.dispose();
      out.release();
    }
  },
});

/** The relevance of every sample, on worker threads (--workers, or by default for large tfjs jobs) or here. */
async function explain(
  flags: Parameters<typeof workersFlag>[0],
  opened: OpenedModel,
  job: {
    composite: CompositeSpec;
    x: Float32Array;
    shape: number[];
    targets: Int32Array | undefined;
    init: InitMode;
    batchSize: number;
    executor: ReturnType<typeof executorFlag>;
  },
  ctx: CommandContext,
): Promise<{ result: AttributionResult; workers: number }> {
  const { composite, x, shape, targets, init, batchSize, executor } = job;
  // Each worker loads tfjs and the model (about a second), which only pays off on larger jobs.
  // onnxruntime uses every core itself; worker threads are for the tfjs executor.
  const workers = workersFlag(
    flags,
    shape[0] >= 256 && (executor === 'tfjs' || !OnnxExplainer.available()) ? defaultWorkerCount() : 1,
    ctx.log,
  );
  const control = { onProgress: ctx.progress, signal: ctx.signal };
  const result =
    workers > 1
      ? await attributeInWorkers(
          { backend: ctx.backend, modelPath: opened.file, composite, x, shape, targets, init, batchSize },
          workers,
          control,
        )
      : await attributeGraph(opened, composite, x, shape, { targets, init, batchSize, executor, ...control });
  return { result, workers };
}

/** components.json: the composite and its rule per layer, the targets, and every component's relevance per sample. */
function componentsFile(
  model: string,
  composite: CompositeSpec,
  init: InitMode,
  result: AttributionResult,
  classNames: string[] | undefined,
) {
  return {
    model,
    composite: { name: composite.name, ...compositeToJson(composite) },
    rules: result.layerRules,
    init,
    targets: Array.from(result.targets),
    ...(classNames ? { classNames } : {}),
    layers: result.layers.map((l) => ({
      name: l.name,
      kind: l.kind,
      relevance: l.relevance.map((row) => Array.from(row)),
    })),
  };
}

/** The model's class names, else those of a classes.txt beside the inputs file; undefined when neither has them. */
function classNamesFor(opened: OpenedModel, inputsPath: string): string[] | undefined {
  if (opened.classNames) return opened.classNames;
  const file = findClassNamesFile([path.dirname(path.resolve(inputsPath))]);
  return file ? readClassNamesFile(file, opened.summary.numClasses) : undefined;
}

/**
 * heatmaps/NNNN-classK.png for the first `count` samples of an image input ([N, H, W, C]), each with the colour
 * scale and the explained class below it.
 */
async function writeHeatmaps(
  dir: string,
  job: { x: Float32Array; shape: number[]; result: AttributionResult; count: number; classNames?: string[] },
  signal: AbortSignal | undefined,
): Promise<void> {
  const { x, shape, result, count, classNames } = job;
  const [n, h, w, c] = shape;
  const per = x.length / n;
  for (let s = 0; s < Math.min(n, count); s++) {
    // Heatmaps take a while: look at the cancel signal every few.
    if (s % 8 === 7) {
      await yieldToEventLoop();
      throwIfCancelled(signal);
    }
    writeHeatmapPng(
      path.join(dir, 'heatmaps', `${String(s).padStart(4, '0')}-class${result.targets[s]}.png`),
      x.subarray(s * per, (s + 1) * per),
      result.input.subarray(s * per, (s + 1) * per),
      h,
      w,
      c,
      undefined,
      { label: classLabel(result.targets[s], classNames) },
    );
  }
}

/** The command's value (besides `out`): what ran, how fast, and the relevance sums of input and output. */
function summaryValue(
  result: AttributionResult,
  composite: CompositeSpec,
  n: number,
  workers: number,
  backend: BackendChoice,
  inputSums: number[],
) {
  return {
    samples: n,
    seconds: result.seconds,
    samplesPerSecond: n / result.seconds,
    workers,
    executor: result.executor,
    ...(result.executorNote ? { executorNote: result.executorNote } : {}),
    composite: composite.name,
    rules: result.layerRules,
    backend,
    relevanceSums: inputSums,
    outputRelevance: Array.from(result.outputRelevance),
  };
}

/** What ran, how fast, how well relevance was conserved, and the rules, for the command's text output. */
function summaryLines(
  result: AttributionResult,
  composite: CompositeSpec,
  n: number,
  workers: number,
  meanRatio: number,
): string[] {
  return [
    `explained ${n} samples with ${composite.name} in ${result.seconds.toFixed(2)} s (${(n / result.seconds).toFixed(1)} samples/s, ${result.executor === 'onnx' ? 'onnxruntime' : `tfjs${workers > 1 ? ` × ${workers} threads` : ''}`})`,
    ...(result.executorNote ? [`note: ${result.executorNote}`] : []),
    `input relevance sum / output relevance: ${meanRatio.toFixed(4)} on average (1 = conserved; biases and ε absorb the rest)`,
    `rules: ${result.layerRules.map((r) => `${r.name} ${r.rule}`).join(', ')}`,
    ...(result.layers.some((l) => l.kind === 'head')
      ? [`attention softmax rule: ${composite.attention?.softmax ?? DEFAULT_SOFTMAX_RULE}`]
      : []),
  ];
}

/** attribute() on the model's own graph: LRP only reads it (canonizers make new weights where they change any). */
async function attributeGraph(
  opened: OpenedModel,
  ...args: Parameters<typeof attribute> extends [unknown, ...infer R] ? R : never
) {
  return attribute(opened.sharedGraph(), ...args);
}
