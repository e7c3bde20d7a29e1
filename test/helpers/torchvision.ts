/**
 * Genuine PyTorch exports for the tests: scripts/export-torchvision.py run with Debian's python3-torch, cached by the
 * script's content under ~/.cache/pxp-studio (about a minute the first time). Without torch the tests fail with the
 * command that installs it; they never skip.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './tmp';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(REPO, 'scripts', 'export-torchvision.py');

export function torchvisionFixtures(): string {
  const hash = crypto.createHash('sha256').update(fs.readFileSync(SCRIPT)).digest('hex').slice(0, 12);
  const dir = path.join(os.homedir(), '.cache', 'pxp-studio', `torchvision-fixtures-${hash}`);
  if (fs.existsSync(path.join(dir, 'fixtures.json'))) return dir;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
  if (probe.status !== 0)
    throw new Error(
      `Debian's PyTorch is missing (${probe.stderr.trim().split('\n').pop()}): apt-get install python3-torch python3-torchvision`,
    );
  const tmp = `${dir}.partial-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const r = spawnSync(PYTHON, [SCRIPT, '--fixtures', tmp], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) throw new Error(`export-torchvision.py failed:\n${r.stderr}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return dir;
}

/** A fixture's folder: model.onnx, x.npy (NCHW inputs), outputs.npy (PyTorch's outputs). */
export const fixture = (name: string) => path.join(torchvisionFixtures(), name);
