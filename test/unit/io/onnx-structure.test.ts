import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import type { PxpError } from '../../../src/core/errors';
import { type Graph, isLinear } from '../../../src/core/graph/graph';
import { ModelProtoSchema } from '../../../src/core/io/onnx/onnx-file';
import { SHAPES_ONLY_FROM } from '../../../src/core/io/onnx/weights';
import { openAnyModel } from '../../../src/core/io/open-model';
import { modelComponentGroups } from '../../../src/core/prune/layer-groups';
import { useDefaultBackend } from '../../helpers/backend';
import { tempDir } from '../../helpers/tmp';
import { fixture, torchvisionFixtures } from '../../helpers/torchvision';

/** Every weight tensor of a graph's ops. */
const weightsOf = (g: Graph): tf.Tensor[] =>
  g.nodes.flatMap((n) => Object.values(n.op).filter((v): v is tf.Tensor => v instanceof tf.Tensor));

describe("an ONNX model's structure read without its weights (pxp info, the .onnx view)", function () {
  this.timeout(600_000);
  before(async () => {
    await useDefaultBackend();
    torchvisionFixtures();
  });

  for (const name of ['resnet18', 'mobilenet_v2', 'vit_small', 'vgg_small', 'resnet18_bn_kept']) {
    it(`${name}: the same layers, shapes, parameters, MACs and groups as the full read, and no weight on the backend`, async () => {
      const file = path.join(fixture(name), 'model.onnx');
      const full = await openAnyModel(file);
      const before = tf.backend().numDataIds();
      const shapes = await openAnyModel(file, { weights: 'shapes' });
      try {
        assert.equal(tf.backend().numDataIds(), before, 'the structure read put no tensor on the backend');
        assert.deepEqual(shapes.summary, full.summary);
        assert.deepEqual(modelComponentGroups(shapes.sharedGraph()), modelComponentGroups(full.sharedGraph()));
        const [a, b] = [weightsOf(full.sharedGraph()), weightsOf(shapes.sharedGraph())];
        assert.deepEqual(
          b.map((t) => t.shape),
          a.map((t) => t.shape),
        );
        // The full read's kernels hold the file's values; the structure read's hold zeros.
        const kernels = shapes.sharedGraph().nodes.flatMap((n) => (isLinear(n.op) ? [n.op.kernel] : []));
        assert.ok(kernels.length > 0);
        for (const k of kernels) assert.ok((k.dataSync() as Float32Array).every((v) => v === 0));
        const fullKernel = full.sharedGraph().nodes.find((n) => isLinear(n.op))!.op as { kernel: tf.Tensor };
        assert.ok((fullKernel.kernel.dataSync() as Float32Array).some((v) => v !== 0));
        shapes.dispose();
        assert.equal(tf.backend().numDataIds(), before);
      } finally {
        shapes.dispose(); // a second dispose does nothing
        full.dispose();
      }
    });
  }

  it('a large weight is not decoded, yet a NaN or infinity in it is refused as in the full read', async () => {
    const tmp = tempDir();
    try {
      const file = path.join(fixture('resnet18'), 'model.onnx');
      const proto = fromBinary(ModelProtoSchema, fs.readFileSync(file));
      const t = proto.graph!.initializer.find((i) => i.dataType === 1 && i.rawData.byteLength >= 4 * SHAPES_ONLY_FROM)!;
      const raw = new Uint8Array(t.rawData);
      new DataView(raw.buffer).setFloat32(4 * 1234, NaN, true);
      t.rawData = raw;
      const bad = path.join(tmp.dir, 'nan.onnx');
      fs.writeFileSync(bad, toBinary(ModelProtoSchema, proto));
      const message = new RegExp(
        `tensor '${t.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' holds NaN \\(at flat index 1234\\)`,
      );
      for (const weights of ['values', 'shapes'] as const)
        await assert.rejects(
          openAnyModel(bad, { weights }),
          (e: PxpError) => e.code === 'bad-input' && message.test(e.message),
        );
    } finally {
      tmp.cleanup();
    }
  });
});
