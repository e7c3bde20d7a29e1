/** Number formats shared by the panels: units always spelled out next to the figure. */

export function times(v: number): string {
  if (!Number.isFinite(v)) return '—';
  return `${v >= 10 ? v.toFixed(1) : v.toFixed(2)}×`;
}

export function pct(fraction: number | undefined, digits = 1): string {
  return fraction === undefined || !Number.isFinite(fraction) ? '—' : `${(100 * fraction).toFixed(digits)} %`;
}

/** 110266 → "110.3 k", 14751488 → "14.75 M". */
export function count(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(2)} G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)} k`;
  return String(Math.round(v));
}

export function grouped(v: number): string {
  return Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—';
}

/** A relevance value: four significant digits, exponent for tiny ones. */
export function rel(v: number): string {
  if (!Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  return Math.abs(v) < 1e-3 ? v.toExponential(2) : Number(v.toPrecision(4)).toString();
}

export function ms(v: number): string {
  return Number.isFinite(v) ? `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms` : '—';
}

export function auc(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(4);
}
