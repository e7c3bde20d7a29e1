/**
 * source-map.json beside a run of a model from PyTorch (prune, attribute): where each component's module is in the
 * Python code, so the editor can show the run's results there. Written for .onnx models only; tfjs models are
 * their own source (model.json).
 */
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../core/errors';
import type { LoadedModel } from '../core/io/open-model';
import { writeJsonFile } from '../core/run-folder/write';
import { buildSourceMap, placementCounts } from '../core/source-map/build-source-map';
import { stringFlag } from './flags';

export const SOURCE_ROOTS_OPTION = {
  'source-roots': {
    type: 'string' as const,
    placeholder: 'DIRS',
    description: `ONNX models: folders with the model's .py code, ${path.delimiter}-separated (the model's own folder is always searched), for RUN/source-map.json`,
  },
};

/** --source-roots: existing folders, each checked. */
export function sourceRootsFlag(flags: Record<string, string | boolean | undefined>): string[] {
  const v = stringFlag(flags, 'source-roots');
  if (!v) return [];
  const roots = v.split(path.delimiter).filter(Boolean);
  for (const r of roots)
    if (!fs.existsSync(r) || !fs.statSync(r).isDirectory())
      throw badInput(
        `--source-roots: ${r} is not a folder`,
        `give folders holding the model's .py files, separated by '${path.delimiter}'`,
      );
  return roots;
}

/** Computes the map (undefined for tfjs models) and says in one line how the modules were placed. */
export function sourceMapFor(
  opened: LoadedModel,
  roots: string[],
  components: string[],
): { write: (dir: string) => void; line: string } | undefined {
  if (!opened.onnx) return undefined;
  const map = buildSourceMap({ model: opened.onnx.source.model, modelFile: opened.file, roots, components });
  const { note, ...file } = map;
  const c = placementCounts(file);
  const placedComponents = components.filter((n) => file.modules[n]).length;
  const line = `source map: ${c.exportStack} modules placed by the export's stack, ${c.workspaceSearch} by reading the .py files, ${c.unplaced} unplaced; ${placedComponents}/${components.length} components placed${file.stackNodes === 0 ? ' (export with torch.onnx.export(..., verbose=True) to place them from the stack)' : ''}${note ? `; ${note}` : ''}`;
  return { write: (dir) => writeJsonFile(dir, 'source-map.json', file, 1), line };
}
