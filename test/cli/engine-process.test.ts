import assert from 'node:assert/strict';
import path from 'node:path';
import { PxpError } from '../../src/core/errors';
import { EngineClient } from '../../src/engine/client';
import { CONFORMANCE, REPO } from '../helpers/tmp';

const ENGINE = path.join(REPO, 'dist', 'engine.js');
const CNN_BN = path.join(CONFORMANCE, 'cnn_bn', 'model', 'model.json');
const DEMO_TEST = path.join(REPO, 'examples', 'fashion-mnist', 'test');

describe('engine process (dist/engine.js) and its client', () => {
  let client: EngineClient;
  beforeEach(() => (client = new EngineClient({ enginePath: ENGINE })));
  afterEach(() => client.dispose());

  it('answers a request with a typed result', async () => {
    const info = await client.request('info', { model: CNN_BN });
    assert.deepEqual(info.inputShape, [28, 28, 1]);
    assert.equal(info.params, 9194);
    assert.equal(info.backend.name, 'wasm');
  });

  it('streams progress, and a bad input comes back as a bad-input error', async () => {
    const progress: number[] = [];
    const r = await client.request('evaluate', { model: CNN_BN, data: DEMO_TEST, limit: 600 }, { onProgress: (p) => progress.push(p.done) });
    assert.equal(r.count, 600);
    assert.ok(progress.length >= 2 && progress[progress.length - 1] === 600, `progress ${progress}`);
    await assert.rejects(() => client.request('info', { model: '/no/such/model.json' }), (e: PxpError) => e.code === 'bad-input' && /not found/.test(e.message));
  });

  it('cancels a request', async () => {
    const controller = new AbortController();
    const run = client.request('evaluate', { model: CNN_BN, data: DEMO_TEST }, { signal: controller.signal, onProgress: () => controller.abort() });
    await assert.rejects(run, (e: PxpError) => e.code === 'cancelled');
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
