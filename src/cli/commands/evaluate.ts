import { initBackend } from '../../core/backend/select';
import type { SplitName } from '../../core/io/datasets';
import { evaluateAccuracy, measureLatencyOn, onnxFileInput } from '../../core/models/evaluate';
import { usageError } from '../../core/errors';
import { EXECUTOR_OPTION, MODEL_OPTION, defineCommand } from '../command';
import { choiceValue, executorFlag, inputRangeFlag, intFlag, intValue, requiredString, stringFlag } from '../flags';
import { backendLine, percent } from '../format';
import { INPUT_RANGE_OPTION, fitData, openModel } from '../inputs';
import { TASK_DATA_OPTIONS, preprocessingFor } from '../task-data';
import { disposeGraph } from '../../core/graph/graph';
import { loadDataArgument } from '../../core/io/datasets';

const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];

export const evaluateCommand = defineCommand({
  name: 'evaluate',
  summary: 'top-1 accuracy (overall and per class) and the latency of one batch, both on the same engine',
  usage: 'pxp evaluate --model MODEL.json|MODEL.onnx --data DIR [--split test] [--limit N] [--json]',
  options: {
    model: MODEL_OPTION,
    data: {
      type: 'string',
      placeholder: 'DIR',
      description: 'IDX folder, x.npy+y.npy folder, train/val/test subfolders or class/*.png tree',
    },
    split: {
      type: 'string',
      placeholder: 'NAME',
      description: 'train | val | test (default test)',
      value: choiceValue(SPLITS),
    },
    limit: { type: 'string', placeholder: 'N', description: 'evaluate the first N samples only', value: intValue(1) },
    'batch-size': {
      type: 'string',
      placeholder: 'N',
      description: 'batch size for evaluation (default 256)',
      value: intValue(1),
    },
    'latency-batch': {
      type: 'string',
      placeholder: 'N',
      description: 'batch size for the latency measurement (default 64)',
      value: intValue(1),
    },
    executor: EXECUTOR_OPTION,
    preprocess: TASK_DATA_OPTIONS.preprocess,
    'input-range': INPUT_RANGE_OPTION,
  },
  required: ['model', 'data'],
  async run(flags, ctx) {
    const split = (stringFlag(flags, 'split') ?? 'test') as SplitName;
    if (!SPLITS.includes(split)) throw usageError(`--split ${split} is not a split`, 'use train, val or test');
    const batchSize = intFlag(flags, 'batch-size', 256, 1);
    const latencyBatch = intFlag(flags, 'latency-batch', 64, 1);
    const executor = executorFlag(flags);
    const inputRange = inputRangeFlag(flags);
    const backend = await initBackend(ctx.backend);
    const opened = await openModel(requiredString(flags, 'model', 'pass --model path/to/model.json'));
    try {
      const { image } = preprocessingFor(flags, opened);
      const data = fitData(
        loadDataArgument(requiredString(flags, 'data', 'pass --data DIR'), split, {
          limit: intFlag(flags, 'limit', undefined, 1),
          image,
          inputRange,
        }),
        opened,
        inputRange,
      );
      const names = opened.classNames;
      if (names && !data.classNames) data.classNames = names;
      // A tfjs model predicts as itself; an imported one through its engine graph.
      const graph = opened.tfjs ? undefined : opened.graph();
      const model = opened.tfjs ?? graph!;
      let acc, latency;
      try {
        acc = await evaluateAccuracy(model, data, {
          batchSize,
          executor,
          onProgress: ctx.progress,
          signal: ctx.signal,
        });
        // Timed on the engine that predicted, so the two lines below name the same one.
        latency = await measureLatencyOn(acc.executor, model, opened.summary.inputShape, {
          batchSize: latencyBatch,
          onnxFile: onnxFileInput(opened),
          tfjsEngine: `tfjs ${backend.name}`,
          signal: ctx.signal,
        });
      } finally {
        if (graph) disposeGraph(graph);
      }
      const value = {
        model: opened.file,
        data: data.source,
        samples: acc.count,
        accuracy: acc.accuracy,
        perClass: acc.perClass,
        executor: acc.executor,
        latency,
        backend,
      };
      const text = [
        `accuracy   ${percent(acc.accuracy)} (${acc.correct}/${acc.count}) on ${data.source} (predicted on ${acc.executor === 'onnx' ? 'onnxruntime' : 'tfjs'})`,
        `latency    ${latency.medianMs.toFixed(1)} ms per batch of ${latency.batchSize} on ${latency.engine} (median of ${latency.runs}; p90 ${latency.p90Ms.toFixed(1)} ms)`,
        backendLine(backend),
        '',
        'per class:',
        ...acc.perClass.map(
          (c) =>
            `  ${String(c.label).padStart(3)} ${(c.name ?? '').padEnd(14)} ${percent(c.accuracy, 1).padStart(8)}  (${c.count})`,
        ),
      ].join('\n');
      return { value, text };
    } finally {
      opened.dispose();
    }
  },
});
