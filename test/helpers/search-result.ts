import assert from 'node:assert/strict';
import { SELECTION_Z } from '../../src/core/search/selection';

interface RunBest {
  best: { number: number; auc: number };
  selection?: {
    picked: number;
    base: { number: number; auc: number };
    candidates: { number: number; auc: number; z: number }[];
  };
}

/**
 * run.json's result is the best trial, or (with `selection`) the best starting point unless a better trial beat it
 * by at least SELECTION_Z standard errors: checked against the trials as logged (numbers are their positions).
 */
export function assertPicked(run: RunBest, trials: { auc: number }[], startingCount: number): void {
  const top = Math.max(...trials.map((t) => t.auc));
  const sel = run.selection;
  if (!sel) {
    assert.equal(run.best.auc, top, 'without a selection the result is the best trial');
    return;
  }
  const startTop = Math.max(...trials.slice(0, startingCount).map((t) => t.auc));
  assert.ok(
    Math.abs(sel.base.auc - startTop) < 1e-9,
    `the base is the best starting point: ${sel.base.auc} vs ${startTop}`,
  );
  assert.ok(sel.base.number < startingCount);
  assert.ok(Math.abs(sel.candidates[0].auc - top) < 1e-9, 'the best trial is the first candidate');
  assert.ok(top > startTop, 'a selection happens only when a trial beat every starting point');
  assert.equal(run.best.number, sel.picked);
  const won = sel.candidates.find((c) => c.number === sel.picked);
  if (sel.picked !== sel.base.number)
    assert.ok(won && won.z >= SELECTION_Z, `trial ${sel.picked} won with z ${won?.z}`);
  else assert.ok(sel.candidates.every((c) => c.z < SELECTION_Z));
  assert.ok(Math.abs(run.best.auc - trials[sel.picked].auc) < 1e-9);
}
