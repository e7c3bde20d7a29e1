/** Typed readers for parsed flags: a bad value is a usage error naming the flag. */
import { badInput, usageError } from '../core/errors';
import { NORMALIZATIONS, type Normalization, isNormalization } from '../core/prune/normalize';

type Flags = Record<string, string | boolean | undefined>;

export function stringFlag(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function requiredString(flags: Flags, name: string, hint: string): string {
  const v = stringFlag(flags, name);
  if (v === undefined || v === '') throw usageError(`--${name} is required`, hint);
  return v;
}

export function intFlag(flags: Flags, name: string, dflt: number, min?: number): number;
export function intFlag(flags: Flags, name: string, dflt: undefined, min?: number): number | undefined;
export function intFlag(flags: Flags, name: string, dflt: number | undefined, min = 0): number | undefined {
  const v = stringFlag(flags, name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw usageError(`--${name} must be an integer ≥ ${min}, got '${v}'`);
  return n;
}

export function numberFlag(flags: Flags, name: string, dflt: number): number {
  const v = stringFlag(flags, name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw usageError(`--${name} must be a number, got '${v}'`);
  return n;
}

/** --executor (default $PXP_EXECUTOR, then auto). */
export function executorFlag(flags: Flags): 'auto' | 'onnx' | 'tfjs' {
  const v = stringFlag(flags, 'executor') ?? process.env.PXP_EXECUTOR ?? 'auto';
  if (v !== 'auto' && v !== 'onnx' && v !== 'tfjs') throw usageError(`--executor ${v} is not an executor`, 'use auto, onnx or tfjs');
  return v;
}

/** --normalize none|mean|max: how scores are ranked (none is method.md's raw ranking). */
export function normalizeFlag(flags: Flags): Normalization {
  const v = stringFlag(flags, 'normalize') ?? 'none';
  if (!isNormalization(v)) throw badInput(`--normalize ${v} is not one of ${NORMALIZATIONS.join(', ')}`, 'none ranks raw scores as method.md does; mean or max rank each component against its own layer');
  return v;
}

/** --rates 0,0.1,…: pruning rates in [0, 1), sorted; undefined for the default grid. */
export function ratesFlag(flags: Flags): number[] | undefined {
  const text = stringFlag(flags, 'rates');
  if (text === undefined) return undefined;
  const rates = text.split(',').map((s) => Number(s.trim()));
  const bad = rates.find((r) => !Number.isFinite(r) || r < 0 || r >= 1);
  if (bad !== undefined) throw badInput(`--rates: ${bad} is not a rate in [0, 1)`, 'give rates such as 0,0.1,0.2,…,0.9');
  return rates.sort((a, b) => a - b);
}

/** --init one-hot|logit: the initial relevance (undefined when the flag is absent). */
export function initFlag(flags: Flags): 'one-hot' | 'logit' | undefined {
  const v = stringFlag(flags, 'init');
  if (v === undefined) return undefined;
  if (v !== 'one-hot' && v !== 'logit') throw usageError(`--init ${v} is not an initialisation`, 'use one-hot or logit');
  return v;
}

/**
 * A setting a composite file may declare (best-composite.json carries init, abs_sort and least_relevant_first) and a
 * flag may state too: the file's value unless the flag gives one, and a flag that contradicts the file is an error,
 * so a run never silently differs from the trial the file describes.
 */
export function compositeSetting<T>(flag: { name: string; value: T | undefined }, file: { name: string; key: string; value: T | undefined }, dflt: T): T {
  if (flag.value !== undefined && file.value !== undefined && flag.value !== file.value) {
    throw usageError(`${flag.name} contradicts ${file.name}, which sets "${file.key}": ${JSON.stringify(file.value)}`, `leave ${flag.name} out (the file's setting is used), or edit the file`);
  }
  return flag.value ?? file.value ?? dflt;
}
