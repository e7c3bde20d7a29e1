import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../../core/backend/select';
import { badInput, usageError } from '../../core/errors';
import { loadModel, modelMetadata, saveModel } from '../../core/io/model-files';
import { summarizeModel } from '../../core/graph/summary';
import { Command } from '../command';
import { requiredString, stringFlag } from '../flags';
import { checkOutputFolder } from '../output-folder';

export const exportCommand: Command = {
  name: 'export',
  summary: 'export the pruned model of a run folder (tfjs LayersModel; ONNX comes in its own issue)',
  usage: 'pxp export --run RUN --format tfjs --out DIR',
  options: {
    run: { type: 'string', placeholder: 'RUN', description: 'a run folder written by pxp prune --rate P' },
    format: { type: 'string', placeholder: 'NAME', description: 'tfjs (default)' },
    out: { type: 'string', placeholder: 'DIR', description: 'folder for model.json + weights.bin' },
  },
  required: ['run', 'out'],
  async run(flags, ctx) {
    const format = stringFlag(flags, 'format') ?? 'tfjs';
    if (format !== 'tfjs') throw usageError(`--format ${format} is not supported yet`, 'use --format tfjs');
    const runDir = requiredString(flags, 'run', 'pass --run RUN');
    const pruned = path.join(runDir, 'pruned', 'model.json');
    if (!fs.existsSync(pruned)) throw badInput(`${runDir} has no pruned model (pruned/model.json)`, 'run pxp prune with --rate P to remove components physically');
    const out = checkOutputFolder(requiredString(flags, 'out', 'pass --out DIR'), [runDir], ctx.force);
    await initBackend(ctx.backend);
    // Loading validates the files; saving writes a clean copy atomically.
    const model = await loadModel(pruned);
    try {
      await saveModel(model, out, modelMetadata(pruned));
      const s = summarizeModel(model);
      return { value: { model: path.join(out, 'model.json'), params: s.params, flops: s.flops, format }, text: `exported ${pruned} → ${path.join(out, 'model.json')} (${s.params} parameters, ${s.flops} FLOPs per sample)` };
    } finally {
      model.dispose();
    }
  },
};
