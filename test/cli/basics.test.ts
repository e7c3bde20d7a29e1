import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pxp } from '../helpers/pxp';
import { CONFORMANCE, REPO } from '../helpers/tmp';

const CNN_BN = path.join(CONFORMANCE, 'cnn_bn', 'model', 'model.json');
const DEMO = path.join(REPO, 'examples', 'fashion-mnist');

describe('pxp: help, usage errors and exit codes', () => {
  it('lists the commands with --help and exits 0', () => {
    const r = pxp(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['info', 'train', 'evaluate', 'demo']) assert.match(r.stdout, new RegExp(`\\n  ${c}\\s`));
  });

  it('every command has --help naming its flags', () => {
    for (const [c, flag] of [
      ['info', '--model'],
      ['train', '--epochs'],
      ['evaluate', '--split'],
      ['demo', '--json'],
    ]) {
      const r = pxp([c, '--help']);
      assert.equal(r.code, 0, c);
      assert.match(r.stdout, new RegExp(`usage: pxp ${c}`));
      assert.ok(r.stdout.includes(flag), `${c} --help mentions ${flag}`);
    }
  });

  it('help texts say what the commands do today: vit among the architectures, ONNX export, --force only where an --out folder is written', () => {
    const main = pxp(['--help']).stdout;
    assert.match(main, /train +train a built-in architecture \(vgg, resnet, vit\)/);
    const train = pxp(['train', '--help']).stdout;
    assert.match(train, /usage: pxp train --arch vgg\|resnet\|vit /);
    const exp = pxp(['export', '--help']).stdout;
    assert.match(exp, /ONNX/);
    assert.doesNotMatch(exp, /own issue|not yet/i);
    for (const c of ['info', 'evaluate']) {
      assert.doesNotMatch(pxp([c, '--help']).stdout, /--force/, `${c} --help`);
      const r = pxp([c, '--model', CNN_BN, '--force']);
      assert.equal(r.code, 1, `${c} --force is refused`);
      assert.match(r.stderr, /--force/);
    }
    for (const c of ['prune', 'search', 'attribute', 'train', 'export', 'predict', 'demo'])
      assert.match(pxp([c, '--help']).stdout, /--force +replace the result in an existing --out folder/, c);
  });

  it("progress names each step once: the pruning curve's lines do not repeat the criterion the front end shows beside them", () => {
    const out = path.join(os.tmpdir(), `pxp-progress-${process.pid}`);
    try {
      const r = pxp([
        'prune',
        '--model',
        path.join(DEMO, 'model', 'model.json'),
        '--reference',
        path.join(DEMO, 'reference'),
        '--eval',
        path.join(DEMO, 'test'),
        '--eval-limit',
        '100',
        '--criterion',
        'lrp:epsilon-plus-flat',
        '--rates',
        '0,0.5',
        '--out',
        out,
        '--json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const messages = r.stderr
        .split('\n')
        .filter((l) => l.startsWith('{"progress"'))
        .map((l) => JSON.parse(l).progress.message as string);
      const curve = messages.filter((m) => /rate 0\.50/.test(m));
      assert.deepEqual(curve, [
        'pruning curve: rate 0.50, accuracy ' + (100 * r.json.curve.points[1].accuracy).toFixed(1) + ' %',
      ]);
      assert.ok(
        messages.every((m) => !m.includes('lrp:epsilon-plus-flat')),
        messages.join('\n'),
      );
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('usage errors exit 1: no command, unknown command, unknown flag, missing flag, bad backend', () => {
    assert.equal(pxp([]).code, 1);
    const unknown = pxp(['prunee']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown command 'prunee'/);
    assert.equal(pxp(['info', '--model', CNN_BN, '--colour']).code, 1);
    const missing = pxp(['info']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /--model is required/);
    assert.equal(pxp(['info', '--model', CNN_BN, '--backend', 'gpu9000']).code, 1);
  });

  it('with --json, errors are a JSON document too', () => {
    const r = pxp(['info', '--model', '/nonexistent/model.json', '--json']);
    assert.equal(r.code, 2);
    assert.equal(r.json.error.code, 'bad-input');
    assert.match(r.json.error.message, /nonexistent\/model\.json: model file not found/);
  });
});

describe('pxp info', () => {
  it('reports layers, parameters, FLOPs, input shape and backend as JSON', () => {
    const r = pxp(['info', '--model', CNN_BN, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.inputShape, [28, 28, 1]);
    assert.equal(r.json.numClasses, 10);
    // conv 3×3 1→8 'same' on 28×28, conv 3×3 8→16 stride 2 on 14×14, dense 784→10.
    const macs = 28 * 28 * 8 * 9 + 7 * 7 * 16 * 72 + 784 * 10;
    assert.equal(r.json.macs, macs);
    assert.equal(r.json.flops, 2 * macs);
    assert.equal(r.json.params, 80 + 32 + 1168 + 64 + 7850);
    assert.equal(r.json.backend.name, 'wasm');
    assert.deepEqual(
      r.json.layers.map((l: { name: string }) => l.name),
      ['0', '1', 'relu1', 'pool1', '5', '6', 'relu2', 'flat', '9'],
    );
  });

  it('prints a readable table without --json', () => {
    const r = pxp(['info', '--model', CNN_BN]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /input\s+28×28×1/);
    assert.match(r.stdout, /backend\s+wasm/);
  });
});
