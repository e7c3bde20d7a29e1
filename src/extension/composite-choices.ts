/**
 * The composites Compute Relevance… and Prune Model… offer (issue 17 item 9): the presets, then the JSON composites
 * of the workspace (a search's best-composite.json first, newest first), then a file chooser. No vscode import:
 * unit-tested in plain Node.
 */
import path from 'node:path';

export interface CompositeChoice {
  label: string;
  description?: string;
  /** The composite argument (a preset name or a file path); undefined for "choose a file…". */
  value?: string;
}

export const BROWSE_COMPOSITE = '$(file) Composite file…';

/** `files`: JSON composites found in the workspace with their modification times; `prefix` ("lrp:") goes before every label. */
export function compositeChoices(
  presets: readonly string[],
  files: { path: string; mtimeMs: number }[],
  root: string,
  prefix = '',
): CompositeChoice[] {
  const found = [...files]
    .sort(
      (a, b) =>
        Number(path.basename(b.path) === 'best-composite.json') -
          Number(path.basename(a.path) === 'best-composite.json') || b.mtimeMs - a.mtimeMs,
    )
    .map((f) => ({
      label: `${prefix}${path.relative(root, f.path)}`,
      description:
        path.basename(f.path) === 'best-composite.json' ? 'searched composite (pxp search)' : 'JSON composite',
      value: f.path,
    }));
  return [
    ...presets.map((p) => ({ label: `${prefix}${p}`, description: 'preset', value: p })),
    ...found,
    { label: BROWSE_COMPOSITE, description: 'a JSON composite anywhere' },
  ];
}
