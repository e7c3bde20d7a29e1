import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { readNpy, writeNpy } from '../../src/core/io/npy';
import { pxp } from '../helpers/pxp';
import { REPO, listFiles, tempDir } from '../helpers/tmp';

const DEMO = path.join(REPO, 'examples', 'fashion-mnist');
const MODEL = path.join(DEMO, 'model', 'model.json');
const REF = path.join(DEMO, 'reference');
const TEST = path.join(DEMO, 'test');
const TORCH = path.join(REPO, 'examples', 'fashion-mnist-torch', 'model.onnx');

type Layer = { name: string; class_name: string; inbound_nodes: unknown[]; config: Record<string, unknown> };
interface ModelJson {
  modelTopology: { config: { layers: Layer[]; output_layers: unknown[] } };
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[] }[] }[];
}

/** The demo model copied into dir with its model.json edited. */
function demoVariant(dir: string, edit: (m: ModelJson) => void): string {
  fs.mkdirSync(dir, { recursive: true });
  const m = JSON.parse(fs.readFileSync(MODEL, 'utf8')) as ModelJson;
  edit(m);
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(m));
  fs.copyFileSync(path.join(DEMO, 'model', 'weights.bin'), path.join(dir, 'weights.bin'));
  return path.join(dir, 'model.json');
}

const layer = (m: ModelJson, name: string) => m.modelTopology.config.layers.find((l) => l.name === name)!;

describe('refused before any work (issue 16)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  /** A command that must exit `code` quickly, with its message, writing nothing in tmp besides `keep`. */
  const refused = (args: string[], code: number, pattern: RegExp, keep: string[] = []) => {
    const before = listFiles(tmp.dir);
    const r = pxp(args, { timeoutMs: 30_000 });
    assert.equal(r.code, code, `exit ${r.code} (${r.code === -1 ? 'killed: it hung' : r.stderr})`);
    assert.match(r.stderr, pattern);
    assert.deepEqual(
      listFiles(tmp.dir).filter((f) => !before.includes(f) && !keep.some((k) => f.startsWith(k))),
      [],
      'nothing written',
    );
    return r;
  };

  describe('1. a model.json whose topology cannot be built: exit 2 naming the layer, never a hang', () => {
    it('a cycle between two layers', () => {
      const model = demoVariant(
        path.join(tmp.dir, 'm'),
        (m) => (layer(m, 'block1_conv1').inbound_nodes = [[['block1_relu1', 0, 0, {}]]]),
      );
      refused(['info', '--model', model], 2, /layer 'block1_(conv1|bn1|relu1)'.*cycle/);
    });
    it('a layer that takes its own output', () => {
      const model = demoVariant(
        path.join(tmp.dir, 'm'),
        (m) => (layer(m, 'block1_conv1').inbound_nodes = [[['block1_conv1', 0, 0, {}]]]),
      );
      refused(['info', '--model', model], 2, /layer 'block1_conv1' takes its own output/);
    });
    it('an inbound node that names no layer', () => {
      const model = demoVariant(
        path.join(tmp.dir, 'm'),
        (m) => (layer(m, 'block2_conv1').inbound_nodes = [[['nosuch', 0, 0, {}]]]),
      );
      refused(
        ['prune', '--model', model, '--reference', REF, '--eval', TEST, '--out', path.join(tmp.dir, 'run')],
        2,
        /layer 'block2_conv1' takes its input from 'nosuch', which is not a layer/,
      );
    });
    it('an unknown output layer, an empty layer list: the reason, not a hint about weights', () => {
      const unknown = demoVariant(
        path.join(tmp.dir, 'a'),
        (m) => (m.modelTopology.config.output_layers = [['nosuch', 0, 0]]),
      );
      const r = refused(['info', '--model', unknown], 2, /output layer 'nosuch' is not a layer of the model/);
      assert.doesNotMatch(r.stderr, /weights were exported together/);
      const empty = demoVariant(path.join(tmp.dir, 'b'), (m) => (m.modelTopology.config.layers = []));
      refused(['info', '--model', empty], 2, /has no layers/);
    });
  });

  describe("2. non-finite weights and inputs, float pixels outside the model's range", () => {
    it('a NaN weight in weights.bin: exit 2 naming the weight', () => {
      const dir = path.join(tmp.dir, 'nan');
      const model = demoVariant(dir, () => undefined);
      const m = JSON.parse(fs.readFileSync(model, 'utf8')) as ModelJson;
      const specs = m.weightsManifest[0].weights;
      const at = specs.findIndex((w) => w.name === 'fc1/kernel');
      const offset = specs.slice(0, at).reduce((a, w) => a + w.shape.reduce((p, d) => p * d, 1), 0) + 7;
      const bytes = fs.readFileSync(path.join(dir, 'weights.bin'));
      bytes.writeFloatLE(NaN, offset * 4);
      fs.writeFileSync(path.join(dir, 'weights.bin'), bytes);
      refused(
        ['attribute', '--model', model, '--inputs', path.join(REF, 'x.npy'), '--out', path.join(tmp.dir, 'run')],
        2,
        /weight 'fc1\/kernel' holds NaN \(at flat index 7\)/,
        ['nan'],
      );
    });

    it('a NaN or infinite initializer in an ONNX file: exit 2 naming the tensor', () => {
      const proto = fromBinary(ModelProtoSchema, fs.readFileSync(TORCH));
      const t = proto.graph!.initializer.find((i) => i.dataType === 1 && i.rawData.byteLength >= 16)!;
      const raw = new Uint8Array(t.rawData);
      new DataView(raw.buffer).setFloat32(4, Infinity, true);
      t.rawData = raw;
      const file = path.join(tmp.dir, 'inf.onnx');
      fs.writeFileSync(file, toBinary(ModelProtoSchema, proto));
      refused(
        ['info', '--model', file],
        2,
        new RegExp(`tensor '${t.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' holds Infinity \\(at flat index 1\\)`),
        ['inf.onnx'],
      );
    });

    it('a NaN pixel in x.npy (data folders and --inputs): exit 2 naming the sample', () => {
      const x = readNpy(path.join(REF, 'x.npy'));
      (x.data as Float32Array)[3 * 784 + 100] = NaN;
      const ref = path.join(tmp.dir, 'ref');
      writeNpy(path.join(ref, 'x.npy'), x);
      fs.copyFileSync(path.join(REF, 'y.npy'), path.join(ref, 'y.npy'));
      refused(
        ['prune', '--model', MODEL, '--reference', ref, '--eval', TEST, '--out', path.join(tmp.dir, 'run')],
        2,
        /x\.npy: sample 3 holds NaN/,
        ['ref'],
      );
      refused(
        ['attribute', '--model', MODEL, '--inputs', path.join(ref, 'x.npy'), '--out', path.join(tmp.dir, 'run')],
        2,
        /x\.npy: sample 3 holds NaN/,
        ['ref'],
      );
    });

    it('float pixels in 0–255 for a model that takes [0, 1]: exit 2 with the fix; --input-range 0,255 scales them', () => {
      const x = readNpy(path.join(TEST, 'x.npy'));
      const scaled = { ...x, data: Float32Array.from(x.data as Float32Array, (v) => Math.round(v * 255)) } as typeof x;
      const data = path.join(tmp.dir, 'raw');
      writeNpy(path.join(data, 'x.npy'), scaled);
      fs.copyFileSync(path.join(TEST, 'y.npy'), path.join(data, 'y.npy'));
      refused(
        ['evaluate', '--model', MODEL, '--data', data],
        2,
        /x\.npy: sample 0 has values up to 255, outside \[0, 1\], the range .*model\.json takes[\s\S]*divide the array by 255.*--input-range 0,255/,
        ['raw'],
      );
      const want = pxp(['evaluate', '--model', MODEL, '--data', TEST, '--latency-batch', '1', '--json']);
      const got = pxp([
        'evaluate',
        '--model',
        MODEL,
        '--data',
        data,
        '--input-range',
        '0,255',
        '--latency-batch',
        '1',
        '--json',
      ]);
      assert.equal(got.code, 0, got.stderr);
      assert.equal(got.json.accuracy, want.json.accuracy);
    });
  });

  describe('7. every flag checked before any work; exit 1 for the command line, 2 for what it names', () => {
    const data = ['--reference', REF, '--eval', TEST];
    it('a malformed flag value is a usage error, before any work', () => {
      refused(
        [
          'prune',
          '--model',
          MODEL,
          ...data,
          '--rate',
          '0.5',
          '--finetune-epochs',
          'abc',
          '--out',
          path.join(tmp.dir, 'run'),
        ],
        1,
        /--finetune-epochs must be an integer ≥ 0, got 'abc'/,
      );
      refused(
        ['prune', '--model', MODEL, ...data, '--rate=', '--out', path.join(tmp.dir, 'run')],
        1,
        /--rate needs a value/,
      );
      refused(
        ['train', '--data', TEST, '--lr=-1', '--out', path.join(tmp.dir, 'run')],
        1,
        /--lr must be a number > 0, got '-1'/,
      );
      refused(
        [
          'search',
          '--model',
          MODEL,
          ...data,
          '--baselines',
          'bogus',
          '--trials',
          '1',
          '--out',
          path.join(tmp.dir, 'run'),
        ],
        1,
        /unknown criterion 'bogus'/,
      );
      refused(
        ['prune', '--model', MODEL, ...data, '--rates', '0,1.2', '--out', path.join(tmp.dir, 'run')],
        1,
        /--rates: 1.2 is not a rate in \[0, 1\)/,
      );
    });
    it('a flag naming a missing file is bad input, before any work', () => {
      refused(
        [
          'search',
          '--model',
          MODEL,
          ...data,
          '--baselines',
          `lrp:${path.join(tmp.dir, 'nosuch.json')}`,
          '--trials',
          '1',
          '--out',
          path.join(tmp.dir, 'run'),
        ],
        2,
        /nosuch\.json/,
      );
    });
  });
});
