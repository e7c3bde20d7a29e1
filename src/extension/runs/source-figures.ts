/**
 * The latest run's results placed in a Python file: for each module that the run's source-map.json puts in the file,
 * its channels before and after a physical removal, its share of the relevance, the relevance of each channel, the
 * LRP rule and the removed channels. Only reads files the engine wrote (the map was computed there); no vscode
 * import, unit-tested in plain Node.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SourcePlace } from '../../shared/run-folder/types';
import { readSourceMap } from '../../views/source-place';
import { type Json, asObject } from '../../shared/run-folder/json';
import { tryReadJsonObject } from '../../core/run-folder/read';
import { componentRelevance } from './layer-figures';
import type { RunSummary } from './run-summary';

export interface SourceModuleFigures extends SourcePlace {
  module: string;
  /** Components (channels, neurons, heads) of the module, when it is a component layer of the run. */
  channels?: number;
  /** What a component of the module is: `channels` of a conv, `neurons` of a dense layer, `heads` of attention. */
  unit?: string;
  /** Components left after the run's physical removal. */
  kept?: number;
  /** Fraction of the model's total |relevance| in this module. */
  share?: number;
  /** |relevance| per component, by index. */
  scores?: number[];
  rule?: string;
  /** Indices of the components the run removed. */
  removed?: number[];
}

export interface SourceFileFigures {
  run: RunSummary;
  /** Modules defined in the file (definitionLine there), in module-path order. */
  modules: SourceModuleFigures[];
}

const UNITS: Record<string, string> = { conv: 'channels', dense: 'neurons', neuron: 'neurons', head: 'heads' };

const sameFile = (a: string, b: string) => path.resolve(a) === path.resolve(b);

/** Figures of one run's component layers, by layer name (module path for a model from PyTorch). */
export type ComponentFigures = Omit<SourceModuleFigures, keyof SourcePlace | 'module'>;

export function componentFigures(run: RunSummary): Map<string, ComponentFigures> {
  const { layers, rules, kinds } = componentRelevance(run);
  const grand = [...layers.values()].reduce((a, s) => a + s.reduce((x, v) => x + v, 0), 0);
  const physical = asObject(tryReadJsonObject(path.join(run.dir, 'run.json'))?.physical);
  const widths = new Map<string, { original: number; pruned: number }>();
  for (const l of (physical?.layers ?? []) as Json[]) {
    const c = asObject(l.components);
    if (typeof l.name === 'string' && c && typeof c.original === 'number' && typeof c.pruned === 'number')
      widths.set(l.name, { original: c.original, pruned: c.pruned });
  }
  const removedAll = asObject(physical?.removedComponents) ?? {};
  const out = new Map<string, ComponentFigures>();
  // Only the run's component layers: the output layer keeps its classes whatever the run removed.
  for (const [name, scores] of layers) {
    const width = widths.get(name);
    const removed = removedAll[name];
    out.set(name, {
      scores,
      channels: width?.original ?? scores.length,
      ...(width ? { kept: width.pruned } : {}),
      ...(grand > 0 ? { share: scores.reduce((a, v) => a + v, 0) / grand } : {}),
      ...(rules.has(name) ? { rule: rules.get(name) } : {}),
      ...(kinds.has(name) ? { unit: UNITS[kinds.get(name)!] ?? 'components' } : {}),
      ...(Array.isArray(removed) ? { removed: removed.filter((i): i is number => typeof i === 'number') } : {}),
    });
  }
  return out;
}

/** Figures of one run for the modules its source map puts in `pyFile`; undefined when it puts none there. */
export function sourceFigures(run: RunSummary, pyFile: string): SourceFileFigures | undefined {
  const map = readSourceMap(run.dir);
  if (!map) return undefined;
  const here = Object.entries(map.modules).filter(([, p]) => sameFile(p.file, pyFile));
  if (here.length === 0) return undefined;
  const figures = componentFigures(run);
  return { run, modules: here.map(([module, place]) => ({ module, ...place, ...figures.get(module) })) };
}

/** The newest run whose source map places modules in `pyFile` (runs newest first, as listRuns gives them). */
export function latestSourceFigures(pyFile: string, runs: RunSummary[]): SourceFileFigures | undefined {
  for (const r of runs) {
    if (!fs.existsSync(path.join(r.dir, 'source-map.json'))) continue;
    const f = sourceFigures(r, pyFile);
    if (f) return f;
  }
  return undefined;
}

/** The CodeLens title: "layer1.0.conv1 · 64 → 41 channels · 3.2 % of the relevance". */
export function describeModule(m: SourceModuleFigures): string {
  const parts = [m.module];
  const unit = m.unit ?? 'channels';
  if (m.channels !== undefined)
    parts.push(
      m.kept !== undefined && m.kept !== m.channels ? `${m.channels} → ${m.kept} ${unit}` : `${m.channels} ${unit}`,
    );
  if (m.share !== undefined) parts.push(`${(100 * m.share).toFixed(1)} % of the relevance`);
  return parts.join(' · ');
}

const BARS = '▁▂▃▄▅▆▇█';

/** One character per channel, its height the channel's relevance over the largest; removed channels marked below. */
export function relevanceBars(scores: number[], removed: number[] = []): string {
  const max = Math.max(0, ...scores);
  const bars = scores
    .map((v) => (max > 0 ? BARS[Math.min(BARS.length - 1, Math.floor((v / max) * BARS.length))] : BARS[0]))
    .join('');
  if (removed.length === 0) return bars;
  const gone = new Set(removed);
  return `${bars}\n${scores.map((_, i) => (gone.has(i) ? '×' : ' ')).join('')}`;
}

/** The hover's Markdown for one module. */
export function moduleHoverMarkdown(m: SourceModuleFigures, runName: string): string {
  const lines = [
    `**PXP** — \`${m.module}\`${m.className ? ` (${m.className})` : ''}: ${describeModule(m).split(' · ').slice(1).join(' · ') || 'no relevance in this run'}`,
  ];
  if (m.rule) lines.push(`LRP rule: ${m.rule}`);
  if (m.scores?.length)
    lines.push(
      `relevance per ${(m.unit ?? 'channels').replace(/s$/, '')} (0…${m.scores.length - 1})${m.removed?.length ? ', × removed' : ''}:\n\`\`\`\n${relevanceBars(m.scores, m.removed)}\n\`\`\``,
    );
  if (m.removed?.length) lines.push(`removed: ${m.removed.join(', ')}`);
  lines.push(
    `placed by ${m.how === 'export-stack' ? "the export's stack" : 'reading the .py files'} · run \`${runName}\``,
  );
  return lines.join('\n\n');
}
