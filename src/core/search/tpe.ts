/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), multivariate, with Optuna-like defaults and a constant
 * liar for trials that run side by side.
 *
 * After `startupTrials` finished trials drawn at random, the finished trials are split into the best
 * γ(n) = min(ceil(0.1·n), 25) ("good", density l) and the rest ("bad", density g). Each density is a mixture with one
 * component per trial plus a prior component; a component is a product of one kernel per parameter, so the
 * parameters of a point are modelled jointly (a group's rule with its parameter and with the other groups' rules),
 * as Optuna's `multivariate=True, group=True` does. The space is conditional: a component whose trial lacked a
 * parameter (another rule was chosen) gives that parameter the prior kernel. `candidates` joint draws from l are
 * scored by log l(x) − log g(x) and the best one is kept.
 *
 * Kernels: floats and ints are Gaussians in (log-)space truncated to the bounds, each bandwidth the larger distance to
 * its neighbours clipped to [range / min(100, 1 + n), range], the prior spanning the range; categoricals put weight 1
 * plus priorWeight / (n + 1) on the trial's choice and priorWeight / (n + 1) on the others (normalized), the prior
 * uniform. Older trials are down-weighted once there are more than 25 (Optuna's default_weights). We maximize.
 *
 * Constant liar: trials still running (in the history without a value) count as bad observations, so a batch of
 * parallel trials spreads out; a candidate whose pattern (`patternOf`) equals a running trial's is taken only when
 * every candidate has such a twin.
 *
 * Deterministic: a suggestion depends only on the seed and the history passed in.
 */
import { SeededSampler, sampleSpace } from './random-sampler';
import { isActive, isValidValue, type Param, type Params, type SearchSpace, type Trial } from './space';

export interface TpeOptions {
  seed?: number;
  /** Random trials before the model is used (default 10; finished trials of any origin count). */
  startupTrials?: number;
  /** Joint draws from l scored per suggestion (default 24). */
  candidates?: number;
  /** Weight of the prior component (default 1). */
  priorWeight?: number;
  /** Number of "good" trials among n (default min(ceil(0.1·n), 25)). */
  gamma?: (n: number) => number;
  /** What makes two points near-duplicates for the constant liar (default: all their categorical values). */
  patternOf?: (params: Params) => string;
  /** Model running trials as bad observations (default true); off, they are ignored. */
  constantLiar?: boolean;
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

export class TpeSampler extends SeededSampler {
  private readonly startupTrials: number;
  private readonly candidates: number;
  private readonly priorWeight: number;
  private readonly gamma: (n: number) => number;
  private readonly patternOf: (params: Params) => string;
  private readonly constantLiar: boolean;

  constructor(space: SearchSpace, options: TpeOptions = {}) {
    super(space, options.seed);
    this.startupTrials = options.startupTrials ?? 10;
    this.candidates = options.candidates ?? 24;
    this.priorWeight = options.priorWeight ?? 1;
    this.gamma = options.gamma ?? defaultGamma;
    const categoricals = space.filter((p) => p.kind === 'categorical').map((p) => p.name);
    this.patternOf = options.patternOf ?? ((p) => JSON.stringify(categoricals.map((n) => p[n] ?? null)));
    this.constantLiar = options.constantLiar ?? true;
    if (!(this.candidates >= 1) || !(this.priorWeight > 0) || !(this.startupTrials >= 0))
      throw new RangeError('TPE needs candidates ≥ 1, priorWeight > 0 and startupTrials ≥ 0');
  }

  suggest(history: Trial[]): Params {
    const rng = this.rngFor(history);
    const finished = history.filter((t) => typeof t.value === 'number' && Number.isFinite(t.value));
    if (finished.length < this.startupTrials) return sampleSpace(this.space, rng);
    const running = this.constantLiar ? history.filter((t) => t.value === undefined) : [];
    const sorted = [...finished].sort((a, b) => b.value! - a.value! || a.number - b.number);
    const nGood = Math.max(0, Math.min(sorted.length, Math.floor(this.gamma(sorted.length))));
    const byNumber = (a: Trial, b: Trial) => a.number - b.number;
    const good = sorted.slice(0, nGood).sort(byNumber);
    const bad = [...sorted.slice(nGood), ...running].sort(byNumber);
    const l = new JointParzen(
      this.space,
      good.map((t) => t.params),
      this.priorWeight,
    );
    const g = new JointParzen(
      this.space,
      bad.map((t) => t.params),
      this.priorWeight,
    );
    const taken = new Set(running.map((t) => this.patternOf(t.params)));
    let best: { x: Params; score: number; twin: boolean } | undefined;
    for (let c = 0; c < this.candidates; c++) {
      const x = l.sample(rng);
      const candidate = { x, score: l.logPdf(x) - g.logPdf(x), twin: taken.has(this.patternOf(x)) };
      if (!best || (best.twin && !candidate.twin) || (best.twin === candidate.twin && candidate.score > best.score))
        best = candidate;
    }
    return best!.x;
  }
}

/** One parameter's kernel in every component of a mixture (the last component is the prior). */
type Dimension =
  | { param: Extract<Param, { kind: 'categorical' }>; probs: number[][] }
  | { param: Extract<Param, { kind: 'float' | 'int' }>; lo: number; hi: number; mus: number[]; sigmas: number[] };

/** Internal coordinates of a number: log for log-scaled floats; ints span ±0.5 around their bounds. */
function internalRange(p: Extract<Param, { kind: 'float' | 'int' }>): {
  lo: number;
  hi: number;
  toInternal: (x: number) => number;
} {
  if (p.kind === 'int') return { lo: p.low - 0.5, hi: p.high + 0.5, toInternal: (x) => x };
  if (p.log) return { lo: Math.log(p.low), hi: Math.log(p.high), toInternal: Math.log };
  return { lo: p.low, hi: p.high, toInternal: (x) => x };
}

/** Bandwidth per observation: the larger distance to its neighbours (bounds included), clipped (see the file comment). */
function bandwidths(mus: number[], lo: number, hi: number): number[] {
  const range = hi - lo;
  const n = mus.length;
  if (n === 0) return [];
  const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b] || a - b);
  const pts = [lo, ...order.map((i) => mus[i]), hi];
  const sorted = order.map((_, j) => Math.max(pts[j + 1] - pts[j], pts[j + 2] - pts[j + 1]));
  // Optuna's consider_endpoints=False: the outermost kernels take their inner neighbour distance only.
  if (n >= 2) {
    sorted[0] = pts[2] - pts[1];
    sorted[n - 1] = pts[n] - pts[n - 1];
  }
  const minSigma = range / Math.min(100, 1 + n + 1);
  const out = new Array<number>(n);
  order.forEach((idx, j) => (out[idx] = Math.min(range, Math.max(minSigma, sorted[j]))));
  return out;
}

/** A mixture over whole assignments of a conditional space: one component per observation, plus the prior. */
export class JointParzen {
  private readonly dims: Dimension[];
  private readonly weights: number[];

  constructor(space: SearchSpace, observations: Params[], priorWeight: number) {
    const n = observations.length;
    const w = [...defaultWeights(n), priorWeight];
    const total = w.reduce((a, b) => a + b, 0);
    this.weights = w.map((x) => x / total);
    this.dims = space.map((p): Dimension => {
      const has = observations.map((o) => isValidValue(p, o[p.name]));
      if (p.kind === 'categorical') {
        const k = p.choices.length;
        const extra = priorWeight / (has.filter(Boolean).length + 1);
        const uniform = new Array<number>(k).fill(1 / k);
        const probs = observations.map((o, i) => {
          if (!has[i]) return uniform;
          const row = new Array<number>(k).fill(extra);
          row[p.choices.indexOf(o[p.name] as string)] += 1;
          return row.map((v) => v / (1 + k * extra));
        });
        return { param: p, probs: [...probs, uniform] };
      }
      const { lo, hi, toInternal } = internalRange(p);
      const present = observations.map((o, i) => (has[i] ? toInternal(o[p.name] as number) : NaN));
      const observed = present.filter((x) => !Number.isNaN(x));
      const sig = bandwidths(observed, lo, hi);
      let next = 0;
      const mid = (lo + hi) / 2;
      const mus = present.map((x) => (Number.isNaN(x) ? mid : x));
      const sigmas = present.map((x) => (Number.isNaN(x) ? hi - lo : sig[next++]));
      return { param: p, lo, hi, mus: [...mus, mid], sigmas: [...sigmas, hi - lo] };
    });
  }

  sample(rng: () => number): Params {
    const k = drawIndex(this.weights, rng);
    const out: Params = {};
    this.dims.forEach((d) => {
      if (!isActive(d.param, out)) return;
      if ('probs' in d) {
        out[d.param.name] = d.param.choices[drawIndex(d.probs[k], rng)];
        return;
      }
      const x = sampleTruncatedNormal(rng, d.mus[k], d.sigmas[k], d.lo, d.hi);
      const p = d.param;
      out[p.name] =
        p.kind === 'int'
          ? Math.min(p.high, Math.max(p.low, Math.round(x)))
          : Math.min(p.high, Math.max(p.low, p.log ? Math.exp(x) : x));
    });
    return out;
  }

  logPdf(x: Params): number {
    const terms = this.weights.map((w) => Math.log(w));
    this.dims.forEach((d) => {
      const v = x[d.param.name];
      if (!isActive(d.param, x) || !isValidValue(d.param, v)) return;
      if ('probs' in d) {
        const i = d.param.choices.indexOf(v as string);
        terms.forEach((_, k) => (terms[k] += Math.log(d.probs[k][i])));
        return;
      }
      const z = internalRange(d.param).toInternal(v as number);
      terms.forEach((_, k) => (terms[k] += logTruncatedNormal(z, d.mus[k], d.sigmas[k], d.lo, d.hi)));
    });
    return logSumExp(terms);
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

function logSumExp(terms: number[]): number {
  const max = Math.max(...terms);
  if (max === -Infinity) return -Infinity;
  return max + Math.log(terms.reduce((s, t) => s + Math.exp(t - max), 0));
}

/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), ample for the normalizing masses here. */
function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

const normCdf = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

function logTruncatedNormal(x: number, mu: number, sigma: number, lo: number, hi: number): number {
  const mass = normCdf((hi - mu) / sigma) - normCdf((lo - mu) / sigma);
  const z = (x - mu) / sigma;
  return -0.5 * z * z - Math.log(Math.max(mass, 1e-12)) - Math.log(sigma) - LOG_SQRT_2PI;
}

function sampleTruncatedNormal(rng: () => number, mu: number, sigma: number, lo: number, hi: number): number {
  for (let attempt = 0; attempt < 100; attempt++) {
    const u1 = 1 - rng(); // (0, 1]
    const u2 = rng();
    const x = mu + sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    if (x >= lo && x <= hi) return x;
  }
  return Math.min(hi, Math.max(lo, mu));
}

/** A one-dimensional mixture of Gaussians each truncated to [lo, hi]. */
export class TruncatedMixture {
  constructor(
    readonly mus: number[],
    readonly sigmas: number[],
    readonly weights: number[],
    readonly lo: number,
    readonly hi: number,
  ) {}

  sample(rng: () => number): number {
    const k = drawIndex(this.weights, rng);
    return sampleTruncatedNormal(rng, this.mus[k], this.sigmas[k], this.lo, this.hi);
  }

  logPdf(x: number): number {
    return logSumExp(
      this.mus.map((m, i) => Math.log(this.weights[i]) + logTruncatedNormal(x, m, this.sigmas[i], this.lo, this.hi)),
    );
  }
}
