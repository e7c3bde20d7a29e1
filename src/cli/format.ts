/** Small text formatters shared by the commands' human-readable output. */
import type { BackendChoice } from '../core/backend/select';

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export function percent(x: number, digits = 2): string {
  return `${(100 * x).toFixed(digits)} %`;
}

export function backendLine(b: BackendChoice): string {
  const skipped = b.skipped.length ? ` (skipped: ${b.skipped.map((s) => s.reason).join('; ')})` : '';
  return `backend    ${b.name}${skipped}`;
}
