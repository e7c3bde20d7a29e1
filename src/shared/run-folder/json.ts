/**
 * Readers of loosely typed JSON, shared by everything that reads run folders (reports, views, the extension). Pure:
 * no node import, so browser bundles may use them too.
 */
export type Json = Record<string, unknown>;

export const asObject = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
export const asNumber = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;
export const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
