import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PxpError } from '../../../src/core/errors';
import { forwardOutput } from '../../../src/core/graph/forward';
import { disposeGraph } from '../../../src/core/graph/graph';
import { arrayForEngine, nchwToNhwc, nhwcToNchw } from '../../../src/core/io/array-layout';
import { readNpy } from '../../../src/core/io/npy';
import { modulePath } from '../../../src/core/io/onnx/module-path';
import { type LoadedModel, openAnyModel } from '../../../src/core/io/open-model';
import { attribute } from '../../../src/core/lrp/attribute';
import { presetComposite } from '../../../src/core/lrp/composites';
import { predictOutputs } from '../../../src/core/models/predict-outputs';
import { useDefaultBackend } from '../../helpers/backend';
import { maxRelDiff } from '../../helpers/compare';
import { fixture, torchvisionFixtures } from '../../helpers/torchvision';

const npy = (file: string) => {
  const a = readNpy(file);
  return { data: a.data as Float32Array, shape: a.shape };
};

/** The model's outputs for the fixture's inputs, on tfjs, in the engine's layout. */
function tfjsOutputs(model: LoadedModel, dir: string): Float32Array {
  const x = npy(path.join(dir, 'x.npy'));
  const { x: data, shape } = arrayForEngine(x.data, x.shape, model, 'x.npy');
  const graph = model.graph();
  try {
    return tf.tidy(() => forwardOutput(graph, tf.tensor(data, shape)).dataSync() as Float32Array);
  } finally {
    disposeGraph(graph);
  }
}

describe('ONNX models from PyTorch', function () {
  this.timeout(900_000);
  before(async () => {
    await useDefaultBackend();
    torchvisionFixtures();
  });

  describe('import', () => {
    const names = [
      'resnet18',
      'resnet50',
      'resnet18_static_opset13',
      'resnet18_bn_kept',
      'mobilenet_v2',
      'vgg_small_bn',
      'vgg_small',
      'vit_small',
      'vit_small_opset16_nofold',
      'tiny_cnn',
      'tiny_cnn_external',
      'squeezenet',
    ];
    for (const name of names) {
      it(`${name}: computes PyTorch's outputs (≤ 1e-4 relative) on tfjs and on onnxruntime`, async () => {
        const dir = fixture(name);
        const model = await openAnyModel(path.join(dir, 'model.onnx'));
        try {
          const want = npy(path.join(dir, 'outputs.npy')).data;
          assert.ok(maxRelDiff(tfjsOutputs(model, dir), want) <= 1e-4, 'tfjs');
          const x = npy(path.join(dir, 'x.npy'));
          const { x: data, shape } = arrayForEngine(x.data, x.shape, model, 'x.npy');
          const graph = model.graph();
          const onnx = await predictOutputs(graph, data, shape, { executor: 'onnx' });
          disposeGraph(graph);
          assert.ok(maxRelDiff(onnx.data, want) <= 1e-4, 'onnxruntime');
        } finally {
          model.dispose();
        }
      });
    }

    it('names layers by their PyTorch module path and reads heads from the attention export', async () => {
      const resnet = await openAnyModel(path.join(fixture('resnet18'), 'model.onnx'));
      const names = resnet.summary.layers.map((l) => l.name);
      for (const n of ['conv1', 'layer1.0.conv1', 'layer2.0.downsample.0', 'layer4.1.conv2', 'fc'])
        assert.ok(names.includes(n), n);
      assert.deepEqual(resnet.summary.fileInputShape, [3, 64, 64]);
      assert.equal(resnet.layout, 'NCHW');
      resnet.dispose();
      const vit = await openAnyModel(path.join(fixture('vit_small'), 'model.onnx'));
      const attention = vit.summary.layers.filter((l) => l.className === 'MultiheadAttention');
      assert.deepEqual(
        attention.map((l) => l.name).filter((n) => !n.includes('/')),
        [0, 1, 2].map((b) => `encoder.layers.encoder_layer_${b}.self_attention`),
      );
      const graph = vit.graph();
      const cores = graph.nodes
        .filter((n) => n.op.type === 'attention')
        .map((n) => n.op as { heads: number; headDim: number });
      assert.deepEqual(
        cores,
        [0, 1, 2].map(() => ({ type: 'attention', heads: 4, headDim: 8 })),
      );
      assert.ok(
        graph.nodes.some(
          (n) => n.name === 'encoder.layers.encoder_layer_0.mlp.1' && n.op.type === 'activation' && n.op.fn === 'gelu',
        ),
      );
      disposeGraph(graph);
      vit.dispose();
    });

    it('keeps batch norms exported with training=PRESERVE as batch-norm nodes', async () => {
      const kept = await openAnyModel(path.join(fixture('resnet18_bn_kept'), 'model.onnx'));
      const graph = kept.graph();
      assert.equal(graph.nodes.filter((n) => n.op.type === 'batchnorm').length, 20);
      assert.ok(graph.nodes.some((n) => n.name === 'layer1.0.bn1'));
      disposeGraph(graph);
      kept.dispose();
    });

    it('marks the convs whose batch norm the exporter folded (weights named onnx::Conv_N), and only those', async () => {
      const folded = (name: string) =>
        openAnyModel(path.join(fixture(name), 'model.onnx')).then((m) => {
          const graph = m.graph();
          const convs = graph.nodes.filter((n) => n.op.type === 'conv2d' || n.op.type === 'depthwise');
          const marked = convs.filter((n) => (n.op as { foldedBatchNorm?: { epsilon: number } }).foldedBatchNorm);
          const eps = marked.map((n) => (n.op as { foldedBatchNorm?: { epsilon: number } }).foldedBatchNorm!.epsilon);
          disposeGraph(graph);
          m.dispose();
          return { convs: convs.length, marked: marked.length, eps: [...new Set(eps)] };
        });
      assert.deepEqual(await folded('resnet18'), { convs: 20, marked: 20, eps: [1e-5] });
      assert.deepEqual(await folded('mobilenet_v2'), { convs: 52, marked: 52, eps: [1e-5] });
      assert.deepEqual((await folded('resnet18_bn_kept')).marked, 0);
      assert.deepEqual((await folded('vgg_small')).marked, 0);
    });

    it('recovers module paths from node-name scopes', () => {
      assert.equal(modulePath('/layer1/layer1.0/conv1/Conv'), 'layer1.0.conv1');
      assert.equal(modulePath('/features/features.1/conv/conv.0/conv.0.0/Conv'), 'features.1.conv.0.0');
      assert.equal(
        modulePath('/encoder/layers/encoder_layer_3/self_attention/Softmax'),
        'encoder.layers.encoder_layer_3.self_attention',
      );
      assert.equal(modulePath('Conv_12'), undefined);
    });

    it('names every op it cannot read, with its nodes, in one error', async () => {
      await assert.rejects(openAnyModel(path.join(fixture('unsupported'), 'model.onnx')), (e: PxpError) => {
        assert.equal(e.code, 'bad-input');
        assert.match(e.message, /ops PXP cannot use: Sin \(\/Sin\); Cos \(\/Cos\)/);
        return true;
      });
    });

    it('reads weights from an external data file beside the model, and refuses one that is missing', async () => {
      const dir = fixture('tiny_cnn_external');
      assert.ok(fs.existsSync(path.join(dir, 'model.onnx.data')));
      assert.ok(fs.statSync(path.join(dir, 'model.onnx')).size < 2000, 'the weights are not in the .onnx file');
      const copy = fs.mkdtempSync('/tmp/pxp-onnx-');
      fs.copyFileSync(path.join(dir, 'model.onnx'), path.join(copy, 'model.onnx'));
      await assert.rejects(
        openAnyModel(path.join(copy, 'model.onnx')),
        (e: PxpError) => e.code === 'bad-input' && /external data file 'model.onnx.data' is missing/.test(e.message),
      );
      fs.rmSync(copy, { recursive: true, force: true });
    });

    it('refuses a damaged file naming it', async () => {
      const file = path.join(fs.mkdtempSync('/tmp/pxp-onnx-'), 'broken.onnx');
      fs.writeFileSync(file, fs.readFileSync(path.join(fixture('tiny_cnn'), 'model.onnx')).subarray(0, 500));
      await assert.rejects(openAnyModel(file), (e: PxpError) => e.code === 'bad-input' && e.message.startsWith(file));
    });
  });

  describe('layout', () => {
    it('transposes NCHW to NHWC and back exactly', () => {
      const x = Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => i);
      const nhwc = nchwToNhwc(x, [2, 3, 4, 5]);
      assert.deepEqual(nhwc.shape, [2, 4, 5, 3]);
      // Element (n=1, c=2, h=3, w=4) sits at ((1·4 + 3)·5 + 4)·3 + 2 in NHWC.
      assert.equal(nhwc.data[((1 * 4 + 3) * 5 + 4) * 3 + 2], ((1 * 3 + 2) * 4 + 3) * 5 + 4);
      assert.deepEqual(Array.from(nhwcToNchw(nhwc.data, nhwc.shape).data), Array.from(x));
    });

    it('refuses an NHWC array for an NCHW model, saying how to transpose it', async () => {
      const model = await openAnyModel(path.join(fixture('tiny_cnn'), 'model.onnx'));
      assert.throws(
        () => arrayForEngine(new Float32Array(2 * 12 * 12), [2, 12, 12, 1], model, 'x.npy'),
        (e: PxpError) => e.code === 'bad-input' && /np\.transpose\(x, \(0, 3, 1, 2\)\)/.test(e.hint ?? ''),
      );
      model.dispose();
    });
  });

  describe('LRP on an imported model', () => {
    /** tiny_cnn rebuilt as a tfjs model from PyTorch's own weight arrays (plain loops, not the importer's code). */
    function nativeTinyCnn(dir: string): tf.LayersModel {
      const w = (n: string) => npy(path.join(dir, `${n}.npy`));
      const convKernel = (n: string) => {
        const { data, shape } = w(n);
        const [o, i, kh, kw] = shape;
        const out = new Float32Array(data.length);
        for (let a = 0; a < o; a++)
          for (let b = 0; b < i; b++)
            for (let y = 0; y < kh; y++)
              for (let x = 0; x < kw; x++) out[((y * kw + x) * i + b) * o + a] = data[((a * i + b) * kh + y) * kw + x];
        return tf.tensor4d(out, [kh, kw, i, o]);
      };
      // fc1 reads PyTorch's C·H·W flatten; tfjs flattens H·W·C.
      const fc1 = w('fc1.weight');
      const [units, inputs] = fc1.shape;
      const c = 8;
      const s = inputs / c;
      const k1 = new Float32Array(inputs * units);
      for (let u = 0; u < units; u++)
        for (let ch = 0; ch < c; ch++)
          for (let p = 0; p < s; p++) k1[(p * c + ch) * units + u] = fc1.data[u * inputs + ch * s + p];
      const fc2 = w('fc2.weight');
      const k2 = new Float32Array(fc2.data.length);
      for (let u = 0; u < 10; u++) for (let j = 0; j < 16; j++) k2[j * 10 + u] = fc2.data[u * 16 + j];
      const m = tf.sequential({
        layers: [
          tf.layers.conv2d({
            name: 'conv1',
            inputShape: [12, 12, 1],
            filters: 6,
            kernelSize: 3,
            padding: 'same',
            activation: 'relu',
          }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ name: 'conv2', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ name: 'fc1', units: 16, activation: 'relu' }),
          tf.layers.dense({ name: 'fc2', units: 10 }),
        ],
      });
      m.getLayer('conv1').setWeights([convKernel('conv1.weight'), tf.tensor1d(w('conv1.bias').data)]);
      m.getLayer('conv2').setWeights([convKernel('conv2.weight'), tf.tensor1d(w('conv2.bias').data)]);
      m.getLayer('fc1').setWeights([tf.tensor2d(k1, [inputs, units]), tf.tensor1d(w('fc1.bias').data)]);
      m.getLayer('fc2').setWeights([tf.tensor2d(k2, [16, 10]), tf.tensor1d(w('fc2.bias').data)]);
      return m;
    }

    for (const preset of ['epsilon-plus-flat', 'epsilon-gamma-box', 'epsilon-alpha2-beta1-flat']) {
      it(`equals LRP on the same model built natively (${preset}), input and component relevance`, async () => {
        const dir = fixture('tiny_cnn');
        const imported = await openAnyModel(path.join(dir, 'model.onnx'));
        const native = nativeTinyCnn(dir);
        const x = npy(path.join(dir, 'x.npy'));
        const { x: data, shape } = arrayForEngine(x.data, x.shape, imported, 'x.npy');
        const targets = Int32Array.from([1, 3, 5, 7]);
        const composite = presetComposite(preset)!;
        const graph = imported.graph();
        const a = await attribute(graph, composite, data, shape, { targets, executor: 'tfjs' });
        const b = await attribute(native, composite, data, shape, { targets, executor: 'tfjs' });
        disposeGraph(graph);
        assert.ok(maxRelDiff(a.input, b.input) < 1e-4, 'input relevance');
        assert.deepEqual(
          a.layers.map((l) => l.name),
          ['conv1', 'conv2', 'fc1'],
        );
        for (const [i, layer] of a.layers.entries())
          assert.ok(
            maxRelDiff(
              layer.relevance.flatMap((r) => Array.from(r)),
              b.layers[i].relevance.flatMap((r) => Array.from(r)),
            ) < 1e-4,
            layer.name,
          );
        native.dispose();
        imported.dispose();
      });
    }
  });
});
