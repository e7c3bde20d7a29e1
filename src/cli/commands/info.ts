import { initBackend } from '../../core/backend/select';
import { modelMetadata } from '../../core/io/model-files';
import { openModel } from '../inputs';
import { loadOnnxRuntime } from '../../core/onnx/runtime';
import { defineCommand } from '../command';
import { requiredString } from '../flags';
import { backendLine, formatCount } from '../format';
import { type ModelComponentGroups, modelComponentGroups } from '../../core/prune/layer-groups';

/** The groups that tie two or more layers, one line each (every other prunable layer is a group of its own). */
function groupLines(g: ModelComponentGroups): string[] {
  if (g.layers.length === 0) return [];
  const tied = g.groups.filter((x) => x.layers.length > 1);
  const alone = g.groups.length - tied.length;
  if (tied.length === 0)
    return ['', `groups     none tied: each of the ${alone} prunable layers is a group of its own`];
  return [
    '',
    `groups     ${tied.length} tying ${tied.reduce((a, x) => a + x.layers.length, 0)} layers (their components go or stay together); ${alone} prunable layers stand alone`,
    ...tied.map(
      (x, i) =>
        `  ${`G${i + 1}`.padEnd(4)} ${String(x.components).padStart(5)} components (${x.ties.join(', ')}${x.fixed ? `; ${x.fixed} fixed` : ''}): ${x.layers.join(', ')}`,
    ),
  ];
}

export const infoCommand = defineCommand({
  name: 'info',
  summary:
    'layers, parameters, FLOPs and input shape of a model (tfjs LayersModel or ONNX from PyTorch), and the backend in use',
  usage: 'pxp info --model MODEL.json|MODEL.onnx [--json]',
  options: {
    model: {
      type: 'string',
      placeholder: 'FILE',
      description: 'a tfjs model.json (or the folder holding it), or an .onnx file',
    },
  },
  required: ['model'],
  async run(flags, ctx) {
    const modelPath = requiredString(flags, 'model', 'pass --model path/to/model.json');
    const backend = await initBackend(ctx.backend);
    // The structure only: a 350 MB ViT-B's weights are never decoded (NOTES.md, issue #18).
    const opened = await openModel(modelPath, { weights: 'shapes' });
    const summary = opened.summary;
    const groups = modelComponentGroups(opened.sharedGraph());
    const onnxFile = opened.onnx
      ? { opset: opened.onnx.opset, producer: opened.onnx.producer, layout: opened.layout }
      : undefined;
    opened.dispose();
    const onnx = loadOnnxRuntime();
    const lrpExecutor = onnx.ort ? { name: 'onnx', detail: 'onnxruntime-node' } : { name: 'tfjs', detail: onnx.why };
    const value = {
      model: opened.file,
      format: opened.format,
      ...summary,
      ...(onnxFile ? { onnx: onnxFile } : { metadata: modelMetadata(opened.file) }),
      groups,
      backend,
      lrpExecutor,
    };
    const nameWidth = Math.max(...summary.layers.map((l) => l.name.length), 5);
    const text = [
      `model      ${value.model} (${summary.name})`,
      `input      ${summary.fileInputShape.join('×')}${opened.layout === 'NCHW' ? ' (channels first, as PyTorch)' : ''}    classes ${summary.numClasses}`,
      ...(onnxFile ? [`onnx       opset ${onnxFile.opset}, from ${onnxFile.producer || 'an unknown exporter'}`] : []),
      `params     ${formatCount(summary.params)}    FLOPs ${formatCount(summary.flops)} per sample (2 × ${formatCount(summary.macs)} MACs)`,
      backendLine(backend),
      `lrp        ${onnx.ort ? 'onnxruntime (LRP compiled to one ONNX graph)' : `tfjs (${onnx.why})`}`,
      '',
      `${'layer'.padEnd(nameWidth)}  ${'class'.padEnd(22)} ${'output'.padEnd(14)} ${'params'.padStart(9)} ${'MACs'.padStart(10)}`,
      ...summary.layers.map(
        (l) =>
          `${l.name.padEnd(nameWidth)}  ${(l.className + (l.activation ? `(${l.activation})` : '')).padEnd(22)} ${l.outputShape.join('×').padEnd(14)} ${String(l.params).padStart(9)} ${String(l.macs).padStart(10)}`,
      ),
      ...groupLines(groups),
    ].join('\n');
    return { value, text };
  },
});
