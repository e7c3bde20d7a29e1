/**
 * Declarations that are a runtime check and a type at once: `const isPoint = object({ rate: number, accuracy: number })`
 * checks a value (`isPoint(v)`) and names its type (`Infer<typeof isPoint>`), so a validator cannot drift from the
 * type it guards. Used where data crosses a trust boundary: webview messages, trial lines read back from disk.
 * Objects accept extra properties (what a newer writer adds is ignored, not fatal).
 */

/** A type guard: the check and the type it establishes. */
export type Check<T> = (v: unknown) => v is T;

export type Infer<C> = C extends Check<infer T> ? T : never;

/** A property that may be left out. */
export interface Optional<T> extends Check<T | undefined> {
  readonly optional: true;
}

type Shape = Record<string, Check<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends Optional<unknown> ? K : never }[keyof S];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<S extends Shape> = Simplify<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>;

/** An object check that keeps its shape, so a larger object can be declared from it (`{ ...isA.shape, more }`). */
export interface ObjectCheck<S extends Shape> extends Check<ObjectOf<S>> {
  readonly shape: S;
}

export const string: Check<string> = (v): v is string => typeof v === 'string';
export const number: Check<number> = (v): v is number => typeof v === 'number';
export const finite: Check<number> = (v): v is number => typeof v === 'number' && Number.isFinite(v);
export const boolean: Check<boolean> = (v): v is boolean => typeof v === 'boolean';
/** A non-negative safe integer (an index into a list). */
export const index: Check<number> = (v): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function literal<const L extends readonly (string | number | boolean)[]>(...values: L): Check<L[number]> {
  return (v): v is L[number] => values.includes(v as L[number]);
}

export function array<T>(item: Check<T>): Check<T[]> {
  return (v): v is T[] => Array.isArray(v) && v.every(item);
}

export function record<T>(value: Check<T>): Check<Record<string, T>> {
  return (v): v is Record<string, T> => isPlainObject(v) && Object.values(v).every(value);
}

export function union<C extends Check<unknown>[]>(...checks: C): Check<Infer<C[number]>> {
  return (v): v is Infer<C[number]> => checks.some((c) => c(v));
}

export function optional<T>(check: Check<T>): Optional<T> {
  return Object.assign((v: unknown): v is T | undefined => v === undefined || check(v), { optional: true as const });
}

/** A check narrowed by a predicate on the checked value (a PNG data: URI is a string that starts so). */
export function refine<T>(check: Check<T>, ok: (v: T) => boolean): Check<T> {
  return (v): v is T => check(v) && ok(v);
}

export function object<S extends Shape>(shape: S): ObjectCheck<S> {
  const entries = Object.entries(shape);
  const check = (v: unknown): v is ObjectOf<S> => isPlainObject(v) && entries.every(([k, c]) => c(v[k]));
  return Object.assign(check, { shape });
}
