/**
 * A run's source-map.json read for the panels and the editor: the place of one layer's module in the Python source,
 * and the file most of the model's components are defined in (what a panel's header names).
 */
import path from 'node:path';
import { tryReadJsonObject } from '../core/run-folder/read';
import type { SourceMapFile, SourcePlace } from '../shared/run-folder/types';

/** A run folder's source map, if it has one that reads as one. */
export function readSourceMap(runDir: string): SourceMapFile | undefined {
  const m = tryReadJsonObject(path.join(runDir, 'source-map.json'));
  if (
    !m ||
    typeof m.modules !== 'object' ||
    m.modules === null ||
    Array.isArray(m.modules) ||
    !Array.isArray(m.unplaced)
  )
    return undefined;
  return m as unknown as SourceMapFile;
}

/** Where a layer's module is defined, or why the map could not place it. */
export function layerPlace(map: SourceMapFile, layer: string): { place: SourcePlace } | { reason: string } | undefined {
  const place = map.modules[layer];
  if (place) return { place };
  const u = map.unplaced.find((x) => x.module === layer);
  return u ? { reason: u.reason } : undefined;
}

/** The file that defines most of the components (ties: the first in module order). */
export function mainSourceFile(map: SourceMapFile): string | undefined {
  const counts = new Map<string, number>();
  const names = map.components.length ? map.components : Object.keys(map.modules);
  for (const c of names) {
    const f = map.modules[c]?.file;
    if (f) counts.set(f, (counts.get(f) ?? 0) + 1);
  }
  let best: string | undefined;
  for (const [f, n] of counts) if (best === undefined || n > counts.get(best)!) best = f;
  return best;
}

/** `{sourceFile}` for a view of a run with a source map placing its components; `{}` otherwise. */
export function sourceFileOf(runDir: string): { sourceFile?: string } {
  const map = readSourceMap(runDir);
  const file = map && mainSourceFile(map);
  return file ? { sourceFile: file } : {};
}
