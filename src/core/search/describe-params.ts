/** A trial's parameters in words, as the CLI logs them and the reports and the search panel list them. */
import type { Params } from './space';

function numberText(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) < 1e-2 || Math.abs(v) >= 1e4 ? v.toExponential(1) : String(Number(v.toPrecision(3)));
}

const RULE_PARAM: Record<string, [string, string]> = {
  epsilon: ['epsilon', 'ε'],
  gamma: ['gamma', 'γ'],
  'alpha-beta': ['alpha', 'α'],
};

/**
 * A trial's parameters in a line: per layer group its rule with the rule's parameter (`low ε 1.0e-3`), then the other
 * parameters (`one-hot init`/`logit init`, `abs`/`signed`, `least-first`/`most-first`, any further ones as `name value`).
 */
export function describeParams(p: Params): string {
  const used = new Set<string>();
  const parts: string[] = [];
  for (const key of Object.keys(p)) {
    if (!key.endsWith('.rule') || key === 'first.rule') continue;
    const group = key.slice(0, -'.rule'.length);
    const rule = String(p[key]);
    used.add(key);
    const extra = RULE_PARAM[rule];
    const value = extra ? p[`${group}.${extra[0]}`] : undefined;
    if (extra && typeof value === 'number') {
      used.add(`${group}.${extra[0]}`);
      parts.push(`${group} ${extra[1]} ${numberText(value)}`);
    } else parts.push(`${group} ${rule}`);
  }
  // Searches before the first-layer rule left the space logged it; their folders still read.
  if (p['first.rule'] !== undefined) {
    used.add('first.rule');
    parts.push(`first ${p['first.rule']}`);
  }
  if (p.init !== undefined) {
    used.add('init');
    parts.push(p.init === 'logit' ? 'logit init' : 'one-hot init');
  }
  if (p.abs_sort !== undefined) {
    used.add('abs_sort');
    parts.push(p.abs_sort === 'false' ? 'signed' : 'abs');
  }
  if (p.least_relevant_first !== undefined) {
    used.add('least_relevant_first');
    parts.push(p.least_relevant_first === 'false' ? 'most-first' : 'least-first');
  }
  for (const [k, v] of Object.entries(p))
    if (!used.has(k)) parts.push(`${k} ${typeof v === 'number' ? numberText(v) : v}`);
  return parts.join(', ');
}
