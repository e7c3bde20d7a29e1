import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create } from '@bufbuild/protobuf';
import type { PxpError } from '../../../src/core/errors';
import { openAnyModel } from '../../../src/core/io/open-model';
import { ModelProtoSchema, type NodeProto, type TensorProto, type ValueInfoProto, encodeModel, makeTensor } from '../../../src/core/io/onnx/onnx-file';
import { predictOutputs } from '../../../src/core/models/predict-outputs';
import { useDefaultBackend } from '../../helpers/backend';

const tensorInput = (name: string, dims: number[]): Partial<ValueInfoProto> => ({
  name,
  type: { value: { case: 'tensorType', value: { elemType: 1, shape: { dim: dims.map((d) => ({ value: { case: 'dimValue', value: BigInt(d) } })) } } } } as ValueInfoProto['type'],
});

/** A one-graph opset-17 model file, as small as a test needs. */
function writeModel(dir: string, parts: { nodes: Partial<NodeProto>[]; inputs: Partial<ValueInfoProto>[]; initializers?: TensorProto[]; output: string }): string {
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    opsetImport: [{ domain: '', version: 17n }],
    graph: { name: 'g', node: parts.nodes, input: parts.inputs, initializer: parts.initializers ?? [], output: [{ name: parts.output }] },
  } as Parameters<typeof create<typeof ModelProtoSchema>>[1]);
  const file = path.join(dir, `m${fs.readdirSync(dir).length}.onnx`);
  fs.writeFileSync(file, encodeModel(model));
  return file;
}

describe('ONNX reader: variadic Max/Min and non-tensor inputs', () => {
  let dir: string;
  before(async () => {
    await useDefaultBackend();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-onnx-edges-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('folds a Max of three constants (ONNX Max takes one input or more) and imports the Add it feeds', async () => {
    const consts = [[1, -2, 3], [0, 5, -1], [-4, 7, 2]].map((v, i) => makeTensor(`c${i}`, [3], Float32Array.from(v)));
    const file = writeModel(dir, {
      nodes: [{ opType: 'Max', name: 'max', input: ['c0', 'c1', 'c2'], output: ['m'] }, { opType: 'Add', name: 'add', input: ['x', 'm'], output: ['y'] }],
      inputs: [tensorInput('x', [2, 3])],
      initializers: consts,
      output: 'y',
    });
    const model = await openAnyModel(file);
    const x = Float32Array.from([0.5, 1, 1.5, -1, -2, -3]);
    for (const executor of ['onnx', 'tfjs'] as const) {
      const out = await predictOutputs(model.graph(), x, [2, 3], { executor });
      // max per column: [1, 7, 3] (the third constant counts).
      assert.deepEqual(Array.from(out.data), [1.5, 8, 4.5, 0, 5, 0], executor);
    }
    model.dispose();
  });

  it('a Max of one activation is refused naming the op, not as a missing input', async () => {
    const file = writeModel(dir, { nodes: [{ opType: 'Max', name: 'max', input: ['x'], output: ['y'] }], inputs: [tensorInput('x', [2, 3])], output: 'y' });
    await assert.rejects(openAnyModel(file), (e: PxpError) => {
      assert.equal(e.code, 'bad-input');
      assert.match(e.message, /node 'max' \(Max\): PXP cannot use Max here/);
      return true;
    });
  });

  it('a sequence input is refused as not a tensor', async () => {
    const seq: Partial<ValueInfoProto> = { name: 's', type: { value: { case: 'sequenceType', value: { elemType: tensorInput('e', [2]).type } } } as ValueInfoProto['type'] };
    const file = writeModel(dir, { nodes: [{ opType: 'Identity', name: 'id', input: ['s'], output: ['y'] }], inputs: [seq], output: 'y' });
    await assert.rejects(openAnyModel(file), (e: PxpError) => e.code === 'bad-input' && /input 's' is not a tensor \(its type is sequence\)/.test(e.message));
  });
});
