import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PxpError } from '../../../src/core/errors';
import { readNpy } from '../../../src/core/io/npy';
import { loadModel, modelMetadata, saveModel } from '../../../src/core/io/model-files';
import { buildVgg } from '../../../src/core/models/vgg';
import { useDefaultBackend } from '../../helpers/backend';
import { CONFORMANCE, listFiles, tempDir } from '../../helpers/tmp';

function expectBadInput(fn: () => Promise<unknown>, pattern: RegExp) {
  return assert.rejects(fn, (e: unknown) => {
    assert.ok(e instanceof PxpError, `expected a PxpError, got ${e}`);
    assert.equal(e.code, 'bad-input');
    assert.match(e.message, pattern);
    assert.ok(e.hint && e.hint.length > 10, 'a bad-input error says what to do');
    return true;
  });
}

describe('model files (tfjs LayersModel on disk)', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(useDefaultBackend);
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('loads a model exported from PyTorch weights and reproduces its logits', async () => {
    for (const c of ['cnn', 'cnn_bn', 'mlp']) {
      const model = await loadModel(path.join(CONFORMANCE, c, 'model', 'model.json'));
      const x = readNpy(path.join(CONFORMANCE, c, 'x.npy'));
      const want = readNpy(path.join(CONFORMANCE, c, 'logits.npy'));
      const got = (model.predict(tf.tensor(x.data as Float32Array, x.shape)) as tf.Tensor).dataSync();
      let max = 0;
      for (let i = 0; i < got.length; i++) max = Math.max(max, Math.abs(got[i] - want.data[i]));
      assert.ok(max < 1e-4, `${c}: max |logit diff| ${max}`);
      model.dispose();
    }
  });

  it('saves and loads again with identical outputs and metadata', async () => {
    const model = buildVgg({ inputShape: [28, 28, 1], numClasses: 10, seed: 3 });
    await saveModel(model, tmp.dir, { classNames: ['a', 'b'] });
    assert.deepEqual(listFiles(tmp.dir), ['model.json', 'weights.bin'], 'no temp files left behind');
    const again = await loadModel(tmp.dir);
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 7);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (again.predict(x) as tf.Tensor).dataSync();
    assert.deepEqual(Array.from(b), Array.from(a));
    assert.deepEqual(
      again.layers.map((l) => l.name),
      model.layers.map((l) => l.name),
    );
    assert.deepEqual(modelMetadata(tmp.dir).classNames, ['a', 'b']);
  });

  describe('bad model files: a clear error naming the file', () => {
    async function savedModel(): Promise<string> {
      await saveModel(buildVgg({ inputShape: [28, 28, 1], numClasses: 10 }), tmp.dir);
      return path.join(tmp.dir, 'model.json');
    }

    it('missing model.json', () =>
      expectBadInput(() => loadModel(path.join(tmp.dir, 'nope', 'model.json')), /nope.*not found/));

    it('truncated model.json', async () => {
      const file = await savedModel();
      const text = fs.readFileSync(file, 'utf8');
      fs.writeFileSync(file, text.slice(0, text.length / 2));
      await expectBadInput(() => loadModel(file), /model\.json: not valid JSON.*truncated/);
    });

    it('JSON that is not a LayersModel', async () => {
      const file = path.join(tmp.dir, 'model.json');
      fs.writeFileSync(file, JSON.stringify({ hello: 1 }));
      await expectBadInput(() => loadModel(file), /no "modelTopology"/);
    });

    it('missing weights file', async () => {
      const file = await savedModel();
      fs.rmSync(path.join(tmp.dir, 'weights.bin'));
      await expectBadInput(() => loadModel(file), /weights file 'weights.bin' is missing/);
    });

    it('weights file of the wrong size', async () => {
      const file = await savedModel();
      const w = fs.readFileSync(path.join(tmp.dir, 'weights.bin'));
      fs.writeFileSync(path.join(tmp.dir, 'weights.bin'), w.subarray(0, w.length - 8));
      await expectBadInput(() => loadModel(file), /hold \d+ bytes but model\.json's manifest needs \d+/);
    });

    it('unsupported layer class, naming the layer and listing what is supported', async () => {
      const file = await savedModel();
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      json.modelTopology.config.layers[1].class_name = 'LSTM';
      fs.writeFileSync(file, JSON.stringify(json));
      await assert.rejects(
        () => loadModel(file),
        (e: PxpError) => {
          assert.equal(e.code, 'bad-input');
          assert.match(e.message, /layer 'block1_conv1' has class LSTM/);
          assert.match(e.hint!, /Conv2D.*Dense|Dense.*Conv2D/);
          return true;
        },
      );
    });

    it('unsupported activation', async () => {
      const file = await savedModel();
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      const dense = json.modelTopology.config.layers.find((l: { class_name: string }) => l.class_name === 'Dense');
      dense.config.activation = 'mish';
      fs.writeFileSync(file, JSON.stringify(json));
      await expectBadInput(() => loadModel(file), /activation 'mish'/);
    });

    describe('a topology tfjs cannot build is refused naming the layer, before tfjs would loop forever on it', () => {
      type Layer = { name: string; inbound_nodes: unknown[] };
      async function edited(
        edit: (config: { layers: Layer[]; output_layers: unknown[]; input_layers: unknown[] }) => void,
      ): Promise<string> {
        const file = await savedModel();
        const json = JSON.parse(fs.readFileSync(file, 'utf8'));
        edit(json.modelTopology.config);
        fs.writeFileSync(file, JSON.stringify(json));
        return file;
      }
      const byName = (layers: Layer[], name: string) => layers.find((l) => l.name === name)!;

      it('a cycle, naming a layer on it and the loop', async () => {
        const file = await edited(
          (c) => (byName(c.layers, 'block1_conv1').inbound_nodes = [[['block1_relu2', 0, 0, {}]]]),
        );
        await expectBadInput(
          () => loadModel(file),
          /layer 'block1_bn1' is on a cycle \(block1_bn1 → block1_relu1 → block1_conv2 → block1_bn2 → block1_relu2 → block1_conv1 → block1_bn1\)/,
        );
      });
      it('a self-loop and a dangling inbound node', async () => {
        await expectBadInput(
          async () => loadModel(await edited((c) => (byName(c.layers, 'fc1').inbound_nodes = [[['fc1', 0, 0, {}]]]))),
          /layer 'fc1' takes its own output/,
        );
        await expectBadInput(
          async () => loadModel(await edited((c) => (byName(c.layers, 'fc1').inbound_nodes = [[['ghost', 0, 0, {}]]]))),
          /layer 'fc1' takes its input from 'ghost', which is not a layer/,
        );
        await expectBadInput(
          async () => loadModel(await edited((c) => (byName(c.layers, 'fc1').inbound_nodes = [[[42, 0, 0, {}]]]))),
          /layer 'fc1' has an inbound node that names no layer/,
        );
      });
      it('unknown input or output layers, duplicate names, no layers at all', async () => {
        await expectBadInput(
          async () => loadModel(await edited((c) => (c.output_layers = [['ghost', 0, 0]]))),
          /output layer 'ghost' is not a layer of the model/,
        );
        await expectBadInput(
          async () => loadModel(await edited((c) => (c.input_layers = []))),
          /declares no input layer/,
        );
        await expectBadInput(
          async () => loadModel(await edited((c) => (c.layers[2].name = c.layers[1].name))),
          /two layers are named 'block1_conv1'/,
        );
        await expectBadInput(async () => loadModel(await edited((c) => (c.layers = []))), /has no layers/);
      });
      // Found by the reader fuzzing (test/cli/reader-fuzz.test.ts): each of these made tfjs loop forever.
      it('a layer without its top-level name, a node with no inputs, a layer never called, a call or output that does not exist', async () => {
        await expectBadInput(
          async () => loadModel(await edited((c) => delete (byName(c.layers, 'block2_pool') as Partial<Layer>).name)),
          /a layer of class MaxPooling2D has no name/,
        );
        await expectBadInput(
          async () => loadModel(await edited((c) => (byName(c.layers, 'fc1').inbound_nodes = [[]]))),
          /layer 'fc1' has an inbound node with no inputs/,
        );
        await expectBadInput(
          async () => loadModel(await edited((c) => (byName(c.layers, 'fc1').inbound_nodes = []))),
          /layer 'fc1' is never called/,
        );
        await expectBadInput(
          async () =>
            loadModel(await edited((c) => (byName(c.layers, 'fc1').inbound_nodes = [[['flatten', 1, 0, {}]]]))),
          /layer 'fc1' reads call 1 of layer 'flatten', which is called 1 time/,
        );
        await expectBadInput(
          async () =>
            loadModel(await edited((c) => (byName(c.layers, 'fc1').inbound_nodes = [[['flatten', 0, 3, {}]]]))),
          /reads output 3 of layer 'flatten'/,
        );
        await expectBadInput(
          async () => loadModel(await edited((c) => (c.output_layers = [[c.layers[c.layers.length - 1].name, 2, 0]]))),
          /output layer '\w+' reads call 2 of layer '\w+', which is called 1 time/,
        );
      });
      it('a weights manifest whose entries are not {name, shape, dtype}', async () => {
        const manifest = async (edit: (w: { name?: unknown; shape?: unknown; dtype?: unknown }) => void) => {
          const file = await savedModel();
          const json = JSON.parse(fs.readFileSync(file, 'utf8'));
          edit(json.weightsManifest[0].weights[1]);
          fs.writeFileSync(file, JSON.stringify(json));
          return file;
        };
        await expectBadInput(
          async () => loadModel(await manifest((w) => (w.shape = null))),
          /has shape null, not a list of whole numbers/,
        );
        await expectBadInput(async () => loadModel(await manifest((w) => (w.shape = [3, -1]))), /has shape \[3,-1\]/);
        await expectBadInput(
          async () => loadModel(await manifest((w) => (w.dtype = 'toString'))),
          /dtype "toString", which PXP does not read/,
        );
        await expectBadInput(
          async () => loadModel(await manifest((w) => delete w.name)),
          /a weight of weightsManifest\[0\] has no name/,
        );
      });
    });

    it('a NaN or infinite weight, naming the weight and where it is', async () => {
      const file = await savedModel();
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      const specs = json.weightsManifest[0].weights as { name: string; shape: number[] }[];
      const at = specs.findIndex((w) => w.name.endsWith('/bias'));
      const offset = specs.slice(0, at).reduce((a, w) => a + w.shape.reduce((p, d) => p * d, 1), 0);
      const w = fs.readFileSync(path.join(tmp.dir, 'weights.bin'));
      w.writeFloatLE(-Infinity, (offset + 3) * 4);
      fs.writeFileSync(path.join(tmp.dir, 'weights.bin'), w);
      await expectBadInput(
        () => loadModel(file),
        new RegExp(`weight '${specs[at].name}' holds -Infinity \\(at flat index 3\\)`),
      );
    });
  });
});
