/**
 * What Prune Model… removes physically, from one input box: a fraction of the components ("0.5"), an accuracy
 * budget in points ("1pt": the largest rate of the curve losing at most one point, pxp prune --max-drop), or
 * nothing ("0": the accuracy curve only). No vscode import: unit-tested in plain Node.
 */
export type PruneTarget = { rate: number } | { maxDrop: number };

/** The prompt's default: an accuracy budget, since a fixed fraction can wreck a model (0.5 takes the demo CNN to 9.6 %). */
export const DEFAULT_PRUNE_TARGET = '1pt';

export const PRUNE_TARGET_PROMPT =
  'What to remove physically: an accuracy budget in points (1pt: the largest rate of the curve losing at most 1 point), a fraction of the components (0.3), or 0 for the accuracy curve only';

export function parsePruneTarget(text: string): PruneTarget | undefined {
  const t = text.trim().toLowerCase();
  const points = /^(\d+(?:\.\d+)?)\s*(?:pts?|points?)$/.exec(t);
  if (points) {
    const maxDrop = Number(points[1]);
    return maxDrop <= 100 ? { maxDrop } : undefined;
  }
  if (!/^\d*\.?\d+$/.test(t)) return undefined;
  const rate = Number(t);
  return rate >= 0 && rate < 1 ? { rate } : undefined;
}

/** The pxp prune flags of a target (none for rate 0). */
export function pruneTargetFlags(target: PruneTarget): Record<string, string> {
  if ('maxDrop' in target) return { 'max-drop': String(target.maxDrop) };
  return target.rate > 0 ? { rate: String(target.rate) } : {};
}
