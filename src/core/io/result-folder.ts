/**
 * Result folders on disk: one writer per folder (an exclusive lock file beside it, created with 'wx' and holding the
 * writer's pid, so a lock a killed writer left is recognised as stale), and folders that appear whole (assembled
 * under a hidden `.NAME.PID.partial` sibling, then renamed into place, replacing an older folder whole). A killed
 * writer's hidden siblings are removed by the next writer that takes the lock. Node only; no CLI or editor knowledge.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { PxpError, badInput } from '../errors';

interface LockContent {
  pid: number;
  host: string;
  command: string;
  started: string;
  token: string;
}

export const lockFileOf = (dir: string) => path.join(path.dirname(dir), `.${path.basename(dir)}.lock`);

/** `.NAME.PID.partial` (being assembled) and `.NAME.PID.old` (an older folder being replaced). */
const siblingName = (dir: string, kind: 'partial' | 'old') => `.${path.basename(dir)}.${process.pid}.${kind}`;
const isLeftoverOf = (dir: string, entry: string) =>
  entry.startsWith(`.${path.basename(dir)}.`) &&
  /^\.\d+\.(partial|old)$/.test(entry.slice(path.basename(dir).length + 1));

const held = new Map<string, string>();
let exitHook = false;

/** Whether a process with this pid runs on this machine (EPERM: it runs, as another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockContent | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as LockContent;
    return Number.isInteger(v?.pid) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A lock whose writer is gone: its pid runs no more on this host (a lock from another host is never stale). */
function isStale(lock: LockContent | undefined): boolean {
  if (!lock) return true;
  return (lock.host ?? os.hostname()) === os.hostname() && !isAlive(lock.pid);
}

export interface FolderLock {
  file: string;
  release(): void;
}

/**
 * Takes the lock of `dir` (its parent must exist) for `command`, or refuses with a bad-input error naming the run
 * that holds it. A lock left by a dead process is taken over, and that process's hidden partial folders removed.
 */
export function lockFolder(dir: string, command: string, label = dir): FolderLock {
  const file = lockFileOf(dir);
  const token = randomUUID();
  const content: LockContent = {
    pid: process.pid,
    host: os.hostname(),
    command,
    started: new Date().toISOString(),
    token,
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, JSON.stringify(content));
      } catch (e) {
        fs.rmSync(file, { force: true });
        throw e;
      } finally {
        fs.closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw writeFailure(e, label);
      const holder = readLock(file);
      if (!isStale(holder) || attempt > 0) {
        const who = holder
          ? `pid ${holder.pid}${holder.host !== os.hostname() ? ` on ${holder.host}` : ''}, pxp ${holder.command} since ${holder.started}`
          : 'its lock file cannot be read';
        throw badInput(
          `--out ${label} is being written by another pxp run (${who})`,
          `wait for that run to end, or choose another --out; if no such run exists, delete ${file}`,
        );
      }
      // Stale: remove it only if it is still the one just read (another writer may have taken it over meanwhile).
      if (JSON.stringify(readLock(file)) === JSON.stringify(holder)) fs.rmSync(file, { force: true });
    }
  }
  held.set(file, token);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => [...held.keys()].forEach(releaseFile));
  }
  removeLeftovers(dir);
  return { file, release: () => releaseFile(file) };
}

function releaseFile(file: string): void {
  const token = held.get(file);
  if (token === undefined) return;
  held.delete(file);
  if (readLock(file)?.token === token) fs.rmSync(file, { force: true });
}

/** Removes the hidden partial and old folders of earlier writers of `dir` (call only while holding its lock). */
function removeLeftovers(dir: string): void {
  const parent = path.dirname(dir);
  for (const entry of fs.existsSync(parent) ? fs.readdirSync(parent) : []) {
    if (isLeftoverOf(dir, entry)) fs.rmSync(path.join(parent, entry), { recursive: true, force: true });
  }
}

/**
 * Assembles a folder under a hidden sibling and puts it in place as a whole, replacing whatever `dir` held (an empty
 * folder, or an older run the caller agreed to replace). `beforeCommit` runs last, just before the rename (the
 * caller's last chance to cancel). On any failure nothing of the new folder is left and `dir` is as it was.
 */
export async function writeFolderWhole(
  dir: string,
  fill: (tmp: string) => Promise<void> | void,
  beforeCommit: () => Promise<void> | void = () => undefined,
): Promise<void> {
  const parent = path.dirname(dir);
  const tmp = path.join(parent, siblingName(dir, 'partial'));
  try {
    fs.mkdirSync(parent, { recursive: true });
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp);
    await fill(tmp);
    await beforeCommit();
    replaceFolder(dir, tmp);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e instanceof PxpError ? e : writeFailure(e, dir);
  }
}

/** `dir` becomes an empty folder, an older one moved aside and removed (for writers that fill it as they go). */
export function freshFolder(dir: string): void {
  try {
    if (fs.existsSync(dir)) {
      const old = path.join(path.dirname(dir), siblingName(dir, 'old'));
      fs.renameSync(dir, old);
      fs.rmSync(old, { recursive: true, force: true });
    }
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw writeFailure(e, dir);
  }
}

/** Puts the assembled `tmp` at `dir`; an older `dir` is renamed aside first, and back if the second rename fails. */
function replaceFolder(dir: string, tmp: string): void {
  if (!fs.existsSync(dir)) {
    fs.renameSync(tmp, dir);
    return;
  }
  const old = path.join(path.dirname(dir), siblingName(dir, 'old'));
  try {
    fs.renameSync(dir, old);
  } catch {
    // A mount point or a folder we may not rename: empty it and move the entries in instead.
    for (const e of fs.readdirSync(dir)) fs.rmSync(path.join(dir, e), { recursive: true, force: true });
    for (const e of fs.readdirSync(tmp)) fs.renameSync(path.join(tmp, e), path.join(dir, e));
    fs.rmSync(tmp, { recursive: true, force: true });
    return;
  }
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.renameSync(old, dir);
    throw e;
  }
  fs.rmSync(old, { recursive: true, force: true });
}

/**
 * What a failed run of `dir` may have left (the folder, its partial folders, a lock whose writer is gone): removed.
 * While a live writer holds the lock (the failed run was the one refused), its folder is left alone.
 */
export function discardFolder(dir: string): void {
  const lock = lockFileOf(dir);
  if (fs.existsSync(lock) && !isStale(readLock(lock))) return;
  fs.rmSync(dir, { recursive: true, force: true });
  const parent = path.dirname(dir);
  for (const entry of fs.existsSync(parent) ? fs.readdirSync(parent) : []) {
    if (isLeftoverOf(dir, entry)) fs.rmSync(path.join(parent, entry), { recursive: true, force: true });
  }
  fs.rmSync(lock, { force: true });
}

const WRITE_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: "a file is too large (for the file system, or the process's file size limit)",
};

/** Why a write failed, in words, when the file system refused it (permissions, read-only, full); else undefined. */
export function writeErrorReason(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code && code in WRITE_ERRORS ? `${WRITE_ERRORS[code]} (${code})` : undefined;
}

/** A file-system error while writing `dir` as a bad-input error naming it; anything else as it was. */
export function writeFailure(e: unknown, dir: string): unknown {
  const reason = writeErrorReason(e);
  if (!reason) return e;
  const full = /ENOSPC|EDQUOT|EFBIG/.test(reason);
  return badInput(
    `cannot write ${dir}: ${reason}`,
    full
      ? 'free some space, or choose an --out on another file system; nothing was left behind'
      : 'choose an --out folder you can write to; nothing was left behind',
  );
}
