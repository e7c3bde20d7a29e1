import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { checkValueRange } from '../../../src/cli/inputs';
import { PxpError } from '../../../src/core/errors';
import { loadFolder, selectPerClass } from '../../../src/core/io/datasets';
import { writeNpy } from '../../../src/core/io/npy';
import { readTrialsToResume } from '../../../src/core/run-folder/read';
import { tempDir } from '../../helpers/tmp';

const badInput = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof PxpError && e.code === 'bad-input', String(e));
  assert.match(e.message, pattern);
  return true;
};

describe("input values: finite, in the model's range (issue 16, item 2)", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  function folder(values: number[], n = values.length / 4): string {
    writeNpy(path.join(tmp.dir, 'x.npy'), { dtype: 'float32', shape: [n, 2, 2], data: Float32Array.from(values) });
    writeNpy(path.join(tmp.dir, 'y.npy'), {
      dtype: 'int32',
      shape: [n],
      data: Int32Array.from({ length: n }, (_, i) => i % 2),
    });
    return tmp.dir;
  }

  it("a NaN or infinite sample value is refused, naming the file's sample", () => {
    const dir = folder([0, 0.5, 1, 0.2, 0.1, 0.1, 0.1, 0.1, 0.3, NaN, 0.3, 0.3]);
    assert.throws(() => loadFolder(dir), badInput(/x\.npy: sample 2 holds NaN \(at value 1 of 4\)/));
    const inf = folder([0, 0.5, 1, 0.2, Infinity, 0.1, 0.1, 0.1]);
    assert.throws(() => loadFolder(inf), badInput(/x\.npy: sample 1 holds Infinity/));
  });

  it("records the extremes of float data, with the file's sample holding each; --input-range maps them onto [0, 1]", () => {
    const dir = folder([0, 10, 255, 20, 5, 6, 7, 8, 9, 250, 1, 3, 2, 2, 2, 2], 4);
    const ds = loadFolder(dir);
    assert.deepEqual(
      [ds.valueRange!.min, ds.valueRange!.minSample, ds.valueRange!.max, ds.valueRange!.maxSample],
      [0, 0, 255, 0],
    );
    const scaled = loadFolder(dir, { inputRange: [0, 255] });
    assert.deepEqual(
      Array.from(scaled.x.subarray(0, 4)),
      [0, 10 / 255, 1, 20 / 255].map((v) => Math.fround(v)),
    );
    assert.equal(scaled.valueRange!.max, 1);
    const picked = selectPerClass(ds, 1, 0);
    assert.deepEqual(picked.valueRange, ds.valueRange, 'a subset keeps what the file held');
  });

  it("float data outside the model's documented range are refused with the fix; inside it (or undocumented) pass", () => {
    const range = { file: 'x.npy', min: 0, minSample: 0, max: 255, maxSample: 7 };
    assert.throws(
      () => checkValueRange(range, [0, 1], 'model.json'),
      (e: unknown) =>
        badInput(/x\.npy: sample 7 has values up to 255, outside \[0, 1\], the range model\.json takes/)(e) &&
        /divide the array by 255.*--input-range 0,255/.test((e as PxpError).hint!),
    );
    assert.throws(
      () => checkValueRange({ ...range, min: -0.5, max: 1 }, [0, 1], 'model.json'),
      badInput(/sample 0 has values down to -0\.5/),
    );
    checkValueRange({ ...range, max: 1.005 }, [0, 1], 'model.json');
    checkValueRange(range, undefined, 'model.onnx');
  });
});

describe('trials.jsonl on resume: only a cut-off last line is dropped (issue 16, item 6)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());
  const trial = (n: number) =>
    JSON.stringify({
      number: n,
      params: { 'low.rule': 'z-plus' },
      auc: 0.3,
      curve: [{ rate: 0, accuracy: 0.9 }],
      seconds: 1,
      cached: false,
    });
  const write = (text: string) => fs.writeFileSync(path.join(tmp.dir, 'trials.jsonl'), text);

  it('reads whole trials and drops a last line without its newline (a kill cut it short)', () => {
    write(`${trial(0)}\n${trial(1)}\n{"number": 2, "par`);
    assert.deepEqual(
      readTrialsToResume(tmp.dir).map((t) => t.number),
      [0, 1],
    );
  });

  it('refuses a whole line that is not a trial, naming it: null, garbage, a trial missing a field', () => {
    for (const bad of ['null', '{"number": 1, garbage', JSON.stringify({ number: 1 })]) {
      write(`${trial(0)}\n${bad}\n${trial(2)}\n`);
      assert.throws(
        () => readTrialsToResume(tmp.dir),
        badInput(/trials\.jsonl line 2 is not a trial .*resuming would drop the trials after it/),
      );
    }
    write(`${trial(0)}\n\n${trial(1)}\nnull\n`);
    assert.throws(() => readTrialsToResume(tmp.dir), badInput(/line 4 is not a trial/));
  });
});
