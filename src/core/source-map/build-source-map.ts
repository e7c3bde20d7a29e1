/**
 * source-map.json for a model from PyTorch: each module path of the export placed in the Python source — from the
 * export's own stacks where it kept them (`torch.onnx.export(..., verbose=True)`), else by reading the .py files
 * under the source roots — or listed as unplaced with the reason. Computed in the engine process (it parses every
 * .py file under the roots); the editor only reads the file.
 */
import path from 'node:path';
import type { ModelProto } from '../io/onnx/onnx-file';
import type { SourceMapFile } from '../../shared/run-folder/types';
import { observeModules } from './observed-modules';
import { ModulePlacer } from './place-modules';
import { PythonIndex } from './python-index';

export interface SourceMapInputs {
  model: ModelProto;
  modelFile: string;
  /** Folders to search for .py files; the model's own folder is always searched. */
  roots: string[];
  /** The engine's component layer names (module paths). */
  components: string[];
}

export function buildSourceMap(inp: SourceMapInputs): SourceMapFile & { note?: string } {
  const roots = [...new Set([...inp.roots, path.dirname(path.resolve(inp.modelFile))].map((r) => path.resolve(r)))];
  const index = new PythonIndex(roots);
  const observed = observeModules(inp.model);
  const placer = new ModulePlacer(index, observed);
  placer.run();
  const modules: SourceMapFile['modules'] = {};
  for (const [module, p] of [...placer.placed].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))) {
    modules[module] = {
      file: p.file,
      definitionLine: p.definitionLine,
      ...(p.call ? { callLine: p.call.line, ...(p.call.file !== p.file ? { callFile: p.call.file } : {}) } : {}),
      how: p.how,
      ...(p.className ? { className: p.className } : {}),
    };
  }
  const unplaced = [...placer.unplaced]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([module, u]) => ({
      module,
      reason: u.reason,
      ...(u.call ? { callFile: u.call.file, callLine: u.call.line } : {}),
    }));
  return {
    model: path.resolve(inp.modelFile),
    roots,
    stackNodes: observed.nodesWithStack,
    modules,
    unplaced,
    components: inp.components,
    ...(index.scanNote ? { note: index.scanNote } : {}),
  };
}

/** How the map placed the given modules (all of them by default): by the stack, by the search, not at all. */
export function placementCounts(
  map: SourceMapFile,
  modules: string[] = [...Object.keys(map.modules), ...map.unplaced.map((u) => u.module)],
): { exportStack: number; workspaceSearch: number; unplaced: number } {
  const out = { exportStack: 0, workspaceSearch: 0, unplaced: 0 };
  for (const m of modules) {
    const p = map.modules[m];
    if (!p) out.unplaced++;
    else if (p.how === 'export-stack') out.exportStack++;
    else out.workspaceSearch++;
  }
  return out;
}
