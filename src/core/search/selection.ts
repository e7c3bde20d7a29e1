/**
 * Which trial a search gives as its result. On the search's own images the best trial wins by construction; where
 * the good trials lie within a few images of each other there, that win is noise and does not carry over to other
 * images (on the demo ViT's heads the pick lost 13 image-rate flips held out to the presets it had beaten by a few).
 * So a trial replaces the best starting point (the presets and fixed points every search begins with, known to be
 * good) only when it is better beyond the noise: a one-sided paired test over the samples, each sample's share of
 * the AUC (the trapezoid over the rates of whether the masked model got it right) compared between the two curves.
 * The best starting point is the default, in the manner of the one-standard-error rule of model selection.
 */
import { trapezoidAuc } from '../prune/ranking';

/** One-sided 95 %: the paired gain must exceed this many standard errors. */
export const SELECTION_Z = 1.645;
/** The best trials (on the search images) tested against the best starting point. */
export const SELECTION_CANDIDATES = 5;

/** A trial's curve with, per rate, which samples it got right. */
export interface SelectionCurve {
  number: number;
  auc: number;
  correct: Uint8Array[];
}

export interface PairedGain {
  /** Mean over the samples of (this trial's AUC share − the base's): the AUC difference. */
  gain: number;
  /** Standard error of that mean (sample standard deviation / √n). */
  se: number;
  /** gain / se; ±Infinity when every sample differs by the same amount, 0 when none differs. */
  z: number;
}

export interface Selection {
  rule: string;
  /** The trial the search gives as its result. */
  picked: number;
  /** The best starting point, the default. */
  base: { number: number; auc: number };
  /** The best other trials, best first, each against the base. */
  candidates: ({ number: number; auc: number } & PairedGain)[];
}

/** Per sample, its share of the AUC: the trapezoid over the rates of its 0/1 correctness (their mean is the AUC). */
export function perSampleAuc(rates: number[], correct: Uint8Array[]): Float64Array {
  if (correct.length !== rates.length)
    throw new Error(`perSampleAuc: ${correct.length} points for ${rates.length} rates`);
  const n = correct[0]?.length ?? 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++)
    out[i] = trapezoidAuc(
      rates,
      correct.map((c) => c[i]),
    );
  return out;
}

/** How much curve `a` beats curve `b` on the same samples, and how surely. */
export function pairedGain(rates: number[], a: Uint8Array[], b: Uint8Array[]): PairedGain {
  const da = perSampleAuc(rates, a);
  const db = perSampleAuc(rates, b);
  if (da.length !== db.length) throw new Error(`pairedGain: ${da.length} vs ${db.length} samples`);
  const n = da.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += (da[i] - db[i]) / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (da[i] - db[i] - mean) ** 2;
  const se = n > 1 ? Math.sqrt(ss / (n - 1) / n) : 0;
  const z = se > 0 ? mean / se : mean > 0 ? Infinity : mean < 0 ? -Infinity : 0;
  return { gain: mean, se, z };
}

/**
 * The pick: the best of `others` (by AUC) whose paired gain over `base` reaches `z` standard errors, else the base.
 * `others` are the search's best trials that are not starting points.
 */
export function selectTrial(
  rates: number[],
  base: SelectionCurve,
  others: SelectionCurve[],
  z = SELECTION_Z,
): Selection {
  const candidates = [...others]
    .sort((a, b) => b.auc - a.auc)
    .map((c) => ({ number: c.number, auc: c.auc, ...pairedGain(rates, c.correct, base.correct) }));
  const winner = candidates.find((c) => c.gain > 0 && c.z >= z);
  return {
    rule: `a trial replaces the best starting point only when its paired AUC gain over the samples is at least ${z} standard errors`,
    picked: winner ? winner.number : base.number,
    base: { number: base.number, auc: base.auc },
    candidates,
  };
}

/** The pick in one sentence, trials numbered from 1 as the CLI and the panels show them. */
export function describeSelection(s: Selection): string {
  const top = s.candidates[0];
  const gain = (c: { gain: number; se: number }) =>
    `${c.gain >= 0 ? '+' : ''}${c.gain.toFixed(4)} ± ${c.se.toFixed(4)}`;
  const z = (c: { z: number }) => (Number.isFinite(c.z) ? c.z.toFixed(2) : String(c.z));
  if (s.picked === s.base.number)
    return top
      ? `kept trial ${s.base.number + 1}, the best starting point (AUC ${s.base.auc.toFixed(4)}): the best trial, ${top.number + 1} (${top.auc.toFixed(4)}), is ${gain(top)} above it on the search images, z ${z(top)} < ${SELECTION_Z}, within the noise`
      : `kept trial ${s.base.number + 1}, the best starting point`;
  const won = s.candidates.find((c) => c.number === s.picked)!;
  return `trial ${won.number + 1} beats the best starting point, trial ${s.base.number + 1} (${s.base.auc.toFixed(4)}), by ${gain(won)} on the search images (z ${z(won)} ≥ ${SELECTION_Z})`;
}
