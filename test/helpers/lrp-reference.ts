/**
 * An independent reference for the LRP rules of method.md §2, for tests: plain loops over Float64 arrays, one sample
 * at a time, no tfjs and nothing from src/. A linear layer (dense, conv2d, depthwise) is unrolled into its explicit
 * list of connections (input index j, output index k, weight w_jk), so each rule is written once, straight from its
 * formula, and conv padding is simply the absence of connections to padded positions (a padded one is a zero).
 * Layouts are channels-last and row-major, as tfjs stores them: a sample [h, w, c] has index (y·w + x)·c + ch.
 */

export type RefRule =
  | { rule: 'epsilon'; epsilon: number }
  | { rule: 'z-plus' }
  | { rule: 'alpha-beta'; alpha: number; beta: number }
  | { rule: 'gamma'; gamma: number }
  | { rule: 'flat' }
  | { rule: 'w-square' }
  | { rule: 'z-box'; low: number; high: number };

export interface LinearMap {
  nIn: number;
  nOut: number;
  /** Connection c links input from[c] to output to[c] with weight weight[c]. */
  from: Int32Array;
  to: Int32Array;
  weight: Float64Array;
  /** Bias of every output index (broadcast over positions), or null. */
  bias: Float64Array | null;
  /** Output shape of one sample, channels last. */
  outShape: number[];
  /** Output channels: output index k belongs to channel k % channels. */
  channels: number;
}

export const DEFAULT_EPS = 1e-6;

/** s(d) = d + ε·sign(d) with sign(0) = +1 (method.md §2); -0 counts as 0. */
export function stab(d: number, eps = DEFAULT_EPS): number {
  return d >= 0 ? d + eps : d - eps;
}

const pos = (v: number): number => (v > 0 ? v : 0);
const neg = (v: number): number => (v < 0 ? v : 0);

function fromConnections(
  nIn: number,
  outShape: number[],
  channels: number,
  conns: number[][],
  bias: Float64Array | null,
): LinearMap {
  const nOut = outShape.reduce((a, b) => a * b, 1);
  return {
    nIn,
    nOut,
    from: Int32Array.from(conns, (c) => c[0]),
    to: Int32Array.from(conns, (c) => c[1]),
    weight: Float64Array.from(conns, (c) => c[2]),
    bias,
    outShape,
    channels,
  };
}

/** Dense: kernel [nIn, nOut] row-major (kernel[j·nOut + k] = w_jk), bias [nOut]. */
export function denseMap(kernel: ArrayLike<number>, nIn: number, nOut: number, bias?: ArrayLike<number>): LinearMap {
  const conns: number[][] = [];
  for (let j = 0; j < nIn; j++) for (let k = 0; k < nOut; k++) conns.push([j, k, kernel[j * nOut + k]]);
  return fromConnections(nIn, [nOut], nOut, conns, bias ? Float64Array.from(bias) : null);
}

export interface ConvGeometry {
  /** One sample's input [h, w, cin]. */
  inShape: [number, number, number];
  /** [kh, kw] */
  kernelSize: [number, number];
  strides: [number, number];
  padding: 'same' | 'valid';
  dilations?: [number, number];
}

/** Output size and leading pad of one spatial axis, TensorFlow's convention ('same' puts the odd pad at the end). */
function axis(
  size: number,
  k: number,
  s: number,
  d: number,
  padding: 'same' | 'valid',
): { out: number; before: number } {
  const span = (k - 1) * d + 1;
  if (padding === 'valid') return { out: Math.floor((size - span) / s) + 1, before: 0 };
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + span - size, 0);
  return { out, before: Math.floor(total / 2) };
}

/**
 * Unrolls a conv: for every output position and every kernel tap that lands inside the input, one connection.
 * `channelPairs` lists, per output channel, the (input channel, weight index of tap (ky, kx)) pairs feeding it.
 */
function convMap(
  g: ConvGeometry,
  outChannels: number,
  tapsOf: (co: number, ky: number, kx: number) => [number, number][],
  bias?: ArrayLike<number>,
): LinearMap {
  const [h, w, cin] = g.inShape;
  const [kh, kw] = g.kernelSize;
  const [dh, dw] = g.dilations ?? [1, 1];
  const ay = axis(h, kh, g.strides[0], dh, g.padding);
  const ax = axis(w, kw, g.strides[1], dw, g.padding);
  const conns: number[][] = [];
  for (let oy = 0; oy < ay.out; oy++) {
    for (let ox = 0; ox < ax.out; ox++) {
      for (let co = 0; co < outChannels; co++) {
        const k = (oy * ax.out + ox) * outChannels + co;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * g.strides[0] + ky * dh - ay.before;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * g.strides[1] + kx * dw - ax.before;
            if (ix < 0 || ix >= w) continue;
            for (const [ci, wv] of tapsOf(co, ky, kx)) conns.push([(iy * w + ix) * cin + ci, k, wv]);
          }
        }
      }
    }
  }
  const biasOut = bias
    ? Float64Array.from({ length: ay.out * ax.out * outChannels }, (_, k) => bias[k % outChannels])
    : null;
  return fromConnections(h * w * cin, [ay.out, ax.out, outChannels], outChannels, conns, biasOut);
}

/** Conv2d: kernel [kh, kw, cin, cout] row-major, bias [cout]. */
export function conv2dMap(
  g: ConvGeometry,
  kernel: ArrayLike<number>,
  cout: number,
  bias?: ArrayLike<number>,
): LinearMap {
  const cin = g.inShape[2];
  const kw = g.kernelSize[1];
  return convMap(
    g,
    cout,
    (co, ky, kx) =>
      Array.from({ length: cin }, (_, ci) => [ci, kernel[((ky * kw + kx) * cin + ci) * cout + co]] as [number, number]),
    bias,
  );
}

/** Depthwise conv: kernel [kh, kw, cin, mult] row-major; output channel ci·mult + m reads input channel ci only. */
export function depthwiseMap(
  g: ConvGeometry,
  kernel: ArrayLike<number>,
  mult: number,
  bias?: ArrayLike<number>,
): LinearMap {
  const cin = g.inShape[2];
  const kw = g.kernelSize[1];
  return convMap(
    g,
    cin * mult,
    (co, ky, kx) => {
      const ci = Math.floor(co / mult);
      const m = co % mult;
      return [[ci, kernel[((ky * kw + kx) * cin + ci) * mult + m]]];
    },
    bias,
  );
}

/** out_k = bias(b_k) + Σ_connections f(j, w_jk): a (modified) forward pass. */
function accumulate(
  map: LinearMap,
  f: (j: number, w: number) => number,
  bias: ((b: number) => number) | null,
): Float64Array {
  const out = new Float64Array(map.nOut);
  if (bias && map.bias) for (let k = 0; k < map.nOut; k++) out[k] = bias(map.bias[k]);
  for (let c = 0; c < map.from.length; c++) out[map.to[c]] += f(map.from[c], map.weight[c]);
  return out;
}

/** R_j = Σ_k share(j, w_jk, k) over the connections. */
function distribute(map: LinearMap, share: (j: number, w: number, k: number) => number): Float64Array {
  const rin = new Float64Array(map.nIn);
  for (let c = 0; c < map.from.length; c++) rin[map.from[c]] += share(map.from[c], map.weight[c], map.to[c]);
  return rin;
}

/** z = x·w + b for one sample. */
export function forward(map: LinearMap, x: ArrayLike<number>): Float64Array {
  return accumulate(
    map,
    (j, w) => x[j] * w,
    (b) => b,
  );
}

/** The lower relevance of one sample under `rule`, from its input x and upper relevance r (method.md §2). */
export function ruleRelevance(rule: RefRule, map: LinearMap, x: ArrayLike<number>, r: ArrayLike<number>): Float64Array {
  switch (rule.rule) {
    case 'epsilon': {
      const z = forward(map, x);
      return distribute(map, (j, w, k) => (x[j] * w * r[k]) / stab(z[k], rule.epsilon));
    }
    case 'z-plus': {
      const part = (j: number, w: number) => pos(x[j]) * pos(w) + neg(x[j]) * neg(w);
      const out = accumulate(map, part, pos);
      return distribute(map, (j, w, k) => (part(j, w) * r[k]) / stab(out[k]));
    }
    case 'alpha-beta': {
      const pPart = (j: number, w: number) => pos(x[j]) * pos(w) + neg(x[j]) * neg(w);
      const nPart = (j: number, w: number) => pos(x[j]) * neg(w) + neg(x[j]) * pos(w);
      const p = accumulate(map, pPart, pos);
      const n = accumulate(map, nPart, neg);
      return distribute(
        map,
        (j, w, k) => (rule.alpha * pPart(j, w) * r[k]) / stab(p[k]) - (rule.beta * nPart(j, w) * r[k]) / stab(n[k]),
      );
    }
    case 'gamma': {
      const g = rule.gamma;
      const z = forward(map, x);
      const upPart = (j: number, w: number) => pos(x[j]) * (w + g * pos(w)) + neg(x[j]) * (w + g * neg(w));
      const downPart = (j: number, w: number) => pos(x[j]) * (w + g * neg(w)) + neg(x[j]) * (w + g * pos(w));
      const u = accumulate(map, upPart, (b) => b + g * pos(b));
      const v = accumulate(map, downPart, (b) => b + g * neg(b));
      return distribute(map, (j, w, k) => {
        if (z[k] > 0) return (upPart(j, w) * r[k]) / stab(u[k]);
        if (z[k] < 0) return (downPart(j, w) * r[k]) / stab(v[k]);
        return 0;
      });
    }
    case 'flat': {
      const count = accumulate(map, () => 1, null);
      return distribute(map, (_j, _w, k) => r[k] / stab(count[k]));
    }
    case 'w-square': {
      const den = accumulate(
        map,
        (_j, w) => w * w,
        (b) => b * b,
      );
      return distribute(map, (_j, w, k) => (w * w * r[k]) / stab(den[k]));
    }
    case 'z-box': {
      const { low, high } = rule;
      const part = (j: number, w: number) => x[j] * w - low * pos(w) - high * neg(w);
      const d = accumulate(map, part, (b) => b - pos(b) - neg(b));
      return distribute(map, (j, w, k) => (part(j, w) * r[k]) / stab(d[k]));
    }
  }
}

/** ruleRelevance over a batch: x [n, nIn] and r [n, nOut], flattened row-major. */
export function ruleRelevanceBatch(
  rule: RefRule,
  map: LinearMap,
  x: ArrayLike<number>,
  r: ArrayLike<number>,
  n: number,
): Float64Array {
  const out = new Float64Array(n * map.nIn);
  for (let s = 0; s < n; s++) {
    const xs = Array.prototype.slice.call(x, s * map.nIn, (s + 1) * map.nIn) as number[];
    const rs = Array.prototype.slice.call(r, s * map.nOut, (s + 1) * map.nOut) as number[];
    out.set(ruleRelevance(rule, map, xs, rs), s * map.nIn);
  }
  return out;
}

/** forward over a batch. */
export function forwardBatch(map: LinearMap, x: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * map.nOut);
  for (let s = 0; s < n; s++)
    out.set(forward(map, Array.prototype.slice.call(x, s * map.nIn, (s + 1) * map.nIn) as number[]), s * map.nOut);
  return out;
}

/** One linear layer of a reference network, its LRP rule, and whether a ReLU follows it. */
export interface RefLayer {
  map: LinearMap;
  rule: RefRule;
  relu: boolean;
}

export interface RefExplanation {
  /** [n, nIn] input relevance. */
  input: Float64Array;
  /** Per layer but the last: [sample][channel] relevance at its output, summed over positions. */
  components: Float64Array[][];
  /** [n, classes] outputs of the last layer. */
  logits: Float64Array;
  /** Initial relevance per sample: 1, or the target logit for init 'logit'. */
  outputRelevance: Float64Array;
}

/**
 * LRP of a chain of linear layers (flatten between them is the identity on the row-major index), by hand: one-hot R
 * at the target logit (scaled by the logit for 'logit'), each layer's rule in turn, ReLUs pass relevance unchanged.
 */
export function explainChain(
  layers: RefLayer[],
  x: ArrayLike<number>,
  n: number,
  targets: ArrayLike<number>,
  init: 'one-hot' | 'logit' = 'one-hot',
): RefExplanation {
  for (let l = 1; l < layers.length; l++) {
    if (layers[l].map.nIn !== layers[l - 1].map.nOut)
      throw new Error(`layer ${l} reads ${layers[l].map.nIn} values, layer ${l - 1} gives ${layers[l - 1].map.nOut}`);
  }
  const last = layers.length - 1;
  const classes = layers[last].map.nOut;
  const input = new Float64Array(n * layers[0].map.nIn);
  const components = layers.slice(0, last).map(() => [] as Float64Array[]);
  const logits = new Float64Array(n * classes);
  const outputRelevance = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    // Forward: acts[l] is the input of layer l; acts[last + 1] the logits.
    const acts: Float64Array[] = [
      Float64Array.from(Array.prototype.slice.call(x, s * layers[0].map.nIn, (s + 1) * layers[0].map.nIn) as number[]),
    ];
    layers.forEach((layer) => {
      const z = forward(layer.map, acts[acts.length - 1]);
      acts.push(layer.relu ? z.map((v) => (v > 0 ? v : 0)) : z);
    });
    const out = acts[last + 1];
    logits.set(out, s * classes);
    let r: Float64Array = new Float64Array(classes);
    const t = targets[s];
    r[t] = init === 'logit' ? out[t] : 1;
    outputRelevance[s] = r[t];
    for (let l = last; l >= 0; l--) {
      if (l < last) {
        const ch = layers[l].map.channels;
        const sums = new Float64Array(ch);
        r.forEach((v, k) => (sums[k % ch] += v));
        components[l].push(sums);
      }
      r = ruleRelevance(layers[l].rule, layers[l].map, acts[l], r);
    }
    input.set(r, s * layers[0].map.nIn);
  }
  return { input, components, logits, outputRelevance };
}
