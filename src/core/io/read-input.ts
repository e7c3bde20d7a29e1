/** Reading a file the user named (data, inputs, images): a missing or unreadable one is a bad-input error naming it. */
import fs from 'node:fs';
import { badInput } from '../errors';

export interface ReadHints {
  /** What to do when the file does not exist. */
  missing?: string;
  /** What the file should be and what to do when the path is a folder (without it, the generic "cannot be read"). */
  folder?: { expected: string; hint: string };
}

export function readInputFile(file: string, hints: ReadHints = {}): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw badInput(`${file} does not exist`, hints.missing ?? 'check the path');
    if (code === 'EISDIR' && hints.folder)
      throw badInput(`${file} is a folder, not ${hints.folder.expected}`, hints.folder.hint);
    throw badInput(`${file} cannot be read (${code ?? String(e)})`, 'check the file permissions');
  }
}
