import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { PxpError } from '../../../src/core/errors';
import { initBackend } from '../../../src/core/backend/select';

const hasPackage = (p: string) => {
  try {
    require.resolve(p);
    return true;
  } catch {
    return false;
  }
};

describe('backend selection', () => {
  after(() => initBackend('wasm'));

  it('auto picks the first backend that works and says why the others were skipped', async function () {
    if (hasPackage('@tensorflow/tfjs-node')) this.skip();
    const b = await initBackend('auto');
    assert.equal(b.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm', 'the backend really took effect');
    assert.deepEqual(
      b.skipped.map((s) => s.name),
      ['tensorflow-gpu', 'tensorflow'],
    );
    assert.match(b.skipped[0].reason, /tfjs-node-gpu: not installed/);
    assert.match(b.skipped[1].reason, /tfjs-node: not installed/);
  });

  it('a named backend that cannot start is a bad-input error saying why', async function () {
    if (hasPackage('@tensorflow/tfjs-node')) this.skip();
    await assert.rejects(
      () => initBackend('tensorflow'),
      (e: PxpError) => e.code === 'bad-input' && /tfjs-node: not installed/.test(e.message),
    );
  });

  it('switches to cpu and back, with the fast kernels registered on each', async () => {
    assert.equal((await initBackend('cpu')).name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'cpu'));
    assert.equal((await initBackend('wasm')).name, 'wasm');
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'), 'wasm lacks this kernel unless we register it');
  });
});
