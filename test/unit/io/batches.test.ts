import assert from 'node:assert/strict';
import { PxpError } from '../../../src/core/errors';
import { batchesOf, type LabelledBatch } from '../../../src/core/io/batches';

/** 7 samples of shape [2, 3] whose values encode (sample, position): x[s][i] = 10·s + i; labels 100 + s. */
function samples() {
  const n = 7;
  const x = Float32Array.from({ length: n * 6 }, (_, k) => 10 * Math.floor(k / 6) + (k % 6));
  const y = Int32Array.from({ length: n }, (_, s) => 100 + s);
  return { x, shape: [n, 2, 3], y };
}

/** The sample values expected for rows `rows`, written out by hand from the encoding above. */
const expected = (rows: number[]) => rows.flatMap((s) => [0, 1, 2, 3, 4, 5].map((i) => 10 * s + i));

async function collect<B>(it: AsyncIterable<B>, copy: (b: B) => B = (b) => b): Promise<B[]> {
  const out: B[] = [];
  for await (const b of it) out.push(copy(b));
  return out;
}

describe('batches over a data set (batchesOf)', () => {
  it('covers every row once, in order, with a short last batch; x and y are views, not copies', async () => {
    const data = samples();
    const got = await collect(batchesOf(data, 3));
    assert.deepEqual(
      got.map((b) => [b.index, b.from, b.to, b.size, b.shape]),
      [
        [0, 0, 3, 3, [3, 2, 3]],
        [1, 3, 6, 3, [3, 2, 3]],
        [2, 6, 7, 1, [1, 2, 3]],
      ],
    );
    assert.deepEqual(Array.from(got[1].x), expected([3, 4, 5]));
    assert.deepEqual(Array.from(got[2].y), [106]);
    assert.equal(got[0].x.buffer, data.x.buffer);
    assert.equal(got[0].y.buffer, data.y.buffer);
  });

  it('takes rows through a given order as copies (a shuffled epoch)', async () => {
    const data = samples();
    const order = [6, 2, 0, 5, 1, 3, 4];
    const got = await collect(batchesOf(data, 4, { order }));
    assert.deepEqual(Array.from(got[0].x), expected([6, 2, 0, 5]));
    assert.deepEqual(Array.from(got[1].x), expected([1, 3, 4]));
    assert.deepEqual(Array.from(got[0].y), [106, 102, 100, 105]);
    assert.notEqual(got[0].x.buffer, data.x.buffer);
  });

  it('pads a short batch with zero rows to the full size for a static-batch graph', async () => {
    const got = await collect(batchesOf(samples(), 4, { padToSize: true }), (b: LabelledBatch) => ({
      ...b,
      x: b.x.slice(),
    }));
    assert.deepEqual(got[1].shape, [4, 2, 3]);
    assert.equal(got[1].size, 3);
    assert.deepEqual(Array.from(got[1].x), [...expected([4, 5, 6]), 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(got[1].y), [104, 105, 106]);
  });

  it('without labels it batches x by its shape (attribution inputs)', async () => {
    const { x, shape } = samples();
    const got = await collect(batchesOf({ x, shape }, 5));
    assert.deepEqual(
      got.map((b) => [b.from, b.to, 'y' in b]),
      [
        [0, 5, false],
        [5, 7, false],
      ],
    );
  });

  it('stops with a cancelled error before the next batch once the signal fires', async () => {
    const abort = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const b of batchesOf(samples(), 2, { signal: abort.signal })) {
          seen.push(b.index);
          if (b.index === 1) abort.abort();
        }
      })(),
      (e) => e instanceof PxpError && e.code === 'cancelled',
    );
    assert.deepEqual(seen, [0, 1]);
  });

  it('lets the event loop run between batches (after every batch, or after every yieldEvery-th)', async () => {
    for (const [every, want] of [
      [1, [true, true, true]],
      [2, [false, true, false]],
    ] as const) {
      // A setImmediate queued while a batch is used has run by the next batch only if the loop yielded in between.
      const ranBefore: boolean[] = [];
      let ran = false;
      for await (const b of batchesOf(samples(), 2, { yieldEvery: every })) {
        if (b.index > 0) ranBefore.push(ran);
        ran = false;
        setImmediate(() => (ran = true));
      }
      assert.deepEqual(ranBefore, want, `yieldEvery ${every}`);
    }
  });
});
