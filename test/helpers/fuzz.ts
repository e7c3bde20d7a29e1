/**
 * Seeded mutation fuzzing of PXP's readers: byte-level mutations (bit flips, boundary bytes, cuts, inserted and
 * duplicated ranges) and, for JSON, structural ones (a value replaced by one of another type or an extreme, a key
 * dropped, a list emptied or blown up). Each outcome is a result, a bad-input PxpError (exit 2), or a failure: any
 * other error, a case slower than the budget, or a result holding more bytes than the file could justify.
 */
import { PxpError } from '../../src/core/errors';
import { mulberry32 } from '../../src/core/random';

export type Rng = () => number;

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
const int = (rng: Rng, n: number) => Math.floor(rng() * n);

const BOUNDARY_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x20, 0x22, 0x2c, 0x5b, 0x7b, 0x7d, 0x5d, 0x30, 0x39];

/** One byte-level mutation of `src` (a fresh copy). */
export function mutateBytes(src: Uint8Array, rng: Rng): { bytes: Uint8Array; what: string } {
  const n = src.length;
  const at = int(rng, Math.max(1, n));
  const len = 1 + int(rng, Math.min(64, Math.max(1, n - at)));
  switch (int(rng, 7)) {
    case 0: {
      const b = Uint8Array.from(src);
      b[at] ^= 1 << int(rng, 8);
      return { bytes: b, what: `flip a bit at ${at}` };
    }
    case 1: {
      const b = Uint8Array.from(src);
      b[at] = pick(rng, BOUNDARY_BYTES);
      return { bytes: b, what: `set byte ${at} to ${b[at]}` };
    }
    case 2:
      return { bytes: src.slice(0, at), what: `cut at ${at}` };
    case 3:
      return { bytes: concat(src.subarray(0, at), src.subarray(at + len)), what: `delete ${len} at ${at}` };
    case 4: {
      const junk = Uint8Array.from({ length: len }, () => int(rng, 256));
      return { bytes: concat(src.subarray(0, at), junk, src.subarray(at)), what: `insert ${len} random at ${at}` };
    }
    case 5:
      return { bytes: concat(src.subarray(0, at + len), src.subarray(at)), what: `duplicate ${len} at ${at}` };
    default: {
      const b = Uint8Array.from(src);
      for (let i = at; i < Math.min(n, at + len); i++) b[i] = int(rng, 256);
      return { bytes: b, what: `overwrite ${len} at ${at}` };
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const EXTREMES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1,
  0.5,
  -0.5,
  1e308,
  -1e308,
  2 ** 31,
  2 ** 53,
  1e9,
  '',
  'x',
  'NaN',
  '../../etc/passwd',
  [],
  {},
  [null],
  [[]],
  { a: 1 },
  [1e9, 1e9],
  [-1],
  Array(50).fill(0),
];

/** Every (parent, key) in a JSON value, to pick one to mutate. */
function slots(
  v: unknown,
  out: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [],
): typeof out {
  if (Array.isArray(v)) v.forEach((c, i) => (out.push({ parent: v, key: i }), slots(c, out)));
  else if (v && typeof v === 'object')
    for (const [k, c] of Object.entries(v)) (out.push({ parent: v as Record<string, unknown>, key: k }), slots(c, out));
  return out;
}

/** One structural mutation of a JSON document (a fresh copy), or a byte mutation of its text now and then. */
export function mutateJson(text: string, rng: Rng): { bytes: Uint8Array; what: string } {
  if (rng() < 0.25) return mutateBytes(new TextEncoder().encode(text), rng);
  const doc = JSON.parse(text) as unknown;
  const all = slots(doc);
  if (all.length === 0) return mutateBytes(new TextEncoder().encode(text), rng);
  const { parent, key } = pick(rng, all);
  const old = (parent as Record<string | number, unknown>)[key];
  let what: string;
  switch (int(rng, 5)) {
    case 0:
      (parent as Record<string | number, unknown>)[key] = structuredClone(pick(rng, EXTREMES));
      what = `${String(key)} := ${JSON.stringify((parent as Record<string | number, unknown>)[key])}`;
      break;
    case 1:
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      what = `drop ${String(key)}`;
      break;
    case 2:
      (parent as Record<string | number, unknown>)[key] = Array.isArray(old)
        ? [...old, ...old]
        : typeof old === 'number'
          ? old * (rng() < 0.5 ? -1 : 1e6)
          : [old];
      what = `grow ${String(key)}`;
      break;
    case 3:
      (parent as Record<string | number, unknown>)[key] =
        typeof old === 'string'
          ? Number(old.length)
          : typeof old === 'number'
            ? String(old)
            : Array.isArray(old)
              ? {}
              : [];
      what = `retype ${String(key)}`;
      break;
    default: {
      // Two slots swap values: names, shapes and references end up in each other's places.
      const other = pick(rng, all);
      const tmp = (other.parent as Record<string | number, unknown>)[other.key];
      (other.parent as Record<string | number, unknown>)[other.key] = old;
      (parent as Record<string | number, unknown>)[key] = tmp;
      what = `swap ${String(key)} and ${String(other.key)}`;
    }
  }
  return { bytes: new TextEncoder().encode(JSON.stringify(doc, null, rng() < 0.5 ? 1 : undefined)), what };
}

/** Bytes of every typed array and string reachable in a result: what the reader allocated and kept. */
export function heldBytes(v: unknown, seen = new Set<unknown>()): number {
  if (v === null || typeof v !== 'object') return typeof v === 'string' ? v.length : 0;
  if (seen.has(v)) return 0;
  seen.add(v);
  if (ArrayBuffer.isView(v)) return v.byteLength;
  if (v instanceof Map) return [...v.values()].reduce((a: number, c) => a + heldBytes(c, seen), 0);
  return Object.values(v).reduce((a: number, c) => a + heldBytes(c, seen), 0);
}

export interface FuzzTally {
  target: string;
  cases: number;
  results: number;
  refused: number;
  failures: { seed: number; what: string; error: string }[];
  maxMs: number;
  maxHeldRatio: number;
}

/**
 * Runs `cases` seeded mutations of `valid` through `read` (given the mutated bytes). `maxRatio` bounds the bytes a
 * result may hold per byte of input (a uint8 array read as float64 holds 8×); `budgetMs` one case's time.
 */
export async function fuzz(
  target: string,
  opts: {
    seed: number;
    cases: number;
    valid: Uint8Array | string;
    json?: boolean;
    maxRatio?: number;
    budgetMs?: number;
    read: (bytes: Uint8Array) => unknown;
  },
): Promise<FuzzTally> {
  const tally: FuzzTally = {
    target,
    cases: opts.cases,
    results: 0,
    refused: 0,
    failures: [],
    maxMs: 0,
    maxHeldRatio: 0,
  };
  const text = typeof opts.valid === 'string' ? opts.valid : undefined;
  const bytes = typeof opts.valid === 'string' ? new TextEncoder().encode(opts.valid) : opts.valid;
  for (let c = 0; c < opts.cases; c++) {
    const seed = opts.seed * 1_000_003 + c;
    const rng = mulberry32(seed);
    const m = opts.json && text !== undefined ? mutateJson(text, rng) : mutateBytes(bytes, rng);
    const t0 = performance.now();
    try {
      const result = await opts.read(m.bytes);
      const ratio = heldBytes(result) / Math.max(1, m.bytes.length);
      tally.maxHeldRatio = Math.max(tally.maxHeldRatio, ratio);
      if (ratio > (opts.maxRatio ?? 8) && heldBytes(result) > 65_536)
        tally.failures.push({
          seed,
          what: m.what,
          error: `the result holds ${heldBytes(result)} bytes for a ${m.bytes.length}-byte file`,
        });
      else tally.results++;
    } catch (e) {
      if (e instanceof PxpError && e.code === 'bad-input') tally.refused++;
      else
        tally.failures.push({
          seed,
          what: m.what,
          error: e instanceof PxpError ? `${e.code}: ${e.message}` : String((e as Error)?.stack ?? e).slice(0, 400),
        });
    }
    const ms = performance.now() - t0;
    tally.maxMs = Math.max(tally.maxMs, ms);
    if (ms > (opts.budgetMs ?? 2000)) tally.failures.push({ seed, what: m.what, error: `took ${ms.toFixed(0)} ms` });
  }
  return tally;
}

export const describeTally = (t: FuzzTally) =>
  `${t.target}: ${t.cases} mutations → ${t.results} results, ${t.refused} refused (exit 2), ${t.failures.length} failures; slowest ${t.maxMs.toFixed(1)} ms, largest result ${t.maxHeldRatio.toFixed(2)}× the file`;
