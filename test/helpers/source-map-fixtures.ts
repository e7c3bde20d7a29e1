/**
 * The source-map tests' model: test/fixtures/source-map/model.py exported by scripts/export-source-map-fixtures.py
 * with Debian's python3-torch (verbose and plain), with Python's own record of where each module was built and
 * called. Cached by the script's and the model's content under ~/.cache/pxp-studio (a few seconds to make).
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './tmp';
import { PYTHON } from './torchvision';

const SCRIPT = path.join(REPO, 'scripts', 'export-source-map-fixtures.py');
export const SOURCE_MAP_MODEL_PY = path.join(REPO, 'test', 'fixtures', 'source-map', 'model.py');

export interface SourceMapTruth {
  exportedFrom: string;
  modules: Record<string, { built: number | null; calls: number[] }>;
}

/** DIR with verbose.onnx, plain.onnx and truth.json. */
export function sourceMapFixtures(): { dir: string; truth: SourceMapTruth } {
  const hash = crypto
    .createHash('sha256')
    .update(fs.readFileSync(SCRIPT))
    .update(fs.readFileSync(SOURCE_MAP_MODEL_PY))
    .digest('hex')
    .slice(0, 12);
  const dir = path.join(os.homedir(), '.cache', 'pxp-studio', `source-map-fixtures-${hash}`);
  if (!fs.existsSync(path.join(dir, 'truth.json'))) {
    const tmp = `${dir}.partial-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    const r = spawnSync(PYTHON, [SCRIPT, tmp], { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
    if (r.status !== 0)
      throw new Error(`export-source-map-fixtures.py failed (Debian's python3-torch is needed):\n${r.stderr}`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  }
  return { dir, truth: JSON.parse(fs.readFileSync(path.join(dir, 'truth.json'), 'utf8')) as SourceMapTruth };
}
