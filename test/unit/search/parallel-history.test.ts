import assert from 'node:assert/strict';
import { historyFor } from '../../../src/core/search/study';
import type { Trial } from '../../../src/core/search/space';

describe('the history a sampler sees with trials in flight (--workers)', () => {
  const done: Trial[] = [0, 1, 2, 3, 4].map((n) => ({ number: n, params: { x: n }, value: n / 10 }));

  it('with one worker, every earlier trial is finished', () => {
    assert.deepEqual(historyFor(done, 4, 1), done.slice(0, 4));
  });

  it('hides the values of the trials of the same batch, keeps the ones of earlier batches', () => {
    // Batches of 3: trials 0–2, 3–5. Trial 4 sees 0–2 finished and 3 as running.
    const seen = historyFor(done, 4, 3);
    assert.deepEqual(
      seen.map((t) => t.value),
      [0, 0.1, 0.2, undefined],
    );
    assert.deepEqual(
      seen.map((t) => t.params.x),
      [0, 1, 2, 3],
    );
    // The first trial of a batch sees everything before it.
    assert.deepEqual(
      historyFor(done, 3, 3).map((t) => t.value),
      [0, 0.1, 0.2],
    );
  });
});
