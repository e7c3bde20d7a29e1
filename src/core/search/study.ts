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
