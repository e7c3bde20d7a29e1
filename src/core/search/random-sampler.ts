/**
 * Seeded uniform sampling of the search space: categoricals uniformly, floats uniformly (log-uniformly when `log`),
 * integers uniformly over the inclusive range; conditional parameters only where their condition holds.
 */
import { mulberry32 } from '../random';
import {
  isActive,
  mixSeed,
  validateSpace,
  type Param,
  type ParamValue,
  type Params,
  type Sampler,
  type SearchSpace,
  type Trial,
} from './space';

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

export class RandomSampler implements Sampler {
  private readonly seed: number;

  constructor(
    private readonly space: SearchSpace,
    options: RandomSamplerOptions = {},
  ) {
    validateSpace(space);
    this.seed = options.seed ?? 0;
  }

  /** Depends only on the seed and `history.length` (the number of the trial being suggested). */
  suggest(history: Trial[]): Params {
    return sampleSpace(this.space, mulberry32(mixSeed(this.seed, history.length)));
  }
}
