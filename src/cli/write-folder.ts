/**
 * Writes a command's result folder so that it appears whole or not at all: a new folder is assembled under a temp
 * name and renamed into place; an existing (empty, or --force) folder gets each file atomically.
 */
import fs from 'node:fs';
import path from 'node:path';

export async function writeResultFolder(out: string, write: (dir: string) => Promise<void> | void): Promise<void> {
  if (fs.existsSync(out)) {
    await write(out);
    return;
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.partial`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  try {
    await write(tmp);
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
