/**
 * When a pruned model's accuracy must not pass unnoticed (issue 17 item 3): it collapsed to near chance, or it lost
 * more than a few points. The diff panel, the Runs view and the report show the same verdict. Pure: no node import.
 */
import { type Json, asNumber, asObject } from './run-folder/json';

export interface AccuracyWarning {
  kind: 'collapse' | 'drop';
  text: string;
}

/** A drop beyond this many points is worth a warning even far from chance. */
export const DROP_WARNING_POINTS = 5;
/** Collapsed: the pruned model keeps at most this share of the unpruned model's margin over chance. */
const COLLAPSE_MARGIN = 0.25;

const pct = (v: number) => `${(100 * v).toFixed(1)} %`;

export function accuracyWarning(original: number, pruned: number, classes?: number): AccuracyWarning | undefined {
  const chance = classes !== undefined && classes > 1 ? 1 / classes : undefined;
  if (chance !== undefined && original > chance && pruned - chance <= COLLAPSE_MARGIN * (original - chance))
    return {
      kind: 'collapse',
      text: `Collapsed: the pruned model's ${pct(pruned)} is near chance (${pct(chance)} for ${classes} classes), from ${pct(original)} unpruned. Remove less: an accuracy budget (1pt, --max-drop 1) keeps the accuracy within one point.`,
    };
  const drop = 100 * (original - pruned);
  if (drop > DROP_WARNING_POINTS)
    return {
      kind: 'drop',
      text: `The pruned model lost ${drop.toFixed(1)} points of accuracy (${pct(original)} → ${pct(pruned)}); fine-tune it or remove less.`,
    };
  return undefined;
}

/** The classes a run's task has: its --classes list, else the output width of the model's last layer (run.json). */
export function classCountOf(run: Json): number | undefined {
  if (Array.isArray(run.classes) && run.classes.length > 1) return run.classes.length;
  const layers = asObject(run.physical)?.layers;
  if (!Array.isArray(layers)) return undefined;
  for (let i = layers.length - 1; i >= 0; i--) {
    const original = asNumber(asObject(asObject(layers[i])?.components)?.original);
    if (original !== undefined) return original;
  }
  return undefined;
}
