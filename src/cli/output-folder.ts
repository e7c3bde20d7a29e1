/**
 * `--out`, the one writer of every command's result folder. Claiming it checks, before any work: that it holds none
 * of the inputs (real paths, so a symlink cannot sneak the output into an input folder), that an existing folder is
 * empty or, with --force, an older PXP result (replaced whole, never mixed), that it can be written and its file
 * system has room; then it takes the folder's lock (one writer per folder). Writing assembles the folder under a
 * hidden temp name and renames it into place (result-folder.ts), so a folder appears whole or not at all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../core/errors';
import { throwIfCancelled, yieldToEventLoop } from '../core/progress';
import { type FolderLock, freshFolder, lockFolder, writeErrorReason, writeFolderWhole } from '../core/io/result-folder';
import type { CommandContext } from './command';

/** What PXP commands write into a result folder: --force replaces a folder holding only these. */
const RESULT_ENTRIES = new Set([
  'run.json',
  'source-map.json',
  'relevance.json',
  'curve.json',
  'report.html',
  'curve.svg',
  'cost.svg',
  'layers.svg',
  'pruned',
  'trials.jsonl',
  'best-composite.json',
  'comparison.json',
  'search.html',
  'search-progress.svg',
  'importance.svg',
  'input.npy',
  'components.json',
  'heatmaps',
  'outputs.npy',
  'model.json',
  'weights.bin',
  'training.json',
  'model.onnx',
  'compare.html',
  'compare.svg',
  '.pxp-demo',
  'attribution',
  'search',
]);
const isResultEntry = (name: string) =>
  RESULT_ENTRIES.has(name) || /^prune-[a-z0-9-]+$/i.test(name) || /^\..+\.tmp$/.test(name);

/** A file system with less room than this is full for our purposes: refused before the work, not after it. */
const MIN_FREE_BYTES = 1 << 20;

/** The real path of p, following symlinks in the part that exists (the rest as given). */
export function realPathOf(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let at = abs;
  while (!fs.existsSync(at)) {
    const up = path.dirname(at);
    if (up === at) return abs;
    rest.unshift(path.basename(at));
    at = up;
  }
  return path.join(fs.realpathSync(at), ...rest);
}

const within = (inner: string, outer: string) => inner === outer || inner.startsWith(outer + path.sep);

function checkNotAnInput(out: string, dir: string, inputs: string[]): void {
  const real = realPathOf(dir);
  for (const input of inputs) {
    const abs = path.resolve(input);
    const realInput = realPathOf(abs);
    if (within(abs, dir) || within(realInput, real))
      throw badInput(
        `--out ${out} would overwrite the input ${input}`,
        'choose an --out folder that holds none of the inputs',
      );
    if (fs.existsSync(realInput) && fs.statSync(realInput).isDirectory() && within(real, realInput)) {
      throw badInput(
        `--out ${out} lies inside the input folder ${input}`,
        'choose an --out folder outside the inputs, so they stay as they were',
      );
    }
  }
}

function checkExisting(out: string, dir: string, force: boolean, resume: boolean): void {
  if (!fs.existsSync(dir)) return;
  if (!fs.statSync(dir).isDirectory())
    throw badInput(`--out ${out} is an existing file, not a folder`, 'choose a new folder name for --out');
  const entries = fs.readdirSync(dir);
  if (entries.length === 0 || resume) return;
  if (!force)
    throw badInput(
      `--out ${out} exists and is not empty`,
      'choose a new folder, or pass --force to replace the result in it',
    );
  const foreign = entries.filter((e) => !isResultEntry(e));
  if (foreign.length) {
    throw badInput(
      `--out ${out} holds files PXP did not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''})`,
      '--force replaces an older PXP result whole; choose another folder, or move those files out',
    );
  }
}

/** The folder nearest to `dir` that exists (dir itself, or an ancestor the write will create it under). */
function existingAncestor(dir: string): string {
  let at = dir;
  while (!fs.existsSync(at)) at = path.dirname(at);
  return at;
}

/** A real write (a probe file) where the folder will be made, and room on its file system. */
function checkWritable(out: string, dir: string): void {
  const at = existingAncestor(path.dirname(dir));
  const { bavail, bsize } = fs.statfsSync(at);
  const free = Number(bavail) * Number(bsize);
  if (free < MIN_FREE_BYTES)
    throw badInput(
      `--out ${out}: the file system has only ${Math.floor(free / 1024)} KiB free`,
      'free some space, or choose an --out on another file system',
    );
  const probe = path.join(at, `.${path.basename(dir)}.${process.pid}.probe`);
  try {
    fs.writeFileSync(probe, 'pxp');
  } catch (e) {
    const reason = writeErrorReason(e);
    if (!reason) throw e;
    throw badInput(`--out ${out} cannot be written: ${reason}`, 'choose an --out folder you can write to');
  } finally {
    fs.rmSync(probe, { force: true });
  }
}

export interface OutputFolder {
  /** The folder (absolute). */
  dir: string;
  /** Assembles the folder under a hidden name and puts it in place whole (after a last cancel check). */
  write(fill: (dir: string) => Promise<void> | void): Promise<void>;
  /** For a command that writes as it goes (search): the folder, now created empty (an older one replaced), or kept as it is when `keep`. */
  openInPlace(opts: { keep: boolean }): string;
  /** Gives the lock up (idempotent): call when the command ends, however it ends. */
  release(): void;
}

/** Output folders committed under a cancel signal: once a result is in place, a late Ctrl+C no longer undoes the run. */
const committed = new WeakSet<AbortSignal>();
export const resultCommitted = (signal: AbortSignal) => committed.has(signal);

/** Checks `--out` against the inputs and the file system, and takes its lock; every check runs before any work. */
export function claimOutputFolder(
  out: string,
  inputs: string[],
  ctx: Pick<CommandContext, 'force' | 'signal'> & { command: string },
  opts: { resume?: boolean } = {},
): OutputFolder {
  const dir = path.resolve(out);
  checkNotAnInput(out, dir, inputs);
  checkExisting(out, dir, ctx.force, opts.resume === true);
  checkWritable(out, dir);
  // The lock sits beside the folder: its parent is made now, and removed again if the run leaves nothing in it.
  const madeParent = fs.mkdirSync(path.dirname(dir), { recursive: true });
  const lock: FolderLock = lockFolder(dir, ctx.command, out);
  const release = () => {
    lock.release();
    if (madeParent && fs.existsSync(madeParent) && !fs.existsSync(dir))
      removeEmptyFolders(madeParent, path.dirname(dir));
  };
  return {
    dir,
    async write(fill) {
      await writeFolderWhole(dir, fill, async () => {
        // A Ctrl+C that came during the synchronous work before this point is handled now.
        await yieldToEventLoop();
        throwIfCancelled(ctx.signal);
        committed.add(ctx.signal);
      });
    },
    openInPlace({ keep }) {
      if (!keep) freshFolder(dir);
      else
        for (const e of fs.readdirSync(dir)) if (/^\..+\.tmp$/.test(e)) fs.rmSync(path.join(dir, e), { force: true });
      return dir;
    },
    release,
  };
}

/** Removes `deepest` and its ancestors up to and including `top` while they are empty. */
function removeEmptyFolders(top: string, deepest: string): void {
  for (let at = deepest; within(at, top); at = path.dirname(at)) {
    if (fs.readdirSync(at).length > 0) return;
    fs.rmdirSync(at);
    if (at === top) return;
  }
}
