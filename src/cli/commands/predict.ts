import path from 'node:path';
import { initBackend } from '../../core/backend/select';
import { type Graph, disposeGraph } from '../../core/graph/graph';
import { writeNpy } from '../../core/io/npy';
import { outputInFileLayout } from '../../core/io/onnx/to-graph';
import { predictOutputs } from '../../core/models/predict-outputs';
import { EXECUTOR_OPTION, MODEL_OPTION, defineCommand } from '../command';
import { executorFlag, inputRangeFlag, intFlag, intValue, requiredString } from '../flags';
import { backendLine } from '../format';
import { INPUT_RANGE_OPTION, type OpenedModel, openModel, readInputs } from '../inputs';
import { claimOutputFolder } from '../output-folder';

/** The model's outputs for a batch of inputs, so PXP can be compared with PyTorch or onnxruntime on the same data. */
export const predictCommand = defineCommand({
  name: 'predict',
  summary: "the model's outputs for inputs in an .npy file (to compare PXP with PyTorch or onnxruntime)",
  usage: 'pxp predict --model MODEL.onnx|MODEL.json --inputs X.npy --out DIR',
  options: {
    model: MODEL_OPTION,
    inputs: {
      type: 'string',
      placeholder: 'X.npy',
      description:
        "samples [N, ...input shape] in the model's layout (NCHW for a model from PyTorch), float32 (or uint8, divided by 255 as data folders are)",
    },
    out: {
      type: 'string',
      placeholder: 'DIR',
      description: 'writes outputs.npy (the model output for each sample, in its own layout)',
    },
    'batch-size': {
      type: 'string',
      placeholder: 'N',
      description: 'samples per batch (default 32)',
      value: intValue(1),
    },
    executor: EXECUTOR_OPTION,
    'input-range': INPUT_RANGE_OPTION,
  },
  required: ['model', 'inputs', 'out'],
  async run(flags, ctx) {
    const modelPath = requiredString(flags, 'model', 'pass --model path/to/model.onnx');
    const inputsPath = requiredString(flags, 'inputs', 'pass --inputs X.npy');
    const executor = executorFlag(flags);
    const batchSize = intFlag(flags, 'batch-size', 32, 1);
    const inputRange = inputRangeFlag(flags);
    const out = claimOutputFolder(requiredString(flags, 'out', 'pass --out DIR'), [modelPath, inputsPath], {
      ...ctx,
      command: 'predict',
    });
    let opened: OpenedModel | undefined;
    let graph: Graph | undefined;
    try {
      const backend = await initBackend(ctx.backend);
      opened = await openModel(modelPath);
      graph = opened.graph();
      const { x, shape } = readInputs(inputsPath, opened, inputRange);
      const started = Date.now();
      const result = await predictOutputs(graph, x, shape, {
        batchSize,
        executor,
        onProgress: ctx.progress,
        signal: ctx.signal,
      });
      const seconds = (Date.now() - started) / 1000;
      // Outputs in the layout of the model's own file (NCHW feature maps for a model from PyTorch).
      const outputs = opened.onnx
        ? outputInFileLayout(result.data, result.shape, opened.onnx.output)
        : { data: result.data, shape: result.shape };
      await out.write((dir) =>
        writeNpy(path.join(dir, 'outputs.npy'), { dtype: 'float32', shape: outputs.shape, data: outputs.data }),
      );
      const value = {
        out: out.dir,
        model: opened.file,
        samples: shape[0],
        outputShape: outputs.shape,
        executor: result.executor,
        ...(result.executorNote ? { executorNote: result.executorNote } : {}),
        seconds,
        backend,
      };
      const text = [
        `predicted ${shape[0]} samples in ${seconds.toFixed(2)} s on ${result.executor === 'onnx' ? 'onnxruntime' : 'tfjs'}: outputs ${outputs.shape.join('×')}`,
        ...(result.executorNote ? [`note: ${result.executorNote}`] : []),
        `wrote ${path.join(out.dir, 'outputs.npy')}`,
        backendLine(backend),
      ].join('\n');
      return { value, text };
    } finally {
      if (graph) disposeGraph(graph);
      opened?.dispose();
      out.release();
    }
  },
});
