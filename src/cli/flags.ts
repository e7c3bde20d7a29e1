/**
 * Flags: each option declares a value check (`value` in its OptionSpec) that run-command.ts applies to every flag
 * before a command starts, and the typed readers below that commands use afterwards. The rule for exit codes is one:
 * a mistake the command line shows by itself (an empty value, a value of the wrong kind or out of the flag's range,
 * flags that contradict each other) is a usage error (exit 1); a problem with what a flag names (a missing or damaged
 * file, a class the model lacks) is bad input (exit 2).
 */
import os from 'node:os';
import { PxpError, usageError } from '../core/errors';
import { parseCriterion } from '../core/criteria/criteria';
import { PRESET_NAMES, loadComposite } from '../core/lrp/composites';
import { NORMALIZATIONS, type Normalization, isNormalization } from '../core/prune/normalize';

type Flags = Record<string, string | boolean | undefined>;

/** Checks one flag's value; throws a usage error (or bad input for a file the value names) naming the flag. */
export type ValueCheck = (value: string, flag: string) => void;

function parseInteger(v: string, flag: string, min: number, max = Infinity): number {
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw usageError(`--${flag} must be an integer ≥ ${min}${max < Infinity ? ` and ≤ ${max}` : ''}, got '${v}'`);
  return n;
}

interface NumberBounds {
  min?: number;
  /** An exclusive lower bound (a learning rate > 0). */
  above?: number;
  max?: number;
}

const describeBounds = (b: NumberBounds) =>
  [
    b.above !== undefined ? `> ${b.above}` : b.min !== undefined ? `≥ ${b.min}` : '',
    b.max !== undefined ? `≤ ${b.max}` : '',
  ]
    .filter(Boolean)
    .join(' and ');

function parseNumber(v: string, flag: string, b: NumberBounds = {}): number {
  const n = v.trim() === '' ? NaN : Number(v);
  if (
    !Number.isFinite(n) ||
    (b.min !== undefined && n < b.min) ||
    (b.above !== undefined && n <= b.above) ||
    (b.max !== undefined && n > b.max)
  ) {
    throw usageError(`--${flag} must be a number${describeBounds(b) ? ` ${describeBounds(b)}` : ''}, got '${v}'`);
  }
  return n;
}

export const intValue =
  (min = 0, max?: number): ValueCheck =>
  (v, flag) =>
    void parseInteger(v, flag, min, max);
/** --round-to: 'auto' or a whole number ≥ 1 (physical-plan.ts RoundTo). */
export function roundToFlag(flags: Flags, name = 'round-to'): number | 'auto' {
  const v = stringFlag(flags, name);
  return v === undefined || v === 'auto' ? 'auto' : parseInteger(v, name, 1);
}
export const roundToValue: ValueCheck = (v, flag) => {
  if (v !== 'auto') parseInteger(v, flag, 1);
};
export const numberValue =
  (bounds: NumberBounds = {}): ValueCheck =>
  (v, flag) =>
    void parseNumber(v, flag, bounds);
export const choiceValue =
  (choices: readonly string[]): ValueCheck =>
  (v, flag) => {
    if (!choices.includes(v)) throw usageError(`--${flag} ${v} is not one of ${choices.join(', ')}`);
  };

function parseRate(v: string, flag: string): number {
  const r = v.trim() === '' ? NaN : Number(v);
  if (!(Number.isFinite(r) && r >= 0 && r < 1))
    throw usageError(`--${flag} ${v} is not a rate in [0, 1)`, 'give the fraction of components to remove, e.g. 0.5');
  return r;
}

function parseRates(text: string): number[] {
  const rates = text.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  const bad = text.split(',').find((s, i) => !(Number.isFinite(rates[i]) && rates[i] >= 0 && rates[i] < 1));
  if (bad !== undefined)
    throw usageError(`--rates: ${bad.trim() || "''"} is not a rate in [0, 1)`, 'give rates such as 0,0.1,0.2,…,0.9');
  return rates.sort((a, b) => a - b);
}

export const rateValue: ValueCheck = (v, flag) => void parseRate(v, flag);
export const ratesValue: ValueCheck = (v) => void parseRates(v);

/** A pruning criterion: its form is the command line's business, the composite file it names the input's. */
export const criterionValue: ValueCheck = (v, flag) => {
  let c: ReturnType<typeof parseCriterion>;
  try {
    c = parseCriterion(v);
  } catch (e) {
    throw e instanceof PxpError ? usageError(`--${flag}: ${e.message}`, e.hint) : e;
  }
  if (c.kind === 'lrp') loadComposite(c.composite);
};

/** --baselines: none, or criteria (presets standing for the five LRP presets). */
export function parseBaselines(text: string): string[] {
  if (text === 'none') return [];
  const list = text
    .split(',')
    .flatMap((c) => (c.trim() === 'presets' ? PRESET_NAMES.map((p) => `lrp:${p}`) : [c.trim()]));
  list.forEach((c) => criterionValue(c, 'baselines'));
  return list;
}
export const baselinesValue: ValueCheck = (v) => void parseBaselines(v);

/** --input-range LO,HI: the range float arrays are in, mapped onto [0, 1] as uint8 data are (0,255 divides by 255). */
export function parseInputRange(text: string): [number, number] {
  const parts = text.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0] < parts[1]))
    throw usageError(
      `--input-range ${text} is not a range LO,HI with LO < HI`,
      'e.g. --input-range 0,255 for pixels saved as 0–255 floats',
    );
  return [parts[0], parts[1]];
}
export const inputRangeValue: ValueCheck = (v) => void parseInputRange(v);

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
  return v === undefined ? dflt : parseInteger(v, name, min);
}

export function numberFlag(flags: Flags, name: string, dflt: number, bounds: NumberBounds = {}): number {
  const v = stringFlag(flags, name);
  return v === undefined ? dflt : parseNumber(v, name, bounds);
}

/** A rate flag (--rate), undefined when absent. */
export function rateFlag(flags: Flags, name: string): number | undefined {
  const v = stringFlag(flags, name);
  return v === undefined ? undefined : parseRate(v, name);
}

/** --input-range, undefined when absent. */
export function inputRangeFlag(flags: Flags): [number, number] | undefined {
  const v = stringFlag(flags, 'input-range');
  return v === undefined ? undefined : parseInputRange(v);
}

/** --workers N, capped at this machine's cores (more threads only compete for them and multiply the memory). */
export function workersFlag(flags: Flags, dflt: number, log: (line: string) => void): number {
  const asked = intFlag(flags, 'workers', dflt, 1);
  const cores = Math.max(1, os.availableParallelism());
  if (asked <= cores) return asked;
  log(`--workers ${asked}: capped at ${cores}, the cores of this machine`);
  return cores;
}

export const EXECUTORS = ['auto', 'onnx', 'tfjs'] as const;

/** --executor (default $PXP_EXECUTOR, then auto). */
export function executorFlag(flags: Flags): 'auto' | 'onnx' | 'tfjs' {
  const v = stringFlag(flags, 'executor') ?? process.env.PXP_EXECUTOR ?? 'auto';
  if (v !== 'auto' && v !== 'onnx' && v !== 'tfjs')
    throw usageError(`--executor ${v} is not an executor`, 'use auto, onnx or tfjs');
  return v;
}

/** --normalize none|mean|max: how scores are ranked (none is method.md's raw ranking). */
export function normalizeFlag(flags: Flags): Normalization {
  const v = stringFlag(flags, 'normalize') ?? 'none';
  if (!isNormalization(v))
    throw usageError(
      `--normalize ${v} is not one of ${NORMALIZATIONS.join(', ')}`,
      'none ranks raw scores as method.md does; mean or max rank each component against its own layer',
    );
  return v;
}

/** --rates 0,0.1,…: pruning rates in [0, 1), sorted; undefined for the default grid. */
export function ratesFlag(flags: Flags): number[] | undefined {
  const text = stringFlag(flags, 'rates');
  return text === undefined ? undefined : parseRates(text);
}

/** --init one-hot|logit: the initial relevance (undefined when the flag is absent). */
export function initFlag(flags: Flags): 'one-hot' | 'logit' | undefined {
  const v = stringFlag(flags, 'init');
  if (v === undefined) return undefined;
  if (v !== 'one-hot' && v !== 'logit')
    throw usageError(`--init ${v} is not an initialisation`, 'use one-hot or logit');
  return v;
}

/**
 * A setting a composite file may declare (best-composite.json carries init, abs_sort and least_relevant_first) and a
 * flag may state too: the file's value unless the flag gives one, and a flag that contradicts the file is an error,
 * so a run never silently differs from the trial the file describes.
 */
export function compositeSetting<T>(
  flag: { name: string; value: T | undefined },
  file: { name: string; key: string; value: T | undefined },
  dflt: T,
): T {
  if (flag.value !== undefined && file.value !== undefined && flag.value !== file.value) {
    throw usageError(
      `${flag.name} contradicts ${file.name}, which sets "${file.key}": ${JSON.stringify(file.value)}`,
      `leave ${flag.name} out (the file's setting is used), or edit the file`,
    );
  }
  return flag.value ?? file.value ?? dflt;
}
