import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, pxp, startPxp } from '../helpers/pxp';
import { REPO, listFiles, tempDir } from '../helpers/tmp';

const DEMO = path.join(REPO, 'examples', 'fashion-mnist');
const MODEL = path.join(DEMO, 'model', 'model.json');
const REF = path.join(DEMO, 'reference');
const TEST = path.join(DEMO, 'test');
const data = ['--reference', REF, '--eval', TEST];

/** Whether this machine lets us make a private mount namespace with tmpfs mounts (unshare -r -m). */
const canMount =
  spawnSync('unshare', [
    '-r',
    '-m',
    'sh',
    '-c',
    'd=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d" && umount "$d" && rmdir "$d"',
  ]).status === 0;

/** Runs the CLI in its own mount namespace, with a tmpfs of `size` mounted read-only or not at `mountAt` (filled with `fill` bytes first). */
function pxpOnTmpfs(mountAt: string, opts: { size: string; readOnly?: boolean; fill?: number }, args: string[]) {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const fill = opts.fill ? `head -c ${opts.fill} /dev/zero > ${q(path.join(mountAt, 'filler'))} 2>/dev/null;` : '';
  const remount = opts.readOnly ? `mount -o remount,ro ${q(mountAt)} &&` : '';
  const script = `mount -t tmpfs -o size=${opts.size} tmpfs ${q(mountAt)} && ${fill} ${remount} ${q(process.execPath)} ${q(CLI)} ${args.map(q).join(' ')}; rc=$?; echo "LISTING:$(ls -A ${q(mountAt)} | tr '\\n' ' ')" >&2; exit $rc`;
  const r = spawnSync('unshare', ['-r', '-m', 'sh', '-c', script], { cwd: REPO, encoding: 'utf8', timeout: 300_000 });
  const listing = /LISTING:(.*)/.exec(r.stderr)?.[1].trim().split(/\s+/).filter(Boolean) ?? [];
  return { code: r.status ?? -1, stderr: r.stderr, listing };
}

describe('output folders: one writer, replaced whole, never half written (issue 16)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  describe('4. one writer per --out', () => {
    it('a second run on the same --out is refused (exit 2) before any work while the first runs; the first writes its folder', async () => {
      const out = path.join(tmp.dir, 'run');
      const first = startPxp([
        'prune',
        '--model',
        MODEL,
        ...data,
        '--criterion',
        'lrp:epsilon-plus-flat',
        '--out',
        out,
        '--json',
      ]);
      await first.until(/"progress"/);
      const second = pxp(['prune', '--model', MODEL, ...data, '--criterion', 'weight', '--out', out, '--json'], {
        timeoutMs: 30_000,
      });
      assert.equal(second.code, 2, second.stderr);
      assert.match(second.stderr, /--out .*run is being written by another pxp run \(pid \d+/);
      assert.doesNotMatch(second.stderr, /"progress"/, 'refused before any work');
      assert.equal((await first.exit).code, 0, first.stderr());
      assert.equal(
        JSON.parse(fs.readFileSync(path.join(out, 'curve.json'), 'utf8')).criterion,
        'lrp:epsilon-plus-flat',
      );
      assert.deepEqual(fs.readdirSync(tmp.dir), ['run'], 'no lock or temp folder left');
    });

    it('a lock left by a killed run (its pid gone) is taken over', () => {
      const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
        encoding: 'utf8',
      });
      fs.writeFileSync(path.join(tmp.dir, '.run.lock'), JSON.stringify({ pid: Number(gone.stdout), command: 'prune' }));
      const r = pxp([
        'prune',
        '--model',
        MODEL,
        ...data,
        '--criterion',
        'weight',
        '--rates',
        '0,0.5',
        '--out',
        path.join(tmp.dir, 'run'),
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(fs.readdirSync(tmp.dir), ['run']);
    });

    it('--force replaces an older run whole: its pruned/ does not survive, so export refuses', () => {
      const out = path.join(tmp.dir, 'run');
      assert.equal(
        pxp([
          'prune',
          '--model',
          MODEL,
          ...data,
          '--criterion',
          'weight',
          '--rates',
          '0,0.3',
          '--rate',
          '0.3',
          '--out',
          out,
        ]).code,
        0,
      );
      assert.ok(fs.existsSync(path.join(out, 'pruned', 'model.json')));
      const again = pxp([
        'prune',
        '--model',
        MODEL,
        ...data,
        '--criterion',
        'random',
        '--rates',
        '0,0.3',
        '--out',
        out,
        '--force',
      ]);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(listFiles(out), [
        'cost.svg',
        'curve.json',
        'curve.svg',
        'layers.svg',
        'relevance.json',
        'report.html',
        'run.json',
      ]);
      const e = pxp(['export', '--run', out, '--out', path.join(tmp.dir, 'exported')]);
      assert.equal(e.code, 2);
      assert.match(e.stderr, /has no pruned model/);
    });

    it('--force will not empty a folder of files PXP did not write', () => {
      const out = path.join(tmp.dir, 'mine');
      fs.mkdirSync(out);
      fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
      const r = pxp([
        'prune',
        '--model',
        MODEL,
        ...data,
        '--criterion',
        'weight',
        '--rates',
        '0',
        '--out',
        out,
        '--force',
      ]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /holds files PXP did not write \(notes\.txt\)/);
      assert.deepEqual(listFiles(out), ['notes.txt']);
    });

    it('a run killed (SIGKILL) while writing leaves no --out folder; its hidden .partial folder goes with the next run', async () => {
      const out = path.join(tmp.dir, 'attr');
      const args = [
        'attribute',
        '--model',
        MODEL,
        '--inputs',
        path.join(TEST, 'x.npy'),
        '--heatmaps',
        '1000',
        '--out',
        out,
      ];
      const run = startPxp(args);
      const t0 = Date.now();
      const partial = () => fs.readdirSync(tmp.dir).find((f) => f.endsWith('.partial'));
      while (!(partial() && fs.existsSync(path.join(tmp.dir, partial()!, 'heatmaps')))) {
        if (Date.now() - t0 > 120_000) throw new Error(`no partial folder appeared: ${run.stderr()}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      run.child.kill('SIGKILL');
      await run.exit;
      assert.ok(!fs.existsSync(out), 'no half folder');
      const again = pxp([...args.slice(0, -4), '--heatmaps', '2', '--out', out]);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(fs.readdirSync(tmp.dir), ['attr'], "the killed run's partial folder and lock are gone");
    });

    it('train and export write through a temp folder too: a write that fails half way leaves no half folder', () => {
      // ulimit -f caps the size of a file this process may write: weights.bin (440 kB) fails with EFBIG.
      const limited = (args: string[]) =>
        spawnSync('sh', ['-c', `ulimit -f 200; exec "$0" "$@"`, process.execPath, CLI, ...args], {
          cwd: REPO,
          encoding: 'utf8',
          timeout: 300_000,
        });
      const trained = path.join(tmp.dir, 'trained');
      const t = limited([
        'train',
        '--arch',
        'vgg',
        '--data',
        TEST,
        '--limit',
        '128',
        '--epochs',
        '1',
        '--out',
        trained,
      ]);
      assert.equal(t.status, 2, t.stderr);
      assert.match(t.stderr, /cannot write .*trained.*too large/);
      const run = path.join(tmp.dir, 'run');
      assert.equal(
        pxp([
          'prune',
          '--model',
          MODEL,
          ...data,
          '--criterion',
          'weight',
          '--rates',
          '0,0.1',
          '--rate',
          '0.1',
          '--out',
          run,
        ]).code,
        0,
      );
      const e = limited(['export', '--run', run, '--out', path.join(tmp.dir, 'exported')]);
      assert.equal(e.status, 2, e.stderr);
      assert.match(e.stderr, /cannot write .*exported.*too large/);
      assert.deepEqual(fs.readdirSync(tmp.dir), ['run'], 'no half folder, no partial folder, no lock');
    });
  });

  describe('5. an --out that cannot be written', () => {
    it('a read-only parent: exit 2 before any work, naming the folder', function () {
      if (!canMount) this.skip();
      const mnt = path.join(tmp.dir, 'ro');
      fs.mkdirSync(mnt);
      const r = pxpOnTmpfs(mnt, { size: '1m', readOnly: true }, [
        'prune',
        '--model',
        MODEL,
        ...data,
        '--criterion',
        'weight',
        '--out',
        path.join(mnt, 'run'),
        '--json',
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--out .*ro\/run cannot be written: .*read-only/);
      assert.doesNotMatch(r.stderr, /"progress"/);
    });

    it('a full file system: exit 2 before any work', function () {
      if (!canMount) this.skip();
      const mnt = path.join(tmp.dir, 'full');
      fs.mkdirSync(mnt);
      const r = pxpOnTmpfs(mnt, { size: '256k', fill: 1 << 20 }, [
        'prune',
        '--model',
        MODEL,
        ...data,
        '--criterion',
        'weight',
        '--out',
        path.join(mnt, 'run'),
        '--json',
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--out .*full\/run: the file system has only \d+ KiB free/);
      assert.doesNotMatch(r.stderr, /"progress"/);
      assert.deepEqual(r.listing, ['filler']);
    });

    it('no space left while writing (ENOSPC): exit 2 naming the folder, nothing partial left', function () {
      if (!canMount) this.skip();
      const mnt = path.join(tmp.dir, 'small');
      fs.mkdirSync(mnt);
      // 1 000 relevance maps of 28×28 floats are 3.1 MB: more than the 2 MiB file system holds.
      const r = pxpOnTmpfs(mnt, { size: '2m' }, [
        'attribute',
        '--model',
        MODEL,
        '--inputs',
        path.join(TEST, 'x.npy'),
        '--heatmaps',
        '0',
        '--out',
        path.join(mnt, 'run'),
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /cannot write .*small\/run.*no space left/i);
      assert.deepEqual(r.listing, [], 'no partial folder, no lock');
    });
  });

  describe('8. a symlinked --out into an input folder', () => {
    it('is refused like the input folder itself, even with --force', () => {
      const link = path.join(tmp.dir, 'link');
      fs.symlinkSync(REF, link);
      const before = listFiles(REF);
      const r = pxp([
        'prune',
        '--model',
        MODEL,
        ...data,
        '--criterion',
        'weight',
        '--rates',
        '0',
        '--out',
        link,
        '--force',
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /would overwrite the input/);
      assert.deepEqual(listFiles(REF), before);
      const into = path.join(tmp.dir, 'models');
      fs.symlinkSync(path.join(DEMO, 'model'), into);
      const t = pxp(['export', '--run', tmp.dir, '--out', into, '--force']);
      assert.notEqual(t.code, 0);
      assert.deepEqual(listFiles(path.join(DEMO, 'model')), ['model.json', 'training.json', 'weights.bin']);
    });
  });
});
