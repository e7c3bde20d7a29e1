/**
 * Where a layer's entry is in a model.json text: the first `"name": "<layer>"` is the layer's config (the topology
 * comes before the weights manifest, whose names carry a "/variable" suffix and so never match the whole string).
 */
export function layerNameRange(text: string, layer: string): { start: number; end: number } | undefined {
  const quoted = JSON.stringify(layer);
  const pattern = new RegExp(`"name"\\s*:\\s*${quoted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
  const m = pattern.exec(text);
  if (!m) return undefined;
  // Offsets of the name without its quotes.
  const start = m.index + m[0].length - quoted.length + 1;
  return { start, end: start + quoted.length - 2 };
}
