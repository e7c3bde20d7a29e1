import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { readNpy, writeNpy } from '../../src/core/io/npy';
import { pxp } from '../helpers/pxp';
import { CONFORMANCE, listFiles, tempDir } from '../helpers/tmp';

const CASE = path.join(CONFORMANCE, 'cnn_bn');
const MODEL = path.join(CASE, 'model', 'model.json');
const X = path.join(CASE, 'x.npy');
const Y = path.join(CASE, 'y.npy');

describe('pxp attribute', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('writes input relevance, component relevance and heatmaps, and summarises them as JSON', () => {
    const out = path.join(tmp.dir, 'run');
    const r = pxp([
      'attribute',
      '--model',
      MODEL,
      '--inputs',
      X,
      '--targets',
      Y,
      '--composite',
      'epsilon-gamma-box',
      '--out',
      out,
      '--heatmaps',
      '4',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      listFiles(out).filter((f) => !f.startsWith('heatmaps/')),
      ['components.json', 'heatmaps', 'input.npy'],
    );
    assert.equal(listFiles(path.join(out, 'heatmaps')).length, 4);
    const png = PNG.sync.read(fs.readFileSync(path.join(out, 'heatmaps', listFiles(path.join(out, 'heatmaps'))[0])));
    assert.ok(png.width > 28 * 4 && png.height >= 28 * 4, 'heatmaps are scaled up to be readable');
    assert.deepEqual(readNpy(path.join(out, 'input.npy')).shape, [6, 28, 28, 1]);
    const components = JSON.parse(fs.readFileSync(path.join(out, 'components.json'), 'utf8'));
    assert.deepEqual(
      components.layers.map((l: { name: string; kind: string }) => [l.name, l.kind]),
      [
        ['0', 'conv'],
        ['5', 'conv'],
      ],
    );
    assert.equal(components.layers[0].relevance.length, 6);
    assert.equal(components.layers[0].relevance[0].length, 8);
    assert.deepEqual(components.targets, Array.from(readNpy(Y).data));
    assert.equal(r.json.samples, 6);
    assert.equal(r.json.relevanceSums.length, 6);
    assert.deepEqual(
      r.json.rules.map((x: { rule: string }) => x.rule),
      ['z-box(0, 1)', 'gamma(0.25)', 'epsilon(1e-6)'],
    );
  });

  it('names the classes from a classes.txt beside the inputs when the model has no names', () => {
    const data = path.join(tmp.dir, 'data');
    fs.mkdirSync(data);
    fs.copyFileSync(X, path.join(data, 'x.npy'));
    const names = Array.from({ length: 10 }, (_, c) => `kind ${c}`);
    fs.writeFileSync(path.join(data, 'classes.txt'), names.join('\n') + '\n');
    const out = path.join(tmp.dir, 'run');
    const args = ['attribute', '--model', MODEL, '--inputs', path.join(data, 'x.npy'), '--targets', Y];
    const r = pxp([...args, '--heatmaps', '1', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const components = JSON.parse(fs.readFileSync(path.join(out, 'components.json'), 'utf8'));
    assert.deepEqual(components.classNames, names);
    // The heatmap carries the label and the scale in a strip below the 224-pixel pictures.
    const png = PNG.sync.read(fs.readFileSync(path.join(out, 'heatmaps', listFiles(path.join(out, 'heatmaps'))[0])));
    assert.ok(png.height > 224 + 10, `a legend strip (${png.height} px high)`);

    fs.writeFileSync(path.join(data, 'classes.txt'), 'only\ntwo\n');
    const bad = pxp([...args, '--heatmaps', '0', '--out', path.join(tmp.dir, 'bad')]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /classes\.txt names 2 classes but there are 10/);
    assert.ok(!fs.existsSync(path.join(tmp.dir, 'bad')), 'no result folder from a refused run');
  });

  it('explains the predicted class without --targets, and scales by the logit with --init logit', () => {
    const out = path.join(tmp.dir, 'run');
    const r = pxp([
      'attribute',
      '--model',
      MODEL,
      '--inputs',
      X,
      '--out',
      out,
      '--init',
      'logit',
      '--heatmaps',
      '0',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const logits = readNpy(path.join(CASE, 'logits.npy')).data as Float32Array;
    const predicted = Array.from({ length: 6 }, (_, s) => {
      const row = Array.from(logits.subarray(s * 10, s * 10 + 10));
      return row.indexOf(Math.max(...row));
    });
    const components = JSON.parse(fs.readFileSync(path.join(out, 'components.json'), 'utf8'));
    assert.deepEqual(components.targets, predicted);
    r.json.outputRelevance.forEach((v: number, s: number) =>
      assert.ok(Math.abs(v - logits[s * 10 + predicted[s]]) < 1e-4),
    );
    assert.ok(!fs.existsSync(path.join(out, 'heatmaps')));
  });

  it('runs on onnxruntime by default when it is installed, and on tfjs when asked, with the same numbers', () => {
    const runs = ['onnx', 'tfjs'].map((executor) => {
      const out = path.join(tmp.dir, executor);
      const r = pxp([
        'attribute',
        '--model',
        MODEL,
        '--inputs',
        X,
        '--targets',
        Y,
        '--composite',
        'epsilon-gamma-box',
        '--out',
        out,
        '--executor',
        executor,
        '--heatmaps',
        '0',
        '--json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.executor, executor);
      return readNpy(path.join(out, 'input.npy')).data as Float32Array;
    });
    let d = 0;
    let m = 0;
    runs[0].forEach((v, i) => {
      d = Math.max(d, Math.abs(v - runs[1][i]));
      m = Math.max(m, Math.abs(runs[1][i]));
    });
    assert.ok(d <= 1e-5 * m, `max diff ${d} of ${m}`);
    const auto = pxp([
      'attribute',
      '--model',
      MODEL,
      '--inputs',
      X,
      '--out',
      path.join(tmp.dir, 'auto'),
      '--heatmaps',
      '0',
      '--json',
    ]);
    assert.equal(auto.json.executor, 'onnx');
  });

  it('fans out over worker threads with results identical to one thread', () => {
    const one = path.join(tmp.dir, 'one');
    const two = path.join(tmp.dir, 'two');
    for (const [out, workers] of [
      [one, '1'],
      [two, '2'],
    ]) {
      const r = pxp([
        'attribute',
        '--model',
        MODEL,
        '--inputs',
        X,
        '--targets',
        Y,
        '--composite',
        'epsilon-alpha2-beta1-flat',
        '--out',
        out,
        '--workers',
        workers,
        '--executor',
        'tfjs',
        '--heatmaps',
        '0',
        '--json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.workers, Number(workers));
    }
    assert.deepEqual(fs.readFileSync(path.join(two, 'input.npy')), fs.readFileSync(path.join(one, 'input.npy')));
    const layers = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'components.json'), 'utf8')).layers;
    assert.deepEqual(layers(two), layers(one));
  });

  describe('bad input: exit 2, a clear message, no output folder', () => {
    const refused = (args: string[], pattern: RegExp) => {
      const out = path.join(tmp.dir, 'run');
      const r = pxp(['attribute', '--model', MODEL, '--out', out, ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
      assert.ok(!fs.existsSync(out), 'no output folder left behind');
      assert.deepEqual(fs.readdirSync(tmp.dir), [], 'no temp folder left behind');
    };

    it('a composite naming an unknown layer', () => {
      const file = path.join(tmp.dir, '..', `pxp-composite-${process.pid}.json`);
      fs.writeFileSync(file, JSON.stringify({ layers: { block9_conv: { rule: 'epsilon' } } }));
      try {
        refused(['--inputs', X, '--composite', file], /layers\.block9_conv.*not a (conv|layer)|block9_conv/);
      } finally {
        fs.rmSync(file);
      }
    });

    it('a composite with an unknown rule', () => {
      const file = path.join(tmp.dir, '..', `pxp-composite-rule-${process.pid}.json`);
      fs.writeFileSync(file, JSON.stringify({ default: { conv: { rule: 'epsilom' } } }));
      try {
        refused(['--inputs', X, '--composite', file], /default\.conv\.rule: unknown rule 'epsilom'/);
      } finally {
        fs.rmSync(file);
      }
    });

    it('an unknown preset name', () =>
      refused(['--inputs', X, '--composite', 'epsilon-plus-flatt'], /epsilon-plus-flatt/));

    it('targets out of range', () => {
      const y = path.join(tmp.dir, '..', `pxp-targets-${process.pid}.npy`);
      writeNpy(y, { dtype: 'int32', shape: [6], data: new Int32Array([0, 1, 2, 3, 4, 10]) });
      try {
        refused(['--inputs', X, '--targets', y], /target 10 \(sample 5\) is out of range for the model's 10 classes/);
      } finally {
        fs.rmSync(y);
      }
    });

    it('inputs whose shape does not fit the model', () =>
      refused(['--inputs', path.join(CONFORMANCE, 'mlp', 'x.npy')], /x\.npy: shape 8×20 does not fit the model/));
  });
});
