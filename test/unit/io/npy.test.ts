import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PxpError } from '../../../src/core/errors';
import { encodeNpy, parseNpy, readNpy, writeNpy, type NpyArray } from '../../../src/core/io/npy';

const PYTHON = '/usr/bin/python3';
const hasNumpy = fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

/** A .npy file built byte by byte, independently of encodeNpy. */
function handNpy(version: 1 | 2 | 3, header: string, data: Uint8Array): Uint8Array {
  const head = Buffer.from(header, version === 3 ? 'utf8' : 'latin1');
  const pre = version === 1 ? 10 : 12;
  const out = Buffer.alloc(pre + head.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  if (version === 1) out.writeUInt16LE(head.length, 8);
  else out.writeUInt32LE(head.length, 8);
  out.set(head, pre);
  out.set(data, pre + head.length);
  return out;
}

function bytesOf(a: Float32Array | Int32Array | Float64Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function expectBadInput(fn: () => unknown, file: string, pattern?: RegExp): PxpError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PxpError, `expected a PxpError, got ${String(e)}`);
    assert.equal(e.code, 'bad-input');
    assert.ok(e.message.includes(file), `message should name ${file}: ${e.message}`);
    assert.ok(e.hint && e.hint.length > 0, 'a bad-input error says how to fix it');
    if (pattern) assert.match(e.message, pattern);
    return e;
  }
  assert.fail('expected a bad-input error');
}

describe('npy', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-npy-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('round trip', () => {
    const cases: NpyArray[] = [
      { dtype: 'float32', shape: [2, 3], data: Float32Array.from([0, -1.5, 3.25, 1e-8, 7, 3.4e38]) },
      { dtype: 'float32', shape: [], data: Float32Array.from([42.5]) },
      { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
      { dtype: 'int32', shape: [4], data: Int32Array.from([-2147483648, -1, 0, 2147483647]) },
      { dtype: 'int32', shape: [], data: Int32Array.from([-7]) },
      { dtype: 'uint8', shape: [2, 2, 2, 1], data: Uint8Array.from([0, 1, 2, 3, 128, 200, 254, 255]) },
      { dtype: 'uint8', shape: [1], data: Uint8Array.from([9]) },
    ];
    for (const arr of cases) {
      it(`${arr.dtype} shape [${arr.shape.join(', ')}]`, () => {
        const bytes = encodeNpy(arr);
        assert.equal(bytes[6], 1, 'version 1');
        const headerLen = bytes[8] | (bytes[9] << 8);
        assert.equal((10 + headerLen) % 64, 0, 'data start at a multiple of 64');
        assert.equal(bytes[10 + headerLen - 1], 0x0a, "header ends with '\\n'");
        const back = parseNpy(bytes, 'mem.npy');
        assert.equal(back.dtype, arr.dtype);
        assert.deepEqual(back.shape, arr.shape);
        assert.deepEqual(Array.from(back.data), Array.from(arr.data));
        assert.equal(back.data.constructor, arr.data.constructor);
      });
    }

    it('writes through writeNpy and reads back with readNpy', () => {
      const file = path.join(tmp, 'sub', 'a.npy');
      writeNpy(file, { dtype: 'float32', shape: [3], data: Float32Array.from([1, 2, 3]) });
      const back = readNpy(file);
      assert.deepEqual(back.shape, [3]);
      assert.deepEqual(Array.from(back.data), [1, 2, 3]);
      assert.deepEqual(fs.readdirSync(path.dirname(file)), ['a.npy'], 'no temporary file left behind');
    });

    it('parses from an unaligned buffer slice', () => {
      const bytes = encodeNpy({ dtype: 'float32', shape: [2], data: Float32Array.from([1.5, -2]) });
      const big = Buffer.alloc(bytes.length + 3);
      big.set(bytes, 3);
      const back = parseNpy(big.subarray(3), 'slice.npy');
      assert.deepEqual(Array.from(back.data), [1.5, -2]);
      assert.equal(back.data.byteOffset % 4, 0);
    });

    it('falls back to a version 2 header when the header exceeds 65535 bytes', () => {
      const shape = new Array<number>(25000).fill(1);
      const bytes = encodeNpy({ dtype: 'int32', shape, data: Int32Array.from([5]) });
      assert.equal(bytes[6], 2);
      const headerLen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
      assert.ok(headerLen > 65535);
      assert.equal((12 + headerLen) % 64, 0);
      const back = parseNpy(bytes, 'big-header.npy');
      assert.equal(back.shape.length, 25000);
      assert.deepEqual(Array.from(back.data), [5]);
    });
  });

  describe('hand-built files', () => {
    it('reads a version 2 header', () => {
      const header = "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }\n";
      const buf = handNpy(2, header, bytesOf(Int32Array.from([1, -2, 3, -4])));
      const arr = parseNpy(buf, 'v2.npy');
      assert.equal(arr.dtype, 'int32');
      assert.deepEqual(arr.shape, [2, 2]);
      assert.deepEqual(Array.from(arr.data), [1, -2, 3, -4]);
    });

    it('reads a version 3 header', () => {
      const header = "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }          \n";
      const arr = parseNpy(handNpy(3, header, Uint8Array.from([7, 8, 9])), 'v3.npy');
      assert.equal(arr.dtype, 'uint8');
      assert.deepEqual(Array.from(arr.data), [7, 8, 9]);
    });

    it('reads a scalar and converts <f8 and <i8', () => {
      const f8 = parseNpy(
        handNpy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }\n", bytesOf(Float64Array.from([0.25]))),
        's.npy',
      );
      assert.equal(f8.dtype, 'float32');
      assert.deepEqual(f8.shape, []);
      assert.deepEqual(Array.from(f8.data), [0.25]);
      const i8 = new DataView(new ArrayBuffer(24));
      i8.setBigInt64(0, -3n, true);
      i8.setBigInt64(8, 2147483647n, true);
      i8.setBigInt64(16, -2147483648n, true);
      const arr = parseNpy(
        handNpy(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }\n", new Uint8Array(i8.buffer)),
        'i8.npy',
      );
      assert.equal(arr.dtype, 'int32');
      assert.deepEqual(Array.from(arr.data), [-3, 2147483647, -2147483648]);
    });

    it('rejects int64 values outside int32', () => {
      const v = new DataView(new ArrayBuffer(16));
      v.setBigInt64(0, 1n, true);
      v.setBigInt64(8, 2147483648n, true);
      const buf = handNpy(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n", new Uint8Array(v.buffer));
      expectBadInput(() => parseNpy(buf, 'wide.npy'), 'wide.npy', /2147483648/);
    });

    it('rejects Fortran order, naming np.ascontiguousarray', () => {
      const buf = handNpy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n", new Uint8Array(16));
      const e = expectBadInput(() => parseNpy(buf, 'fortran.npy'), 'fortran.npy');
      assert.match(e.hint ?? '', /ascontiguousarray/);
    });

    it('rejects big-endian data', () => {
      const buf = handNpy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n", new Uint8Array(8));
      expectBadInput(() => parseNpy(buf, 'be.npy'), 'be.npy', /big-endian/);
    });

    it('rejects unsupported dtypes', () => {
      const buf = handNpy(1, "{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }\n", new Uint8Array(12));
      expectBadInput(() => parseNpy(buf, 'str.npy'), 'str.npy', /not supported/);
    });

    it('rejects bad magic', () => {
      expectBadInput(
        () => parseNpy(Buffer.from('PK\u0003\u0004 this is a zip, not npy'), 'bad.npy'),
        'bad.npy',
        /magic/,
      );
      expectBadInput(() => parseNpy(new Uint8Array(3), 'tiny.npy'), 'tiny.npy');
    });

    it('rejects a truncated header', () => {
      const full = handNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", new Uint8Array(8));
      expectBadInput(() => parseNpy(full.subarray(0, 30), 'cut.npy'), 'cut.npy', /truncated/);
    });

    it('rejects data whose length does not match the shape', () => {
      const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n";
      expectBadInput(() => parseNpy(handNpy(1, header, new Uint8Array(8)), 'short.npy'), 'short.npy', /needs 12/);
      expectBadInput(() => parseNpy(handNpy(1, header, new Uint8Array(16)), 'long.npy'), 'long.npy', /needs 12/);
    });

    it('reports a missing file by name', () => {
      const file = path.join(tmp, 'nope.npy');
      expectBadInput(() => readNpy(file), file, /does not exist/);
    });
  });

  describe('interoperability with numpy', function () {
    before(function () {
      if (!hasNumpy) this.skip();
    });

    function python(code: string): string {
      const r = spawnSync(PYTHON, ['-c', code], { cwd: tmp, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    }

    it('reads what numpy.save writes', () => {
      python(`
import numpy as np
np.save('f4.npy', (np.arange(12, dtype=np.float32).reshape(3, 4) / np.float32(7)))
np.save('i4.npy', np.array([[-5, 0], [7, 2**31 - 1]], dtype=np.int32))
np.save('u1.npy', np.arange(256, dtype=np.uint8).reshape(16, 16))
np.save('i8.npy', np.array([-2**31, 0, 5, 2**31 - 1], dtype=np.int64))
np.save('f8.npy', np.array([0.5, -1.25, 1e-3]))
np.save('scalar.npy', np.array(3.5, dtype=np.float32))
np.save('b1.npy', np.array([True, False, True]))
np.save('i1.npy', np.array([-128, 5, 127], dtype=np.int8))
np.save('fortran.npy', np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
np.save('be.npy', np.arange(3, dtype='>f4'))
np.save('big.npy', np.array([2**40], dtype=np.int64))
with open('v2.npy', 'wb') as f:
    np.lib.format.write_array(f, np.arange(5, dtype=np.int32), version=(2, 0))
with open('v3.npy', 'wb') as f:
    np.lib.format.write_array(f, np.arange(4, dtype=np.uint8), version=(3, 0))
`);
      const f4 = readNpy(path.join(tmp, 'f4.npy'));
      assert.equal(f4.dtype, 'float32');
      assert.deepEqual(f4.shape, [3, 4]);
      assert.deepEqual(
        Array.from(f4.data),
        Array.from({ length: 12 }, (_, i) => Math.fround(i / 7)),
      );
      const i4 = readNpy(path.join(tmp, 'i4.npy'));
      assert.deepEqual([i4.dtype, i4.shape, Array.from(i4.data)], ['int32', [2, 2], [-5, 0, 7, 2147483647]]);
      const u1 = readNpy(path.join(tmp, 'u1.npy'));
      assert.deepEqual([u1.dtype, u1.shape], ['uint8', [16, 16]]);
      assert.deepEqual(
        Array.from(u1.data),
        Array.from({ length: 256 }, (_, i) => i),
      );
      const i8 = readNpy(path.join(tmp, 'i8.npy'));
      assert.deepEqual([i8.dtype, Array.from(i8.data)], ['int32', [-2147483648, 0, 5, 2147483647]]);
      const f8 = readNpy(path.join(tmp, 'f8.npy'));
      assert.deepEqual([f8.dtype, Array.from(f8.data)], ['float32', [0.5, -1.25, Math.fround(1e-3)]]);
      const scalar = readNpy(path.join(tmp, 'scalar.npy'));
      assert.deepEqual([scalar.shape, Array.from(scalar.data)], [[], [3.5]]);
      assert.deepEqual(Array.from(readNpy(path.join(tmp, 'b1.npy')).data), [1, 0, 1]);
      assert.deepEqual(Array.from(readNpy(path.join(tmp, 'i1.npy')).data), [-128, 5, 127]);
      assert.deepEqual(Array.from(readNpy(path.join(tmp, 'v2.npy')).data), [0, 1, 2, 3, 4]);
      assert.deepEqual(Array.from(readNpy(path.join(tmp, 'v3.npy')).data), [0, 1, 2, 3]);
      for (const [name, pattern] of [
        ['fortran.npy', /Fortran/],
        ['be.npy', /big-endian/],
        ['big.npy', /does not fit in int32/],
      ] as const) {
        const file = path.join(tmp, name);
        expectBadInput(() => readNpy(file), file, pattern);
      }
    });

    it('writes what numpy.load reads', () => {
      writeNpy(path.join(tmp, 'w_f4.npy'), {
        dtype: 'float32',
        shape: [2, 3],
        data: Float32Array.from([0, 0.5, -1, 2, 3.25, 1e-3]),
      });
      writeNpy(path.join(tmp, 'w_i4.npy'), { dtype: 'int32', shape: [3], data: Int32Array.from([-1, 0, 2147483647]) });
      writeNpy(path.join(tmp, 'w_u1.npy'), {
        dtype: 'uint8',
        shape: [1, 2, 2, 1],
        data: Uint8Array.from([0, 1, 254, 255]),
      });
      writeNpy(path.join(tmp, 'w_scalar.npy'), { dtype: 'float32', shape: [], data: Float32Array.from([7]) });
      const out = python(`
import json, numpy as np
res = {}
for n in ['w_f4', 'w_i4', 'w_u1', 'w_scalar']:
    a = np.load(n + '.npy')
    res[n] = [str(a.dtype), list(a.shape), a.ravel().astype(np.float64).tolist()]
print(json.dumps(res))
`);
      assert.deepEqual(JSON.parse(out), {
        w_f4: ['float32', [2, 3], [0, 0.5, -1, 2, 3.25, Math.fround(1e-3)]],
        w_i4: ['int32', [3], [-1, 0, 2147483647]],
        w_u1: ['uint8', [1, 2, 2, 1], [0, 1, 254, 255]],
        w_scalar: ['float32', [], [7]],
      });
    });
  });
});
