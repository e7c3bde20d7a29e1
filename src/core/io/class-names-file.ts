/**
 * Class names from a text file in a data folder: `classes.txt` (or `labels.txt`), one name per line, line k naming
 * class k. Image-folder data sets name their classes by their folders; this gives the same to x.npy + y.npy and IDX
 * data sets, and to `pxp attribute --inputs X.npy` (the file beside X.npy).
 */
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../errors';

export const CLASS_NAME_FILES = ['classes.txt', 'labels.txt'];

/** The first class-names file among `dirs` (nearest first), or undefined when none has one. */
export function findClassNamesFile(dirs: string[]): string | undefined {
  for (const dir of dirs) {
    for (const name of CLASS_NAME_FILES) {
      const file = path.join(dir, name);
      if (fs.statSync(file, { throwIfNoEntry: false })?.isFile()) return file;
    }
  }
  return undefined;
}

/** The names a class-names file lists; `classes` (when known) is how many the data or the model has. */
export function readClassNamesFile(file: string, classes?: number): string[] {
  const lines = fs
    .readFileSync(file, 'utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  const names = lines.map((l) => l.trim());
  const hint = 'write one class name per line, line 1 naming class 0, with no blank lines between them';
  if (names.length === 0) throw badInput(`${file} lists no class names`, hint);
  const blank = names.indexOf('');
  if (blank >= 0) throw badInput(`${file}: line ${blank + 1} is blank, so class ${blank} has no name`, hint);
  const seen = new Map<string, number>();
  names.forEach((n, i) => {
    const first = seen.get(n);
    if (first !== undefined)
      throw badInput(`${file}: '${n}' names both class ${first} and class ${i}`, 'give every class its own name');
    seen.set(n, i);
  });
  if (classes !== undefined && names.length < classes)
    throw badInput(
      `${file} names ${names.length} classes but there are ${classes}`,
      `add the missing names (lines ${names.length + 1}…${classes}), or remove the file`,
    );
  return names;
}
