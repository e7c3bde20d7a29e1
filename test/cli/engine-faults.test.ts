import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PxpError } from '../../src/core/errors';
import { discardFolder } from '../../src/core/io/result-folder';
import { EngineClient } from '../../src/engine/client';
import { REPO, listFiles, tempDir } from '../helpers/tmp';

const ENGINE = path.join(REPO, 'dist', 'engine.js');
const DEMO = path.join(REPO, 'examples', 'fashion-mnist');
const MODEL = path.join(DEMO, 'model', 'model.json');
const data = { reference: path.join(DEMO, 'reference'), eval: path.join(DEMO, 'test') };

/**
 * The engine killed (SIGKILL) in the middle of a job, as the editor sees it (issue 16, "beyond the CLI"): the job
 * fails with the reason, what the run left is removed the way the host removes it (discardFolder, as
 * run-commands.ts does for a failed job), and the next job gets a fresh engine that writes the same folder whole.
 */
describe('the engine process killed mid-job (issue 16)', () => {
  let client: EngineClient;
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    client = new EngineClient({ enginePath: ENGINE });
    tmp = tempDir();
  });
  afterEach(() => {
    client.dispose();
    tmp.cleanup();
  });

  async function killedWhen(
    flags: Record<string, string>,
    command: 'search' | 'attribute',
    ready: (dir: string) => boolean,
  ): Promise<{ pid: number; error: PxpError }> {
    let pid = 0;
    const job = client.request('run', { command, flags });
    const t0 = Date.now();
    while (!ready(tmp.dir)) {
      if (Date.now() - t0 > 180_000)
        throw new Error(`the job never reached the point to kill it at: ${listFiles(tmp.dir).join(', ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    pid = client.pid!;
    process.kill(pid, 'SIGKILL');
    const error = await job.then(
      () => assert.fail('the killed job resolved'),
      (e: PxpError) => e,
    );
    return { pid, error };
  }

  it('mid-search (trials.jsonl written as it goes): the job fails naming the kill, nothing is left, the next search runs on a fresh engine', async () => {
    const out = path.join(tmp.dir, 'search');
    const flags = {
      model: MODEL,
      ...data,
      'eval-limit': '200',
      rates: '0,0.2,0.4',
      trials: '40',
      baselines: 'none',
      out,
    };
    const { pid, error } = await killedWhen(
      flags,
      'search',
      () =>
        fs.existsSync(path.join(out, 'trials.jsonl')) &&
        fs.readFileSync(path.join(out, 'trials.jsonl'), 'utf8').split('\n').length > 2,
    );
    assert.equal(error.code, 'internal');
    assert.match(error.message, /the engine process exited \(SIGKILL\)/);
    assert.ok(fs.existsSync(path.join(tmp.dir, '.search.lock')), 'the killed engine held the lock');
    discardFolder(out);
    assert.deepEqual(fs.readdirSync(tmp.dir), [], 'no run folder, no lock');
    const again = await client.request('run', { command: 'search', flags: { ...flags, trials: '2' } });
    assert.notEqual(client.pid, pid, 'a fresh engine');
    assert.equal((again.value as { trials: number }).trials, 2);
    assert.deepEqual(fs.readdirSync(tmp.dir), ['search']);
  });

  it('while writing the result folder (heatmaps): no half folder at --out, and its hidden partial folder goes too', async () => {
    const out = path.join(tmp.dir, 'attr');
    const flags = { model: MODEL, inputs: path.join(data.eval, 'x.npy'), heatmaps: '1000', out };
    const partialWithHeatmaps = (dir: string) =>
      fs.readdirSync(dir).some((f) => f.endsWith('.partial') && fs.existsSync(path.join(dir, f, 'heatmaps')));
    const { error } = await killedWhen(flags, 'attribute', partialWithHeatmaps);
    assert.match(error.message, /the engine process exited \(SIGKILL\)/);
    assert.ok(!fs.existsSync(out), 'the folder never appeared half written');
    discardFolder(out);
    assert.deepEqual(fs.readdirSync(tmp.dir), []);
    await client.request('run', { command: 'attribute', flags: { ...flags, heatmaps: '2' } });
    assert.deepEqual(fs.readdirSync(tmp.dir), ['attr']);
  });
});
