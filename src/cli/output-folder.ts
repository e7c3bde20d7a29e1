/**
 * Rules for `--out`: never overwrite the user's inputs, never mix results into a folder that holds other files
 * unless --force says so. Checked before any work starts, so a refused run writes nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../core/errors';

export function checkOutputFolder(out: string, inputs: string[], force: boolean): string {
  const dir = path.resolve(out);
  for (const input of inputs) {
    const abs = path.resolve(input);
    if (abs === dir || abs.startsWith(dir + path.sep)) {
      throw badInput(`--out ${out} would overwrite the input ${input}`, 'choose an --out folder that holds none of the inputs');
    }
  }
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw badInput(`--out ${out} is an existing file, not a folder`, 'choose a new folder name for --out');
    if (fs.readdirSync(dir).length > 0 && !force) {
      throw badInput(`--out ${out} exists and is not empty`, 'choose a new folder, or pass --force to write into it');
    }
  }
  return dir;
}
