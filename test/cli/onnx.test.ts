import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type * as Ort from 'onnxruntime-node';
import { forwardAll } from '../../src/core/graph/forward';
import { disposeGraph } from '../../src/core/graph/graph';
import { tfAlgebra } from '../../src/core/graph/tf-algebra';
import { arrayForEngine } from '../../src/core/io/array-layout';
import { readNpy, writeNpy } from '../../src/core/io/npy';
import { openAnyModel } from '../../src/core/io/open-model';
import { catalogue, chooseComponents, maskVector } from '../../src/core/prune/catalogue';
import { physicalPlan, roundingUnits } from '../../src/core/prune/physical-plan';
import { useDefaultBackend } from '../helpers/backend';
import { maxRelDiff } from '../helpers/compare';
import { pxp } from '../helpers/pxp';
import { listFiles, tempDir } from '../helpers/tmp';
import { fixture, torchvisionFixtures } from '../helpers/torchvision';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ort = require('onnxruntime-node') as typeof Ort;

const npy = (file: string) => {
  const a = readNpy(file);
  return { data: a.data as Float32Array, shape: a.shape };
};

/** Reference and evaluation sets from a fixture: its inputs jittered, labelled by PyTorch's own predictions. */
function taskData(name: string, dir: string): { args: string[] } {
  const x = npy(path.join(fixture(name), 'x.npy'));
  const y = npy(path.join(fixture(name), 'outputs.npy'));
  const k = y.shape[1];
  const labels = Array.from({ length: x.shape[0] }, (_, s) => {
    let best = 0;
    for (let c = 1; c < k; c++) if (y.data[s * k + c] > y.data[s * k + best]) best = c;
    return best;
  });
  let seed = 1;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.1;
  const copies = 6;
  const xs = new Float32Array(x.data.length * copies);
  for (let c = 0; c < copies; c++)
    for (let i = 0; i < x.data.length; i++) xs[c * x.data.length + i] = x.data[i] + (c === 0 ? 0 : noise());
  const ys = Int32Array.from({ length: x.shape[0] * copies }, (_, i) => labels[i % x.shape[0]]);
  for (const split of ['ref', 'eval']) {
    writeNpy(path.join(dir, split, 'x.npy'), {
      dtype: 'float32',
      shape: [x.shape[0] * copies, ...x.shape.slice(1)],
      data: xs,
    });
    writeNpy(path.join(dir, split, 'y.npy'), { dtype: 'int32', shape: [ys.length], data: ys });
  }
  const classes = [...new Set(labels)].sort((a, b) => a - b).join(',');
  return { args: ['--reference', path.join(dir, 'ref'), '--eval', path.join(dir, 'eval'), '--classes', classes] };
}

async function ortRun(file: string, x: { data: Float32Array; shape: number[] }): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file);
  try {
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.data, x.shape) });
    return out[session.outputNames[0]].data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('pxp on ONNX models from PyTorch', function () {
  this.timeout(900_000);
  let tmp: ReturnType<typeof tempDir>;
  before(async () => {
    await useDefaultBackend();
    torchvisionFixtures();
  });
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('info reads the export: module paths, opset, channels-first input', () => {
    const r = pxp(['info', '--model', path.join(fixture('resnet18'), 'model.onnx'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.format, 'onnx');
    assert.equal(r.json.onnx.opset, 17);
    assert.deepEqual(r.json.fileInputShape, [3, 64, 64]);
    assert.equal(r.json.params, 11_176_842);
    assert.ok(r.json.layers.some((l: { name: string }) => l.name === 'layer3.0.downsample.0'));
    // ResNet-18: each stage's residual adds tie its blocks' conv2 to the stage input (stem or downsample).
    const tied = r.json.groups.groups
      .filter((g: { layers: string[] }) => g.layers.length > 1)
      .map((g: { layers: string[]; components: number }) => [g.layers.join(' '), g.components]);
    assert.deepEqual(tied, [
      ['conv1 layer1.0.conv2 layer1.1.conv2', 64],
      ['layer2.0.conv2 layer2.0.downsample.0 layer2.1.conv2', 128],
      ['layer3.0.conv2 layer3.0.downsample.0 layer3.1.conv2', 256],
      ['layer4.0.conv2 layer4.0.downsample.0 layer4.1.conv2', 512],
    ]);
    const text = pxp(['info', '--model', path.join(fixture('resnet18'), 'model.onnx')]).stdout;
    assert.match(text, /groups\s+4 tying 12 layers .*; 8 prunable layers stand alone/);
    assert.match(text, /G1\s+64 components \(residual\): conv1, layer1\.0\.conv2, layer1\.1\.conv2/);
  });

  for (const name of ['resnet18', 'mobilenet_v2', 'vit_small']) {
    it(`predict writes PyTorch's outputs for ${name} on both executors`, () => {
      const want = npy(path.join(fixture(name), 'outputs.npy'));
      for (const executor of ['onnx', 'tfjs']) {
        const out = path.join(tmp.dir, executor);
        const r = pxp([
          'predict',
          '--model',
          path.join(fixture(name), 'model.onnx'),
          '--inputs',
          path.join(fixture(name), 'x.npy'),
          '--executor',
          executor,
          '--out',
          out,
          '--json',
        ]);
        assert.equal(r.code, 0, r.stderr);
        const got = npy(path.join(out, 'outputs.npy'));
        assert.deepEqual(got.shape, want.shape);
        const err = maxRelDiff(got.data, want.data);
        assert.ok(err <= 1e-4, `${executor}: ${err}`);
      }
    });
  }

  it('attribute writes input relevance in the model layout (NCHW) and names components by module path', () => {
    const out = path.join(tmp.dir, 'rel');
    const r = pxp([
      'attribute',
      '--model',
      path.join(fixture('resnet18'), 'model.onnx'),
      '--inputs',
      path.join(fixture('resnet18'), 'x.npy'),
      '--composite',
      'epsilon-plus-flat',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readNpy(path.join(out, 'input.npy')).shape, [4, 3, 64, 64]);
    const components = JSON.parse(fs.readFileSync(path.join(out, 'components.json'), 'utf8'));
    assert.equal(components.layers.length, 20);
    assert.equal(components.layers[0].name, 'conv1');
    assert.ok(components.layers.some((l: { name: string }) => l.name === 'layer2.0.downsample.0'));
  });

  it('refuses an NHWC input array for the NCHW model with the transpose that fixes it, writing nothing', () => {
    const x = npy(path.join(fixture('tiny_cnn'), 'x.npy'));
    writeNpy(path.join(tmp.dir, 'nhwc.npy'), { dtype: 'float32', shape: [4, 12, 12, 1], data: x.data });
    const out = path.join(tmp.dir, 'out');
    const r = pxp([
      'predict',
      '--model',
      path.join(fixture('tiny_cnn'), 'model.onnx'),
      '--inputs',
      path.join(tmp.dir, 'nhwc.npy'),
      '--out',
      out,
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /channels last.*channels first[\s\S]*np\.transpose\(x, \(0, 3, 1, 2\)\)/);
    assert.equal(fs.existsSync(out), false);
  });

  for (const [name, extra] of [
    ['resnet18', []],
    ['mobilenet_v2', []],
    ['vgg_small_bn', []],
    ['tiny_cnn_external', []],
    ['squeezenet', []],
    ['vit_small', ['--components', 'heads']],
    ['vit_small', ['--components', 'neurons']],
  ] as [string, string[]][]) {
    it(`prune --rate on ${name} ${extra.join(' ')}: pruned/model.onnx runs in onnxruntime, equals the masked model, as small as reported`, async () => {
      const { args } = taskData(name, tmp.dir);
      const out = path.join(tmp.dir, 'run');
      const rate = 0.3;
      const r = pxp([
        'prune',
        '--model',
        path.join(fixture(name), 'model.onnx'),
        ...args,
        ...extra,
        '--rates',
        '0,0.3',
        '--rate',
        String(rate),
        '--criterion',
        'lrp:epsilon-plus-flat',
        '--out',
        out,
        '--json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      // One self-contained file, also for a model whose weights were in external data.
      assert.deepEqual(listFiles(path.join(out, 'pruned')), ['model.onnx']);
      const p = r.json.physical;
      assert.equal(p.format, 'onnx');
      assert.ok(p.removed > 0 && p.params.pruned < p.params.original);
      // The curve's point, or (dependency groups: residual adds, depthwise convs) the difference counted and explained.
      const sum = (k: 'kept' | 'added') =>
        (p.differences as { kept: number; added: number }[]).reduce((a, d) => a + d[k], 0);
      assert.equal(p.removed, p.curveRemoved - sum('kept') + sum('added'));
      const report = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
      if (['resnet18', 'mobilenet_v2'].includes(name))
        assert.match(report, /This is not the curve's point at rate 0\.3: the curve removes/);
      else
        assert.deepEqual(
          p.differences.filter((d: { cause: string }) => d.cause !== 'rounding'),
          [],
          "no multi-member groups: the curve's point, but for --round-to auto's rounding",
        );

      // The masked model, from the same scores and plan, on the fixture's inputs.
      const model = await openAnyModel(path.join(fixture(name), 'model.onnx'));
      const graph = model.graph();
      const x = npy(path.join(fixture(name), 'x.npy'));
      const { x: data, shape } = arrayForEngine(x.data, x.shape, model, 'x.npy');
      const layers = chooseComponents(catalogue(graph), extra[1]);
      const relevance = JSON.parse(fs.readFileSync(path.join(out, 'relevance.json'), 'utf8')) as {
        layers: { scores: number[] }[];
      };
      // The default --round-to auto: a layer of a multiple of 16 components (64 or more) keeps a multiple of 16 (or all).
      const units = roundingUnits(layers, 'auto', 'onnx');
      const plan = physicalPlan(
        graph,
        layers,
        relevance.layers.map((l) => Float64Array.from(l.scores)),
        rate,
        { roundTo: units },
      );
      assert.equal(plan.removedCount, p.removed);
      layers.forEach((l, i) => {
        const kept = plan.removed[i].filter((r) => !r).length;
        assert.ok(units[i] === 1 || kept % 16 === 0 || kept === l.size, `${l.name}: ${kept} of ${l.size} kept`);
      });
      if (units.some((u) => u > 1) && p.differences.some((d: { cause: string }) => d.cause === 'rounding'))
        assert.equal(p.roundTo, 'auto');
      const masked = tf.tidy(() => {
        const masks = new Map(layers.map((l, i) => [l.maskNode, tf.tensor1d(maskVector(l, plan.removed[i]))]));
        return forwardAll(tfAlgebra, graph, tf.tensor(data, shape), masks)[graph.output].dataSync() as Float32Array;
      });
      disposeGraph(graph);
      model.dispose();
      const prunedOut = await ortRun(path.join(out, 'pruned', 'model.onnx'), x);
      let d = 0;
      let m = 0;
      for (let i = 0; i < masked.length; i++) {
        d = Math.max(d, Math.abs(prunedOut[i] - masked[i]));
        m = Math.max(m, Math.abs(masked[i]));
      }
      assert.ok(d <= 1e-4 * Math.max(1, m), `pruned vs masked: ${d}`);

      // Its parameters are what run.json says; its accuracy on the evaluation set is the one PXP reported.
      const info = pxp(['info', '--model', path.join(out, 'pruned', 'model.onnx'), '--json']);
      assert.equal(info.json.params, p.params.pruned);
      assert.equal(info.json.flops, p.flops.pruned);
      const evalX = npy(path.join(tmp.dir, 'eval', 'x.npy'));
      const evalY = readNpy(path.join(tmp.dir, 'eval', 'y.npy')).data as Int32Array;
      const logits = await ortRun(path.join(out, 'pruned', 'model.onnx'), evalX);
      const classes = args[args.indexOf('--classes') + 1].split(',').map(Number);
      const k = logits.length / evalY.length;
      let correct = 0;
      evalY.forEach((label, s) => {
        const best = classes.reduce((b, c) => (logits[s * k + c] > logits[s * k + b] ? c : b), classes[0]);
        if (best === label) correct++;
      });
      assert.equal(correct / evalY.length, p.prunedAccuracy);
    });
  }
});
