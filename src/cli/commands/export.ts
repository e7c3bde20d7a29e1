import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../../core/backend/select';
import { badInput, usageError } from '../../core/errors';
import { writeFileAtomic } from '../../core/io/atomic';
import { loadModel, modelMetadata, saveModel } from '../../core/io/model-files';
import { openAnyModel } from '../../core/io/open-model';
import { summarizeModel } from '../../core/graph/summary';
import { defineCommand } from '../command';
import { choiceValue, requiredString, stringFlag } from '../flags';
import { claimOutputFolder } from '../output-folder';

const FORMATS = ['tfjs', 'onnx'] as const;

/** A run's pruned model in the format it was pruned in: a tfjs LayersModel, or an ONNX file from PyTorch. */
export const exportCommand = defineCommand({
  name: 'export',
  summary: 'export the pruned model of a run folder (tfjs LayersModel, or ONNX for a model from PyTorch)',
  usage: 'pxp export --run RUN --out DIR [--format tfjs|onnx]',
  options: {
    run: {
      type: 'string',
      placeholder: 'RUN',
      description: 'a run folder written by pxp prune --rate P (or --max-drop)',
    },
    format: {
      type: 'string',
      placeholder: 'NAME',
      description:
        'the format the model was pruned in: tfjs (model.json) or onnx (model.onnx); default: what the run holds',
      value: choiceValue(FORMATS),
    },
    out: { type: 'string', placeholder: 'DIR', description: 'folder for model.json + weights.bin, or model.onnx' },
  },
  required: ['run', 'out'],
  async run(flags, ctx) {
    const runDir = requiredString(flags, 'run', 'pass --run RUN');
    const tfjsFile = path.join(runDir, 'pruned', 'model.json');
    const onnxFile = path.join(runDir, 'pruned', 'model.onnx');
    const held = fs.existsSync(onnxFile) ? 'onnx' : fs.existsSync(tfjsFile) ? 'tfjs' : undefined;
    if (!held)
      throw badInput(
        `${runDir} has no pruned model (pruned/model.json or pruned/model.onnx)`,
        'run pxp prune with --rate P or --max-drop POINTS to remove components physically',
      );
    const format = stringFlag(flags, 'format') ?? held;
    if (format !== 'tfjs' && format !== 'onnx')
      throw usageError(`--format ${format} is not a format`, 'use tfjs or onnx');
    if (format !== held)
      throw badInput(
        `${runDir} holds a ${held} model; PXP exports a pruned model in the format it came in`,
        `use --format ${held} (or leave --format out)`,
      );
    const out = claimOutputFolder(requiredString(flags, 'out', 'pass --out DIR'), [runDir], {
      ...ctx,
      command: 'export',
    });
    try {
      await initBackend(ctx.backend);
      if (format === 'onnx') {
        // Loading checks the file; the copy is byte for byte.
        const model = await openAnyModel(onnxFile);
        try {
          await out.write((dir) => writeFileAtomic(path.join(dir, 'model.onnx'), fs.readFileSync(onnxFile)));
          const s = model.summary;
          return {
            value: { model: path.join(out.dir, 'model.onnx'), params: s.params, flops: s.flops, format },
            text: `exported ${onnxFile} → ${path.join(out.dir, 'model.onnx')} (${s.params} parameters, ${s.flops} FLOPs per sample)`,
          };
        } finally {
          model.dispose();
        }
      }
      // Loading validates the files; saving writes a clean copy.
      const model = await loadModel(tfjsFile);
      try {
        await out.write((dir) => saveModel(model, dir, modelMetadata(tfjsFile)));
        const s = summarizeModel(model);
        return {
          value: { model: path.join(out.dir, 'model.json'), params: s.params, flops: s.flops, format },
          text: `exported ${tfjsFile} → ${path.join(out.dir, 'model.json')} (${s.params} parameters, ${s.flops} FLOPs per sample)`,
        };
      } finally {
        model.dispose();
      }
    } finally {
      out.release();
    }
  },
});
