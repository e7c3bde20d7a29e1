import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(prefix = 'pxp-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Every file below dir, relative, sorted: to assert that a refused command wrote nothing. */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

export const REPO = path.resolve(__dirname, '..', '..');
export const CONFORMANCE = path.resolve(REPO, '..', 'shared', 'conformance', 'cases');
export const FASHION = '/usr/share/datasets/fashion-mnist';
