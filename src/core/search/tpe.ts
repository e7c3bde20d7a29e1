/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), univariate, with Optuna-like defaults.
 *
 * After `startupTrials` finished trials drawn at random, each parameter is sampled independently (in declaration
 * order, so conditions see their parent's new value): the finished trials where the parameter was active are split
 * into the best γ(n) = min(ceil(0.1·n), 25) ("good", density l) and the rest ("bad", density g); `candidates` draws
 * from l are scored by log l(x) − log g(x) and the best one is kept. Floats and ints use Gaussian mixtures in
 * (log-)space truncated to the bounds, with one component per observation plus a prior component spanning the range;
 * each bandwidth is the larger distance to its neighbours, clipped to [range / min(100, 1 + n), range]. Categoricals
 * use weighted counts plus a uniform prior of total weight `priorWeight`. Older trials are down-weighted once there
 * are more than 25 (Optuna's default_weights). We maximize the objective.
 *
 * Deterministic: a suggestion depends only on the seed and the history passed in.
 */
import { mulberry32 } from '../random';
import { samplePrior, sampleSpace } from './random-sampler';
import { isActive, isValidValue, mixSeed, validateSpace, type Param, type ParamValue, type Params, type Sampler, type SearchSpace, type Trial } from './space';

export interface TpeOptions {
  seed?: number;
  /** Random trials before the model is used (default 10). */
  startupTrials?: number;
  /** Draws from l(x) scored per parameter (default 24). */
  candidates?: number;
  /** Weight of the prior component / uniform prior (default 1). */
  priorWeight?: number;
  /** Number of "good" trials among n (default min(ceil(0.1·n), 25)). */
  gamma?: (n: number) => number;
}

export const defaultGamma = (n: number): number => Math.min(Math.ceil(0.1 * n), 25);

/** Optuna's default_weights: flat for up to 25 observations, then a ramp from 1/n up to 1 for the older ones. */
export function defaultWeights(n: number): number[] {
  if (n <= 0) return [];
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25;
  const out: number[] = [];
  for (let i = 0; i < ramp; i++) out.push(ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1));
  for (let i = 0; i < 25; i++) out.push(1);
  return out;
}

interface Observation {
  number: number;
  value: number;
  x: ParamValue;
}

export class TpeSampler implements Sampler {
  private readonly seed: number;
  private readonly startupTrials: number;
  private readonly candidates: number;
  private readonly priorWeight: number;
  private readonly gamma: (n: number) => number;

  constructor(
    private readonly space: SearchSpace,
    options: TpeOptions = {},
  ) {
    validateSpace(space);
    this.seed = options.seed ?? 0;
    this.startupTrials = options.startupTrials ?? 10;
    this.candidates = options.candidates ?? 24;
    this.priorWeight = options.priorWeight ?? 1;
    this.gamma = options.gamma ?? defaultGamma;
    if (!(this.candidates >= 1) || !(this.priorWeight > 0) || !(this.startupTrials >= 0))
      throw new RangeError('TPE needs candidates ≥ 1, priorWeight > 0 and startupTrials ≥ 0');
  }

  suggest(history: Trial[]): Params {
    const rng = mulberry32(mixSeed(this.seed, history.length));
    const finished = history.filter((t) => typeof t.value === 'number' && Number.isFinite(t.value));
    if (finished.length < this.startupTrials) return sampleSpace(this.space, rng);
    const out: Params = {};
    for (const p of this.space) {
      if (!isActive(p, out)) continue;
      const obs: Observation[] = [];
      for (const t of finished) {
        const x = t.params[p.name];
        if (isValidValue(p, x)) obs.push({ number: t.number, value: t.value!, x: x! });
      }
      out[p.name] = obs.length === 0 ? samplePrior(p, rng) : this.sampleParam(p, obs, rng);
    }
    return out;
  }

  private sampleParam(p: Param, obs: Observation[], rng: () => number): ParamValue {
    const sorted = [...obs].sort((a, b) => b.value - a.value || a.number - b.number);
    const nGood = Math.max(0, Math.min(sorted.length, Math.floor(this.gamma(sorted.length))));
    const byNumber = (a: Observation, b: Observation) => a.number - b.number;
    const good = sorted.slice(0, nGood).sort(byNumber);
    const bad = sorted.slice(nGood).sort(byNumber);
    const wGood = defaultWeights(good.length);
    const wBad = defaultWeights(bad.length);
    if (p.kind === 'categorical') {
      const l = this.categorical(p, good, wGood);
      const g = this.categorical(p, bad, wBad);
      let best = -1;
      let bestScore = -Infinity;
      for (let c = 0; c < this.candidates; c++) {
        const i = drawIndex(l, rng);
        const score = Math.log(l[i]) - Math.log(g[i]);
        if (score > bestScore) {
          bestScore = score;
          best = i;
        }
      }
      return p.choices[best];
    }
    const toInternal = (x: number) => (p.kind === 'float' && p.log ? Math.log(x) : x);
    const lo = p.kind === 'int' ? p.low - 0.5 : toInternal(p.low);
    const hi = p.kind === 'int' ? p.high + 0.5 : toInternal(p.high);
    const l = this.mixture(good.map((o) => toInternal(o.x as number)), wGood, lo, hi);
    const g = this.mixture(bad.map((o) => toInternal(o.x as number)), wBad, lo, hi);
    let best = NaN;
    let bestScore = -Infinity;
    for (let c = 0; c < this.candidates; c++) {
      let x = l.sample(rng);
      if (p.kind === 'int') x = Math.min(p.high, Math.max(p.low, Math.round(x)));
      const score = l.logPdf(x) - g.logPdf(x);
      if (score > bestScore || Number.isNaN(best)) {
        bestScore = score;
        best = x;
      }
    }
    if (p.kind === 'int') return best;
    const v = p.log ? Math.exp(best) : best;
    return Math.min(p.high, Math.max(p.low, v));
  }

  /** Probabilities per choice: weighted counts plus a uniform prior of total weight priorWeight. */
  private categorical(p: Extract<Param, { kind: 'categorical' }>, obs: Observation[], w: number[]): number[] {
    const k = p.choices.length;
    const mass = new Array<number>(k).fill(this.priorWeight / k);
    obs.forEach((o, i) => (mass[p.choices.indexOf(o.x as string)] += w[i]));
    const total = mass.reduce((a, b) => a + b, 0);
    return mass.map((m) => m / total);
  }

  private mixture(mus: number[], w: number[], lo: number, hi: number): TruncatedMixture {
    const range = hi - lo;
    const all = [...mus, (lo + hi) / 2];
    const weights = [...w, this.priorWeight];
    const n = all.length;
    const sigmas = new Array<number>(n).fill(range);
    if (n > 1) {
      const order = all.map((_, i) => i).sort((a, b) => all[a] - all[b] || a - b);
      const pts = [lo, ...order.map((i) => all[i]), hi];
      const sorted = order.map((_, j) => Math.max(pts[j + 1] - pts[j], pts[j + 2] - pts[j + 1]));
      // Optuna's consider_endpoints=False: the outermost kernels take their inner neighbour distance only.
      if (n >= 3) {
        sorted[0] = pts[2] - pts[1];
        sorted[n - 1] = pts[n] - pts[n - 1];
      }
      const minSigma = range / Math.min(100, 1 + mus.length);
      order.forEach((idx, j) => (sigmas[idx] = Math.min(range, Math.max(minSigma, sorted[j]))));
    }
    sigmas[n - 1] = range; // the prior component
    const total = weights.reduce((a, b) => a + b, 0);
    return new TruncatedMixture(all, sigmas, weights.map((x) => x / total), lo, hi);
  }
}

function drawIndex(probs: number[], rng: () => number): number {
  let u = rng();
  for (let i = 0; i < probs.length; i++) {
    u -= probs[i];
    if (u < 0) return i;
  }
  return probs.length - 1;
}

/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), ample for the normalizing masses here. */
function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

const normCdf = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** A mixture of Gaussians each truncated to [lo, hi]. */
export class TruncatedMixture {
  private readonly logNorm: number[];

  constructor(
    readonly mus: number[],
    readonly sigmas: number[],
    readonly weights: number[],
    readonly lo: number,
    readonly hi: number,
  ) {
    this.logNorm = mus.map((m, i) => {
      const mass = normCdf((hi - m) / sigmas[i]) - normCdf((lo - m) / sigmas[i]);
      return Math.log(Math.max(mass, 1e-12)) + Math.log(sigmas[i]) + LOG_SQRT_2PI;
    });
  }

  sample(rng: () => number): number {
    const k = drawIndex(this.weights, rng);
    const mu = this.mus[k];
    const sigma = this.sigmas[k];
    for (let attempt = 0; attempt < 100; attempt++) {
      const u1 = 1 - rng(); // (0, 1]
      const u2 = rng();
      const x = mu + sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      if (x >= this.lo && x <= this.hi) return x;
    }
    return Math.min(this.hi, Math.max(this.lo, mu));
  }

  logPdf(x: number): number {
    let max = -Infinity;
    const terms = this.mus.map((m, i) => {
      const z = (x - m) / this.sigmas[i];
      const t = Math.log(this.weights[i]) - 0.5 * z * z - this.logNorm[i];
      if (t > max) max = t;
      return t;
    });
    if (max === -Infinity) return -Infinity;
    return max + Math.log(terms.reduce((s, t) => s + Math.exp(t - max), 0));
  }
}
