/**
 * The files of a run folder (architecture.md, "Run folders"): what `pxp prune`, `pxp search` and `pxp attribute`
 * write and what the reports, the panels and the extension read. One declaration per file; the node readers and
 * writers are src/core/run-folder/read.ts and write.ts. Pure: no node import (the webview protocol imports these).
 * The shapes that are also checked at run time (trial lines read back, what the search panel receives) are declared
 * once as schema checks (schema.ts) and their types derived from them.
 */
import { type Infer, array, boolean, finite, number, object, optional, record, string, union } from '../schema';

/** Where a set of samples came from. */
export const isDataInfo = object({ source: string, samples: finite });
export type DataInfo = Infer<typeof isDataInfo>;

/** One rate of an accuracy-vs-pruning-rate curve (costs only where the curve measured them). */
export interface CurvePoint {
  rate: number;
  accuracy: number;
  removed?: number;
  params?: number;
  flops?: number;
}

/** curve.json: the masked pruning curve of the run's criterion and its AUC (trapezoid rule over the rates). */
export interface CurveFile {
  criterion?: string;
  points: CurvePoint[];
  auc: number;
}

/** relevance.json: one score per component, per component layer. */
export interface RelevanceFile {
  criterion: string;
  layers: { name: string; kind: string; scores: number[] }[];
  /** LRP criteria: the rule the composite gave each layer. */
  rules?: { name: string; rule: string }[];
}

/** A curve reduced to what the search files keep. */
export const isRateAccuracy = object({ rate: number, accuracy: number });
export type RateAccuracy = Infer<typeof isRateAccuracy>;

/** One line of trials.jsonl: a finished trial of `pxp search`. */
export const isTrialLine = object({
  number: number,
  params: record(union(string, number)),
  auc: number,
  curve: array(isRateAccuracy),
  seconds: number,
  /** Whether the trial reused the relevance of an earlier one (it differed only in the ranking switches). */
  cached: boolean,
  /** Set on the search's starting points (a preset or a fixed point of the space), not on sampled trials. */
  enqueued: optional(string),
});
export type TrialLine = Infer<typeof isTrialLine>;

/** What a search calls its best composite in curve.json, relevance.json and comparison.json. */
export const BEST_CRITERION = 'lrp:best-composite.json';

/** One criterion in comparison.json: its curve on the search's evaluation data and, when there is one, on held-out data. */
export const isComparisonCurve = object({
  criterion: string,
  auc: number,
  points: array(isRateAccuracy),
  /** The same criterion on the held-out samples, which no trial was chosen on. */
  holdout: optional(object({ auc: number, points: array(isRateAccuracy) })),
  /** The best trial's own curve: chosen as the maximum over the trials on this data, so its AUC there is biased upwards. */
  selectionBiased: optional(boolean),
});
export type ComparisonCurve = Infer<typeof isComparisonCurve>;

/** comparison.json: the best composite beside the presets and the baselines. */
export interface ComparisonFile {
  curves: ComparisonCurve[];
  evaluation?: DataInfo;
  holdout?: DataInfo;
}

/** components.json of `pxp attribute`: per layer, per sample, per component relevance. */
export interface ComponentsFile {
  model: string;
  composite: { name: string } & Record<string, unknown>;
  rules: { name: string; rule: string }[];
  init: string;
  targets: number[];
  /** Names of the model's classes, by index, when the model or a classes.txt beside the inputs gives them. */
  classNames?: string[];
  layers: { name: string; kind: string; relevance: number[][] }[];
}

/** Where one module of a model from PyTorch is in the Python source (lines 1-based, as editors number them). */
export interface SourcePlace {
  file: string;
  /** The statement or Sequential item that builds the module (`self.conv1 = nn.Conv2d(…)`). */
  definitionLine: number;
  /** The line of its parent's forward that calls it (`out = self.conv1(x)`); none for a Sequential's items. */
  callLine?: number;
  /** The file of callLine, when it is not `file` (a parent class defined elsewhere). */
  callFile?: string;
  /** From the export's Python stack (`verbose=True`), or from reading the workspace's and source roots' .py files. */
  how: 'export-stack' | 'workspace-search';
  /** The module's class (`BasicBlock`, or torch's `Conv2d`), when known. */
  className?: string;
}

/** source-map.json: every module path the export shows, placed in the Python source or listed with the reason. */
export interface SourceMapFile {
  model: string;
  /** Folders searched for .py files (the workspace and pxp.sourceRoots / --source-roots). */
  roots: string[];
  /** ONNX nodes whose doc string kept the Python stack; 0 when the model was exported without verbose=True. */
  stackNodes: number;
  modules: Record<string, SourcePlace>;
  unplaced: { module: string; reason: string; callFile?: string; callLine?: number }[];
  /** The model's component layers (conv channels, neurons, heads), named by module path. */
  components: string[];
}
