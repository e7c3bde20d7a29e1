/**
 * Per-layer normalization of component scores before the global ranking: an option, not the method. method.md §5
 * ranks raw scores ('none', the default). Raw LRP relevance is conserved layer by layer, so a layer's components
 * share its total: the widest layers hold the smallest scores and a global ranking empties them first, while the
 * narrow early layers, which carry much of the latency, stay whole. Dividing each layer's scores by their mean (or
 * maximum) magnitude, as Torch-Pruning's normalizers do, ranks every component against its own layer and spreads
 * the removals over the network: fewer FLOPs at a rate, at some cost in accuracy.
 */
export const NORMALIZATIONS = ['none', 'mean', 'max'] as const;
export type Normalization = (typeof NORMALIZATIONS)[number];

export function isNormalization(v: string): v is Normalization {
  return (NORMALIZATIONS as readonly string[]).includes(v);
}

/** Scores divided per layer by the mean or the max of their magnitudes; a layer of zeros stays as it is. */
export function normalizeScores(scores: Float64Array[], mode: Normalization): Float64Array[] {
  if (mode === 'none') return scores;
  return scores.map((layer) => {
    let scale = 0;
    for (const v of layer) scale = mode === 'mean' ? scale + Math.abs(v) / layer.length : Math.max(scale, Math.abs(v));
    return scale > 0 ? layer.map((v) => v / scale) : layer;
  });
}
