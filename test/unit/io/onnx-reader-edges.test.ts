import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create } from '@bufbuild/protobuf';
import type { PxpError } from '../../../src/core/errors';
import { openAnyModel } from '../../../src/core/io/open-model';
import {
  ModelProtoSchema,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
  encodeModel,
  makeTensor,
} from '../../../src/core/io/onnx/onnx-file';
import { predictOutputs } from '../../../src/core/models/predict-outputs';
import { useDefaultBackend } from '../../helpers/backend';

const tensorInput = (name: string, dims: number[]): Partial<ValueInfoProto> => ({
  name,
  type: {
    value: {
      case: 'tensorType',
      value: { elemType: 1, shape: { dim: dims.map((d) => ({ value: { case: 'dimValue', value: BigInt(d) } })) } },
    },
  } as ValueInfoProto['type'],
});

/** A one-graph model file (opset 17 unless given), as small as a test needs. */
function writeModel(
  dir: string,
  parts: {
    nodes: Partial<NodeProto>[];
    inputs: Partial<ValueInfoProto>[];
    initializers?: TensorProto[];
    output: string;
    opset?: number;
  },
): string {
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    opsetImport: [{ domain: '', version: BigInt(parts.opset ?? 17) }],
    graph: {
      name: 'g',
      node: parts.nodes,
      input: parts.inputs,
      initializer: parts.initializers ?? [],
      output: [{ name: parts.output }],
    },
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
    const consts = [
      [1, -2, 3],
      [0, 5, -1],
      [-4, 7, 2],
    ].map((v, i) => makeTensor(`c${i}`, [3], Float32Array.from(v)));
    const file = writeModel(dir, {
      nodes: [
        { opType: 'Max', name: 'max', input: ['c0', 'c1', 'c2'], output: ['m'] },
        { opType: 'Add', name: 'add', input: ['x', 'm'], output: ['y'] },
      ],
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
    const file = writeModel(dir, {
      nodes: [{ opType: 'Max', name: 'max', input: ['x'], output: ['y'] }],
      inputs: [tensorInput('x', [2, 3])],
      output: 'y',
    });
    await assert.rejects(openAnyModel(file), (e: PxpError) => {
      assert.equal(e.code, 'bad-input');
      assert.match(e.message, /node 'max' \(Max\): PXP cannot use Max here/);
      return true;
    });
  });

  it('a sequence input is refused as not a tensor', async () => {
    const seq: Partial<ValueInfoProto> = {
      name: 's',
      type: {
        value: { case: 'sequenceType', value: { elemType: tensorInput('e', [2]).type } },
      } as ValueInfoProto['type'],
    };
    const file = writeModel(dir, {
      nodes: [{ opType: 'Identity', name: 'id', input: ['s'], output: ['y'] }],
      inputs: [seq],
      output: 'y',
    });
    await assert.rejects(
      openAnyModel(file),
      (e: PxpError) => e.code === 'bad-input' && /input 's' is not a tensor \(its type is sequence\)/.test(e.message),
    );
  });
});

describe('ONNX reader: ops whose meaning changed before opset 13', () => {
  let dir: string;
  before(async () => {
    await useDefaultBackend();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-onnx-opsets-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const intAttr = (name: string, i: number) => ({ name, i: BigInt(i), type: 2 });

  it('Softmax at opset 11 (default axis 1) is the same op on [N, K], and refused on [N, A, B] where it would flatten', async () => {
    const two = writeModel(dir, {
      opset: 11,
      nodes: [{ opType: 'Softmax', name: 'sm', input: ['x'], output: ['y'] }],
      inputs: [tensorInput('x', [1, 3])],
      output: 'y',
    });
    const model = await openAnyModel(two);
    const out = await predictOutputs(model.graph(), Float32Array.from([0, 0, Math.log(2)]), [1, 3], {
      executor: 'tfjs',
    });
    assert.deepEqual(
      Array.from(out.data).map((v) => +v.toFixed(6)),
      [0.25, 0.25, 0.5],
    );
    model.dispose();
    const three = writeModel(dir, {
      opset: 11,
      nodes: [{ opType: 'Softmax', name: 'sm', input: ['x'], output: ['y'] }],
      inputs: [tensorInput('x', [1, 2, 3])],
      output: 'y',
    });
    await assert.rejects(
      openAnyModel(three),
      (e: PxpError) => e.code === 'bad-input' && /softmax over an axis other than the last/.test(e.message),
    );
  });

  it('a legacy broadcast (opset 6) lining B up at a middle axis is refused; at the end it is numpy broadcasting', async () => {
    const b = makeTensor('b', [2], Float32Array.from([10, 20]));
    const middle = writeModel(dir, {
      opset: 6,
      nodes: [
        {
          opType: 'Add',
          name: 'add',
          input: ['x', 'b'],
          output: ['y'],
          attribute: [intAttr('broadcast', 1), intAttr('axis', 1)] as NodeProto['attribute'],
        },
      ],
      inputs: [tensorInput('x', [1, 2, 3])],
      initializers: [b],
      output: 'y',
    });
    await assert.rejects(
      openAnyModel(middle),
      (e: PxpError) => e.code === 'bad-input' && /legacy broadcast/.test(e.message),
    );
    const end = writeModel(dir, {
      opset: 6,
      nodes: [
        {
          opType: 'Add',
          name: 'add',
          input: ['x', 'b'],
          output: ['y'],
          attribute: [intAttr('broadcast', 1), intAttr('axis', 1)] as NodeProto['attribute'],
        },
      ],
      inputs: [tensorInput('x', [1, 2])],
      initializers: [makeTensor('b', [2], Float32Array.from([10, 20]))],
      output: 'y',
    });
    const model = await openAnyModel(end);
    const out = await predictOutputs(model.graph(), Float32Array.from([1, 2]), [1, 2], { executor: 'tfjs' });
    assert.deepEqual(Array.from(out.data), [11, 22]);
    model.dispose();
  });

  it('opsets before 6 are refused with the export that fixes it', async () => {
    const old = writeModel(dir, {
      opset: 5,
      nodes: [{ opType: 'Relu', name: 'r', input: ['x'], output: ['y'] }],
      inputs: [tensorInput('x', [1, 2])],
      output: 'y',
    });
    await assert.rejects(
      openAnyModel(old),
      (e: PxpError) =>
        e.code === 'bad-input' &&
        /opset 5; PXP reads opsets 6–17/.test(e.message) &&
        /opset_version=17/.test(e.hint ?? ''),
    );
  });
});
