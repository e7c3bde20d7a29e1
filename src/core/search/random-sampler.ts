/**
 * Seeded uniform sampling of the search space: categoricals uniformly, floats uniformly (log-uniformly when `log`),
 * integers uniformly over the inclusive range; conditional parameters only where their condition holds.
 */
import { mulberry32 } from '../random';
import { isActive, mixSeed, validateSpace } from './space';
import type { Param, ParamValue, Params, Sampler, SearchSpace, Trial } from './space';

/** One value of `p` drawn from its prior (uniform / log-uniform). */
function samplePrior(p: Param, rng: () => number): ParamValue {
  if (p.kind === 'categorical') return p.choices[Math.min(p.choices.length - 1, Math.floor(rng() * p.choices.length))];
  if (p.kind === 'int') return Math.min(p.high, p.low + Math.floor(rng() * (p.high - p.low + 1)));
  if (p.log) {
    const lo = Math.log(p.low);
    const hi = Math.log(p.high);
    return Math.min(p.high, Math.max(p.low, Math.exp(lo + rng() * (hi - lo))));
  }
  return p.low + rng() * (p.high - p.low);
}

/** A full assignment drawn from the prior, walking the space in declaration order. */
export function sampleSpace(space: SearchSpace, rng: () => number): Params {
  const out: Params = {};
  for (const p of space) if (isActive(p, out)) out[p.name] = samplePrior(p, rng);
  return out;
}

export interface RandomSamplerOptions {
  seed?: number;
}

/** A sampler whose draws for trial n depend only on its seed and n, so a resumed search suggests the same points. */
export abstract class SeededSampler implements Sampler {
  protected readonly seed: number;

  constructor(
    protected readonly space: SearchSpace,
    seed: number | undefined,
  ) {
    validateSpace(space);
    this.seed = seed ?? 0;
  }

  /** The random stream of the trial being suggested (the one after `history`). */
  protected rngFor(history: Trial[]): () => number {
    return mulberry32(mixSeed(this.seed, history.length));
  }

  abstract suggest(history: Trial[]): Params;
}

export class RandomSampler extends SeededSampler {
  constructor(space: SearchSpace, options: RandomSamplerOptions = {}) {
    super(space, options.seed);
  }

  /** Depends only on the seed and `history.length` (the number of the trial being suggested). */
  suggest(history: Trial[]): Params {
    return sampleSpace(this.space, this.rngFor(history));
  }
}
