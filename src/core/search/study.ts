/** Runs a sampler against an (async) objective for a fixed budget, sequentially. */
import type { Params, Sampler, Trial } from './space';

export async function optimize(
  sampler: Sampler,
  objective: (params: Params, trial: number) => number | Promise<number>,
  nTrials: number,
  history: Trial[] = [],
): Promise<Trial[]> {
  const trials = [...history];
  for (let i = 0; i < nTrials; i++) {
    const number = trials.length;
    const trial: Trial = { number, params: sampler.suggest(trials) };
    trials.push(trial);
    const value = await objective(trial.params, number);
    if (Number.isFinite(value)) trial.value = value;
  }
  return trials;
}

/** The finished trial with the highest value, or undefined. */
export function bestTrial(trials: Trial[]): Trial | undefined {
  let best: Trial | undefined;
  for (const t of trials) if (t.value !== undefined && (best === undefined || t.value > best.value!)) best = t;
  return best;
}

/**
 * What the sampler sees when it suggests trial `number` while `workers` trials run together: the trials of its own
 * batch (numbers from ⌊number/workers⌋·workers on) have no value yet. The batches are fixed by the trial numbers, so a
 * resumed search suggests exactly what the uninterrupted one would have.
 */
export function historyFor(history: Trial[], number: number, workers: number): Trial[] {
  const batchStart = number - (number % workers);
  return history.slice(0, number).map((t) => (t.number < batchStart ? t : { number: t.number, params: t.params }));
}
