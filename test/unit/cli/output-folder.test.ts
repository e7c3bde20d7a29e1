import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PxpError } from '../../../src/core/errors';
import { type OutputFolder, claimOutputFolder, realPathOf } from '../../../src/cli/output-folder';
import { discardFolder } from '../../../src/core/io/result-folder';
import { listFiles, tempDir } from '../../helpers/tmp';

const refusedWith = (code: PxpError['code'], pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof PxpError, `not a PxpError: ${e}`);
  assert.equal(e.code, code, e.message);
  assert.match(e.message, pattern);
  return true;
};

/** A pid that ran and is gone. */
const deadPid = () =>
  Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

describe('the output folder (claimOutputFolder): one writer, whole folders', () => {
  let tmp: ReturnType<typeof tempDir>;
  let held: OutputFolder[];
  const ctx = (force = false) => ({ force, signal: new AbortController().signal, command: 'test' });
  const claim = (name: string, opts: { force?: boolean; inputs?: string[]; signal?: AbortSignal } = {}) => {
    const f = claimOutputFolder(path.join(tmp.dir, name), opts.inputs ?? [], {
      ...ctx(opts.force),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    held.push(f);
    return f;
  };
  beforeEach(() => {
    tmp = tempDir();
    held = [];
  });
  afterEach(() => {
    held.forEach((f) => f.release());
    tmp.cleanup();
  });

  it('a second writer is refused while the first holds the lock, and may claim once it is released', () => {
    const first = claim('run');
    assert.throws(
      () => claim('run'),
      refusedWith('bad-input', /--out .*run is being written by another pxp run \(pid \d+, pxp test since/),
    );
    first.release();
    claim('run');
  });

  it("a stale lock (its pid gone) is taken over, and that run's hidden partial folders go with it", () => {
    fs.writeFileSync(path.join(tmp.dir, '.run.lock'), JSON.stringify({ pid: deadPid(), command: 'prune' }));
    fs.mkdirSync(path.join(tmp.dir, '.run.4242.partial', 'heatmaps'), { recursive: true });
    fs.mkdirSync(path.join(tmp.dir, '.run.4242.old'));
    fs.mkdirSync(path.join(tmp.dir, '.runner.4242.partial'));
    const f = claim('run');
    assert.deepEqual(fs.readdirSync(tmp.dir).sort(), ['.run.lock', '.runner.4242.partial']);
    f.release();
    assert.deepEqual(
      fs.readdirSync(tmp.dir),
      ['.runner.4242.partial'],
      "the lock is removed on release; another folder's partial is not ours",
    );
  });

  it('write() puts a whole folder in place; a failing fill leaves nothing, and an older folder as it was', async () => {
    const f = claim('run');
    await assert.rejects(
      f.write((dir) => {
        fs.writeFileSync(path.join(dir, 'a.json'), '{}');
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(fs.readdirSync(tmp.dir), ['.run.lock']);
    await f.write((dir) => fs.writeFileSync(path.join(dir, 'run.json'), '{"v": 1}'));
    f.release();
    assert.deepEqual(listFiles(path.join(tmp.dir, 'run')), ['run.json']);
    const again = claim('run', { force: true });
    await assert.rejects(
      again.write(() => Promise.reject(new Error('late'))),
      /late/,
    );
    assert.equal(
      fs.readFileSync(path.join(tmp.dir, 'run', 'run.json'), 'utf8'),
      '{"v": 1}',
      'the older run is untouched',
    );
  });

  it('--force replaces an older result whole (no file of it survives); a folder holding other files is refused', async () => {
    fs.mkdirSync(path.join(tmp.dir, 'run', 'pruned'), { recursive: true });
    fs.writeFileSync(path.join(tmp.dir, 'run', 'pruned', 'model.json'), '{}');
    fs.writeFileSync(path.join(tmp.dir, 'run', 'curve.json'), '{}');
    assert.throws(() => claim('run'), refusedWith('bad-input', /exists and is not empty/));
    const f = claim('run', { force: true });
    await f.write((dir) => fs.writeFileSync(path.join(dir, 'run.json'), '{}'));
    assert.deepEqual(listFiles(path.join(tmp.dir, 'run')), ['run.json']);
    fs.mkdirSync(path.join(tmp.dir, 'mine'));
    fs.writeFileSync(path.join(tmp.dir, 'mine', 'thesis.tex'), '');
    assert.throws(
      () => claim('mine', { force: true }),
      refusedWith('bad-input', /holds files PXP did not write \(thesis\.tex\)/),
    );
  });

  it('a write the file system refuses (ENOSPC, EACCES, EROFS, EFBIG) is bad input naming the folder, with nothing left', async () => {
    for (const code of ['ENOSPC', 'EACCES', 'EROFS', 'EFBIG']) {
      const f = claim(`run-${code}`);
      await assert.rejects(
        f.write((dir) => {
          fs.writeFileSync(path.join(dir, 'input.npy'), 'half');
          throw Object.assign(new Error(`${code}: simulated`), { code, syscall: 'write' });
        }),
        refusedWith('bad-input', new RegExp(`cannot write .*run-${code}: .*\\(${code}\\)`)),
      );
      f.release();
    }
    assert.deepEqual(fs.readdirSync(tmp.dir), [], 'no partial folder, no lock');
  });

  it('a cancel before the rename leaves nothing: the folder is not put in place', async () => {
    const controller = new AbortController();
    const f = claim('run', { signal: controller.signal });
    await assert.rejects(
      f.write((dir) => {
        fs.writeFileSync(path.join(dir, 'run.json'), '{}');
        controller.abort();
      }),
      refusedWith('cancelled', /cancelled/),
    );
    f.release();
    assert.deepEqual(fs.readdirSync(tmp.dir), []);
  });

  it('inputs are compared by real path: a symlink to an input folder, or into it, is refused', () => {
    const data = path.join(tmp.dir, 'data');
    fs.mkdirSync(path.join(data, 'ref'), { recursive: true });
    fs.symlinkSync(data, path.join(tmp.dir, 'link'));
    assert.equal(
      realPathOf(path.join(tmp.dir, 'link', 'new', 'deeper')),
      path.join(fs.realpathSync(data), 'new', 'deeper'),
    );
    assert.throws(
      () => claim('link', { inputs: [path.join(data, 'ref')] }),
      refusedWith('bad-input', /would overwrite the input/),
    );
    assert.throws(
      () => claim(path.join('link', 'ref', 'run'), { inputs: [path.join(data, 'ref')] }),
      refusedWith('bad-input', /lies inside the input folder/),
    );
    assert.deepEqual(listFiles(data), ['ref']);
  });

  it('a parent made for the folder is removed again when the run leaves nothing', () => {
    const f = claim(path.join('a', 'b', 'run'));
    assert.ok(fs.existsSync(path.join(tmp.dir, 'a', 'b', '.run.lock')));
    f.release();
    assert.deepEqual(fs.readdirSync(tmp.dir), []);
  });

  it('discardFolder removes what a killed run left: the folder, its partial folders and its stale lock', () => {
    fs.mkdirSync(path.join(tmp.dir, 'run'));
    fs.mkdirSync(path.join(tmp.dir, '.run.77.partial'));
    fs.writeFileSync(path.join(tmp.dir, '.run.lock'), JSON.stringify({ pid: deadPid(), command: 'search' }));
    discardFolder(path.join(tmp.dir, 'run'));
    assert.deepEqual(fs.readdirSync(tmp.dir), []);
  });

  it('discardFolder leaves a folder alone while a live writer holds its lock (the failed run was the one refused)', () => {
    const writer = claim('run');
    fs.mkdirSync(path.join(tmp.dir, `.run.${process.pid}.partial`));
    discardFolder(writer.dir);
    assert.deepEqual(fs.readdirSync(tmp.dir).sort(), [`.run.${process.pid}.partial`, '.run.lock']);
  });
});
