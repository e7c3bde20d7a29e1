/**
 * Writes that never leave a half-written file behind: write a temporary sibling, then rename it over the target
 * (rename is atomic on one file system). Used for every file the engine produces.
 */
import fs from 'node:fs';
import path from 'node:path';

let counter = 0;

function tempSibling(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempSibling(file);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
