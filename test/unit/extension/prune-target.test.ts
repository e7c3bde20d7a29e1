import assert from 'node:assert/strict';
import {
  DEFAULT_PRUNE_TARGET,
  PRUNE_TARGET_PROMPT,
  parsePruneTarget,
  pruneTargetFlags,
} from '../../../src/extension/prune-target';

describe('Prune Model…: what to remove physically, from one input', () => {
  it('a fraction in [0, 1) is a rate; "1pt" / "0.5 points" an accuracy budget', () => {
    assert.deepEqual(parsePruneTarget('0.5'), { rate: 0.5 });
    assert.deepEqual(parsePruneTarget(' .25 '), { rate: 0.25 });
    assert.deepEqual(parsePruneTarget('0'), { rate: 0 });
    assert.deepEqual(parsePruneTarget('1pt'), { maxDrop: 1 });
    assert.deepEqual(parsePruneTarget('2 pts'), { maxDrop: 2 });
    assert.deepEqual(parsePruneTarget('0.5 Points'), { maxDrop: 0.5 });
  });

  it('suggests an accuracy budget of one point by default, not a fraction (issue 17 item 3)', () => {
    assert.deepEqual(parsePruneTarget(DEFAULT_PRUNE_TARGET), { maxDrop: 1 });
    assert.match(PRUNE_TARGET_PROMPT, /^What to remove physically: an accuracy budget/);
  });

  it('refuses rates outside [0, 1), budgets over 100 points and anything else', () => {
    for (const bad of ['1', '1.5', '-0.2', '101pt', 'pt', 'half', '', '0.5x', '1e-1'])
      assert.equal(parsePruneTarget(bad), undefined, bad);
  });

  it('becomes the flags of pxp prune: --rate (none for 0) or --max-drop', () => {
    assert.deepEqual(pruneTargetFlags({ rate: 0.3 }), { rate: '0.3' });
    assert.deepEqual(pruneTargetFlags({ rate: 0 }), {});
    assert.deepEqual(pruneTargetFlags({ maxDrop: 1 }), { 'max-drop': '1' });
  });
});
