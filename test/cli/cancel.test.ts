import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { type RunningPxp, startPxp } from '../helpers/pxp';
import { REPO, tempDir } from '../helpers/tmp';

const DEMO = path.join(REPO, 'examples', 'fashion-mnist');
const MODEL = path.join(DEMO, 'model', 'model.json');
const TEST = path.join(DEMO, 'test');
const data = ['--reference', path.join(DEMO, 'reference'), '--eval', TEST];

/** Ctrl+C (SIGINT) in every phase of a command: exit 130, nothing on stdout, nothing left in the folder. */
describe('3. Ctrl+C is honoured in every phase (issue 16)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  async function interrupted(args: string[], phase: (run: RunningPxp) => Promise<void>) {
    const run = startPxp([...args, '--json']);
    await phase(run);
    run.child.kill('SIGINT');
    const { code } = await run.exit;
    assert.equal(code, 130, `exit ${code}: ${run.stderr().slice(-1500)}`);
    assert.equal(
      run.stdout().trim().startsWith('{"error"'),
      true,
      `no result on stdout: ${run.stdout().slice(0, 200)}`,
    );
    assert.deepEqual(fs.readdirSync(tmp.dir), [], 'nothing left: no folder, no temp folder, no lock');
    return run;
  }

  it('prune, after the curve (physical removal, latency)', async () => {
    const args = [
      'prune',
      '--model',
      MODEL,
      ...data,
      '--criterion',
      'weight',
      '--rate',
      '0.5',
      '--out',
      path.join(tmp.dir, 'run'),
    ];
    await interrupted(args, (run) => run.until(/"done":20,"total":20,"message":"pruning curve: rate 0\.95/));
  });

  it('evaluate, while timing latency', async () => {
    await interrupted(['evaluate', '--model', MODEL, '--data', TEST, '--latency-batch', '1024'], async (run) => {
      await run.until(/"done":1000,"total":1000/);
      await new Promise((r) => setTimeout(r, 300));
    });
  });

  it('attribute, while writing heatmaps', async () => {
    const out = path.join(tmp.dir, 'attr');
    await interrupted(
      ['attribute', '--model', MODEL, '--inputs', path.join(TEST, 'x.npy'), '--heatmaps', '1000', '--out', out],
      async () => {
        const t0 = Date.now();
        const partial = () => fs.readdirSync(tmp.dir).find((f) => f.endsWith('.partial'));
        while (!(partial() && fs.existsSync(path.join(tmp.dir, partial()!, 'heatmaps')))) {
          if (Date.now() - t0 > 120_000) throw new Error('no heatmaps were being written');
          await new Promise((r) => setTimeout(r, 10));
        }
      },
    );
  });
});
