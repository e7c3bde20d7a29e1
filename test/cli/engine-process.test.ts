import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PxpError } from '../../src/core/errors';
import { EngineClient } from '../../src/engine/client';
import { isResultOf, isToEngine } from '../../src/protocol/engine';
import { CONFORMANCE, REPO, listFiles, tempDir } from '../helpers/tmp';

const ENGINE = path.join(REPO, 'dist', 'engine.js');
const CNN_BN = path.join(CONFORMANCE, 'cnn_bn', 'model', 'model.json');
const DEMO = path.join(REPO, 'examples', 'fashion-mnist');
const DEMO_TEST = path.join(DEMO, 'test');
const DEMO_MODEL = path.join(DEMO, 'model', 'model.json');

describe('engine process (dist/engine.js) and its client', () => {
  let client: EngineClient;
  beforeEach(() => (client = new EngineClient({ enginePath: ENGINE })));
  afterEach(() => client.dispose());

  it('answers a request with a typed result', async () => {
    const info = await client.request('info', { model: CNN_BN });
    assert.deepEqual(info.inputShape, [28, 28, 1]);
    assert.equal(info.params, 9194);
    assert.equal(info.backend.name, 'wasm');
    // Two convs (8 and 16 channels) and the classifier, no add: each conv is a group of its own.
    assert.deepEqual(
      info.groups.groups.map((g) => [g.layers, g.components]),
      [
        [['0'], 8],
        [['5'], 16],
      ],
    );
  });

  it('streams progress, and a bad input comes back as a bad-input error', async () => {
    const progress: number[] = [];
    const r = await client.request(
      'evaluate',
      { model: CNN_BN, data: DEMO_TEST, limit: 600 },
      { onProgress: (p) => progress.push(p.done) },
    );
    assert.equal(r.count, 600);
    assert.ok(progress.length >= 2 && progress[progress.length - 1] === 600, `progress ${progress}`);
    await assert.rejects(
      () => client.request('info', { model: '/no/such/model.json' }),
      (e: PxpError) => e.code === 'bad-input' && /not found/.test(e.message),
    );
  });

  it('cancels a request', async () => {
    const controller = new AbortController();
    const run = client.request(
      'evaluate',
      { model: CNN_BN, data: DEMO_TEST },
      { signal: controller.signal, onProgress: () => controller.abort() },
    );
    await assert.rejects(run, (e: PxpError) => e.code === 'cancelled');
  });

  it('runs the engine at the niceness asked for, so the editor keeps its CPU', async () => {
    const nice = new EngineClient({ enginePath: ENGINE, niceness: 10 });
    try {
      await nice.request('backend', {});
      assert.equal(os.getPriority(nice.pid!), 10);
    } finally {
      nice.dispose();
    }
  });

  it('runs the engine under the Node of nodePath (pxp.nodePath)', async function () {
    // A wrapper that marks its environment and runs this Node: the engine's /proc environ shows it started through it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-node-'));
    const wrapper = path.join(dir, 'node');
    fs.writeFileSync(wrapper, `#!/bin/sh\nPXP_NODE_WRAPPER=1 exec "${process.execPath}" "$@"\n`, { mode: 0o755 });
    const other = new EngineClient({ enginePath: ENGINE, nodePath: wrapper });
    try {
      const info = await other.request('info', { model: CNN_BN });
      assert.equal(info.numClasses, 10);
      assert.ok(fs.readFileSync(`/proc/${other.pid}/environ`, 'utf8').split('\0').includes('PXP_NODE_WRAPPER=1'));
    } finally {
      other.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a nodePath that does not exist fails the request with a usage error naming it', async () => {
    const missing = path.join(os.tmpdir(), 'pxp-no-such-node', 'node');
    const bad = new EngineClient({ enginePath: ENGINE, nodePath: missing });
    try {
      await assert.rejects(
        bad.request('info', { model: CNN_BN }),
        (e: PxpError) => e.code === 'usage' && e.message.includes(missing) && /pxp\.nodePath/.test(e.hint ?? ''),
      );
    } finally {
      bad.dispose();
    }
  });

  it('a crashed engine fails its pending requests, and the next request starts a fresh one', async () => {
    await client.request('info', { model: CNN_BN });
    const first = client.pid!;
    const pending = client.request('evaluate', { model: CNN_BN, data: DEMO_TEST });
    process.kill(first, 'SIGKILL');
    await assert.rejects(pending, (e: PxpError) => e.code === 'internal' && /engine process exited/.test(e.message));
    const info = await client.request('info', { model: CNN_BN });
    assert.equal(info.numClasses, 10);
    assert.notEqual(client.pid, first);
  });
});

describe('engine messages are checked before they are trusted', () => {
  it('accepts a well-formed run request and rejects unknown commands and non-scalar flags', () => {
    assert.ok(
      isToEngine({
        type: 'request',
        id: 1,
        method: 'run',
        params: { command: 'prune', flags: { out: 'x', signed: true } },
      }),
    );
    assert.ok(!isToEngine({ type: 'request', id: 1, method: 'run', params: { command: 'demo', flags: {} } }));
    assert.ok(
      !isToEngine({ type: 'request', id: 1, method: 'run', params: { command: 'prune', flags: { out: ['x'] } } }),
    );
    assert.ok(!isToEngine({ type: 'request', id: '1', method: 'info', params: {} }));
    assert.ok(!isToEngine({ type: 'bogus' }));
  });
});

describe('engine run method: the CLI commands in the engine process', () => {
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

  it('prunes the demo model and writes the run folder, with progress', async () => {
    const out = path.join(tmp.dir, 'run');
    const progress: number[] = [];
    const r = await client.request(
      'run',
      {
        command: 'prune',
        flags: {
          model: DEMO_MODEL,
          reference: path.join(DEMO, 'reference'),
          eval: DEMO_TEST,
          'eval-limit': '200',
          rates: '0,0.25,0.5',
          rate: '0.25',
          out,
        },
      },
      { onProgress: (p) => progress.push(p.done) },
    );
    assert.ok(isResultOf(r, 'prune'), 'the engine answers with the command’s own result');
    const value = r.value;
    assert.equal(value.out, out);
    for (const f of ['run.json', 'curve.json', 'relevance.json', 'report.html', 'pruned/model.json'])
      assert.ok(fs.existsSync(path.join(out, f)), f);
    const curve = JSON.parse(fs.readFileSync(path.join(out, 'curve.json'), 'utf8'));
    assert.equal(curve.points.length, 3);
    assert.equal(curve.auc, value.auc);
    assert.ok(progress.length > 0, 'progress messages');
    assert.match(r.text, /wrote .*run\.json/);
  });

  it('a cancelled prune stops within a second and leaves no folder', async () => {
    const out = path.join(tmp.dir, 'cancelled');
    const controller = new AbortController();
    let abortedAt = 0;
    const run = client.request(
      'run',
      {
        command: 'prune',
        flags: {
          model: DEMO_MODEL,
          reference: path.join(DEMO, 'reference'),
          eval: DEMO_TEST,
          criterion: 'lrp:epsilon-plus-flat',
          rate: '0.5',
          out,
        },
      },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (!abortedAt && p.done > 0) {
            abortedAt = Date.now();
            controller.abort();
          }
        },
      },
    );
    await assert.rejects(run, (e: PxpError) => e.code === 'cancelled');
    assert.ok(abortedAt > 0);
    assert.ok(Date.now() - abortedAt < 1000, `stopped ${Date.now() - abortedAt} ms after cancel`);
    assert.deepEqual(listFiles(tmp.dir), []);
  });

  it('a cancelled search removes the trials it logged', async () => {
    const out = path.join(tmp.dir, 'search');
    const controller = new AbortController();
    const run = client.request(
      'run',
      {
        command: 'search',
        flags: {
          model: DEMO_MODEL,
          reference: path.join(DEMO, 'reference'),
          eval: DEMO_TEST,
          'eval-limit': '200',
          trials: '50',
          out,
        },
      },
      { signal: controller.signal, onOutput: (l) => /trial 2\//.test(l) && controller.abort() },
    );
    await assert.rejects(run, (e: PxpError) => e.code === 'cancelled');
    assert.deepEqual(listFiles(tmp.dir), []);
  });

  it('bad flags and bad inputs come back as usage and bad-input errors, writing nothing', async () => {
    const out = path.join(tmp.dir, 'x');
    await assert.rejects(
      () => client.request('run', { command: 'prune', flags: { model: DEMO_MODEL, out, json: true } }),
      (e: PxpError) => e.code === 'usage' && /--json/.test(e.message),
    );
    await assert.rejects(
      () => client.request('run', { command: 'prune', flags: { out } }),
      (e: PxpError) => e.code === 'usage' && /--model is required/.test(e.message),
    );
    const broken = path.join(tmp.dir, 'broken.json');
    fs.writeFileSync(broken, '{"modelTopology": ');
    await assert.rejects(
      () =>
        client.request('run', {
          command: 'prune',
          flags: { model: broken, reference: path.join(DEMO, 'reference'), eval: DEMO_TEST, out },
        }),
      (e: PxpError) => e.code === 'bad-input',
    );
    await assert.rejects(
      () =>
        client.request('run', {
          command: 'prune',
          flags: { model: DEMO_MODEL, reference: path.join(tmp.dir, 'missing'), eval: DEMO_TEST, out },
        }),
      (e: PxpError) => e.code === 'bad-input' && /missing/.test(e.message),
    );
    assert.deepEqual(listFiles(tmp.dir), ['broken.json']);
  });
});
