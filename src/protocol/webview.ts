/**
 * Messages between the extension host and the PXP webview panels (after vscode-hexeditor's shared protocol): every
 * message is one interface with a `type` discriminant, grouped into `ToWebview` and `FromWebview`. The validators
 * below run on BOTH sides — the host checks what a webview posts, the webview checks what it receives — because a
 * webview is a separate, less trusted document and a malformed message must be dropped, not half-used.
 *
 * The data the panels show (`RelevanceView`, `DiffView`, `SearchView`) is built by the pure view models in src/views
 * from a run folder; this module only declares its shape.
 */

import { isTrialLine } from '../shared/run-folder/trials';
import type { ComparisonCurve, DataInfo, TrialLine } from '../shared/run-folder/types';

export type { ComparisonCurve, DataInfo };

export type PanelKind = 'relevance' | 'diff' | 'search';

// ---------------------------------------------------------------------------------------------------------------
// Relevance panel
// ---------------------------------------------------------------------------------------------------------------

export interface RelevanceLayer {
  name: string;
  /** 'conv' (a channel per component) or 'dense' (a neuron per component). */
  kind: string;
  /** Mean relevance over the samples (attribution folder) or the criterion's score (prune run), per component. */
  mean: number[];
  /** Per sample, per component (attribution folders only). */
  perSample?: number[][];
}

export interface RelevanceSample {
  index: number;
  /** The class explained. */
  target: number;
  /** The input | relevance heatmap as a data: URI (pxp attribute writes PNGs for the first samples only). */
  heatmap?: string;
  /** Sum of the input relevance (input.npy) of this sample. */
  inputSum: number;
  /** Relevance put on the output: 1 with the one-hot initialisation; undefined when the files cannot tell. */
  outputSum?: number;
  /** Relevance sum at each component layer's output, in `layers` order. */
  layerSums: number[];
}

export interface RelevanceView {
  kind: 'relevance';
  runDir: string;
  /** Where the numbers come from: `pxp attribute` (components.json) or a prune/search run's relevance.json. */
  source: 'attribution' | 'prune';
  title: string;
  model?: string;
  /** The composite (attribution) with the rule each layer got, or the prune criterion. */
  composite?: { name: string; rules: { name: string; rule: string }[] };
  criterion?: string;
  /** Initial relevance: 'one-hot' or 'logit'. */
  init?: string;
  layers: RelevanceLayer[];
  /** The first samples of the folder (all of them unless the folder is large: see MAX_SAMPLES in relevance-view.ts). */
  samples: RelevanceSample[];
  /** How many samples the folder explains (the layer means use all of them). */
  samplesTotal?: number;
  /** Conservation over all samples: mean of input sum / output sum, and the worst |input − output|. */
  conservation?: { meanRatio: number; worstGap: number; samples: number };
}

// ---------------------------------------------------------------------------------------------------------------
// Architecture diff panel
// ---------------------------------------------------------------------------------------------------------------

export interface DiffLayer {
  name: string;
  className: string;
  /** Channels (conv) or units (dense); undefined for layers without components. */
  components?: { original: number; pruned: number };
  params: { original: number; pruned: number };
  /** Multiply-accumulates ×2 for one sample; undefined when the shape walk cannot size the layer. */
  flops?: { original: number; pruned: number };
}

export interface DiffView {
  kind: 'diff';
  runDir: string;
  title: string;
  criterion: string;
  model: string;
  rate: number;
  /** How the run ranked and chose its rate, when not the defaults: "layer-normalized ranking (mean)", "rate chosen by --max-drop 1". */
  how?: string[];
  summary: {
    /** original params / pruned params */
    timesSmaller: number;
    /** original latency / pruned latency (run.json's measured speedup) */
    timesFaster: number;
    /** original FLOPs / pruned FLOPs */
    timesFewerFlops: number;
    /** accuracy at rate 0 of the curve (the unpruned model), and of the pruned model */
    accuracy: { original: number; pruned: number; masked?: number; finetuned?: number };
    /** percentage points lost: 100 × (original − pruned) */
    accuracyDropPoints: number;
    params: { original: number; pruned: number };
    flops: { original: number; pruned: number };
    latencyMs: { original: number; pruned: number; batch?: number; engine?: string };
    components: { removed: number; total: number };
  };
  layers: DiffLayer[];
  /** Why the per-layer table is missing, when it is. */
  layersNote?: string;
  /** The pruned accuracy collapsed to near chance, or dropped more than a few points (src/shared/accuracy-warning.ts). */
  warning?: { kind: 'collapse' | 'drop'; text: string };
}

// ---------------------------------------------------------------------------------------------------------------
// Search progress panel
// ---------------------------------------------------------------------------------------------------------------

/** A line of trials.jsonl (src/core/run-folder) with its parameters in words. */
export interface TrialRow extends TrialLine {
  /** The parameters in words ("low z-plus, mid γ 0.077, …, abs, least-first"), as the CLI logs them. */
  label: string;
}

export interface SearchView {
  kind: 'search';
  runDir: string;
  title: string;
  model?: string;
  /** 'running' while pxp search writes the folder, 'done' when run.json says so. */
  status: 'running' | 'done';
  sampler?: string;
  trialsWanted?: number;
  trials: TrialRow[];
  /** Best AUC after each trial, in trial order. */
  bestSoFar: number[];
  best?: { number: number; auc: number; holdoutAuc?: number };
  importance: { name: string; importance: number }[];
  /** best vs presets and baselines (comparison.json), once the search has finished; held out where it had data. */
  comparison?: ComparisonCurve[];
  /** The images the trials were chosen on, and the held-out ones (comparison.json, run.json). */
  evaluation?: DataInfo;
  holdout?: DataInfo;
}

// ---------------------------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------------------------

/** The whole panel content (first load, reload, or a changed run file). */
export interface ShowMessage {
  type: 'show';
  view: RelevanceView | DiffView | SearchView;
}

/** Trials appended to trials.jsonl since the last message, with what they change. */
export interface TrialsAppendedMessage {
  type: 'trialsAppended';
  trials: TrialRow[];
  bestSoFar: number[];
  importance: { name: string; importance: number }[];
}

/** The run folder could not be read. */
export interface ShowErrorMessage {
  type: 'showError';
  message: string;
}

/** A relevance heatmap drawn from input.npy for a sample pxp attribute wrote no PNG for (answer to RequestHeatmap). */
export interface HeatmapMessage {
  type: 'heatmap';
  sample: number;
  /** A PNG data: URI, or undefined when the folder's input relevance is not an image. */
  heatmap?: string;
}

export type ToWebview = ShowMessage | TrialsAppendedMessage | ShowErrorMessage | HeatmapMessage;

/** The webview's script is running and wants its content. */
export interface ReadyMessage {
  type: 'ready';
}

/** The user clicked a layer: reveal its entry in model.json. */
export interface RevealLayerMessage {
  type: 'revealLayer';
  layer: string;
}

/** Open a file of the run folder (report.html, best-composite.json…) in the editor. */
export interface OpenRunFileMessage {
  type: 'openRunFile';
  file: RunFileName;
}

export const RUN_FILES = ['report.html', 'search.html', 'run.json', 'curve.json', 'best-composite.json', 'components.json', 'trials.jsonl'] as const;
export type RunFileName = (typeof RUN_FILES)[number];

/** Open the relevance panel on this panel's run (the scores of relevance.json: the criterion's, or the best composite's). */
export interface OpenRelevanceMessage {
  type: 'openRelevance';
}

/** Draw the relevance heatmap of one sample (relevance panel, samples without a PNG). */
export interface RequestHeatmapMessage {
  type: 'requestHeatmap';
  sample: number;
}

export type FromWebview = ReadyMessage | RevealLayerMessage | OpenRunFileMessage | RequestHeatmapMessage | OpenRelevanceMessage;

/** What a panel keeps in `vscode.setState`, so the serializer can reopen it after a reload. */
export interface PanelState {
  kind: PanelKind;
  runDir: string;
  modelPath?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Validators (both sides)
// ---------------------------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObject = (m: unknown): m is Obj => typeof m === 'object' && m !== null && !Array.isArray(m);
const isNum = (v: unknown): v is number => typeof v === 'number';
const isFiniteNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNumArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(isNum);
const isArrayOf = <T>(v: unknown, item: (x: unknown) => x is T): v is T[] => Array.isArray(v) && v.every(item);
const isPair = (v: unknown): boolean => isObject(v) && isNum(v.original) && isNum(v.pruned);
const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
/** Images reach an <img> only as inline PNGs: never a remote or file URL. */
const isPngDataUri = (v: unknown): v is string => isStr(v) && v.startsWith('data:image/png;base64,');
/** Layer names are model identifiers: no control characters, bounded length. */
const isLayerName = (v: unknown): v is string => isStr(v) && v.length > 0 && v.length <= 256 && !/[\u0000-\u001f]/.test(v);

function isRelevanceLayer(v: unknown): v is RelevanceLayer {
  return isObject(v) && isLayerName(v.name) && isStr(v.kind) && isNumArray(v.mean) && (v.perSample === undefined || isArrayOf(v.perSample, isNumArray));
}

function isRelevanceSample(v: unknown): v is RelevanceSample {
  return (
    isObject(v) &&
    isNum(v.index) &&
    isNum(v.target) &&
    isNum(v.inputSum) &&
    (v.outputSum === undefined || isNum(v.outputSum)) &&
    isNumArray(v.layerSums) &&
    (v.heatmap === undefined || isPngDataUri(v.heatmap))
  );
}

export function isRelevanceView(v: unknown): v is RelevanceView {
  return (
    isObject(v) &&
    v.kind === 'relevance' &&
    isStr(v.runDir) &&
    (v.source === 'attribution' || v.source === 'prune') &&
    isStr(v.title) &&
    isArrayOf(v.layers, isRelevanceLayer) &&
    isArrayOf(v.samples, isRelevanceSample) &&
    (v.composite === undefined || (isObject(v.composite) && isStr(v.composite.name) && Array.isArray(v.composite.rules))) &&
    (v.conservation === undefined || (isObject(v.conservation) && isNum(v.conservation.meanRatio) && isNum(v.conservation.worstGap)))
  );
}

function isDiffLayer(v: unknown): v is DiffLayer {
  return (
    isObject(v) &&
    isLayerName(v.name) &&
    isStr(v.className) &&
    isPair(v.params) &&
    (v.components === undefined || isPair(v.components)) &&
    (v.flops === undefined || isPair(v.flops))
  );
}

export function isDiffView(v: unknown): v is DiffView {
  if (!isObject(v) || v.kind !== 'diff' || !isStr(v.runDir) || !isStr(v.title) || !isStr(v.criterion) || !isNum(v.rate)) return false;
  if (v.how !== undefined && !isArrayOf(v.how, isStr)) return false;
  if (v.warning !== undefined && !(isObject(v.warning) && (v.warning.kind === 'collapse' || v.warning.kind === 'drop') && isStr(v.warning.text))) return false;
  const s = v.summary;
  return (
    isObject(s) &&
    isNum(s.timesSmaller) &&
    isNum(s.timesFaster) &&
    isNum(s.timesFewerFlops) &&
    isNum(s.accuracyDropPoints) &&
    isObject(s.accuracy) &&
    isNum(s.accuracy.original) &&
    isNum(s.accuracy.pruned) &&
    isPair(s.params) &&
    isPair(s.flops) &&
    isPair(s.latencyMs) &&
    isObject(s.components) &&
    isArrayOf(v.layers, isDiffLayer)
  );
}

export function isTrialRow(v: unknown): v is TrialRow {
  return isTrialLine(v) && isStr((v as unknown as Obj).label);
}

const isImportance = (v: unknown): v is { name: string; importance: number } => isObject(v) && isStr(v.name) && isFiniteNum(v.importance);
const isRateAccuracies = (v: unknown): v is { rate: number; accuracy: number }[] => isArrayOf(v, (p): p is { rate: number; accuracy: number } => isObject(p) && isNum(p.rate) && isNum(p.accuracy));
const isComparisonCurve = (v: unknown): v is ComparisonCurve =>
  isObject(v) &&
  isStr(v.criterion) &&
  isNum(v.auc) &&
  isRateAccuracies(v.points) &&
  (v.holdout === undefined || (isObject(v.holdout) && isNum(v.holdout.auc) && isRateAccuracies(v.holdout.points))) &&
  (v.selectionBiased === undefined || typeof v.selectionBiased === 'boolean');
const isDataInfo = (v: unknown): v is DataInfo => isObject(v) && isStr(v.source) && isFiniteNum(v.samples);

export function isSearchView(v: unknown): v is SearchView {
  return (
    isObject(v) &&
    v.kind === 'search' &&
    isStr(v.runDir) &&
    isStr(v.title) &&
    (v.status === 'running' || v.status === 'done') &&
    isArrayOf(v.trials, isTrialRow) &&
    isNumArray(v.bestSoFar) &&
    isArrayOf(v.importance, isImportance) &&
    (v.comparison === undefined || isArrayOf(v.comparison, isComparisonCurve)) &&
    (v.evaluation === undefined || isDataInfo(v.evaluation)) &&
    (v.holdout === undefined || isDataInfo(v.holdout))
  );
}

/** Checks a message from the host before the webview uses it. */
export function isToWebview(m: unknown): m is ToWebview {
  if (!isObject(m)) return false;
  switch (m.type) {
    case 'show':
      return isRelevanceView(m.view) || isDiffView(m.view) || isSearchView(m.view);
    case 'trialsAppended':
      return isArrayOf(m.trials, isTrialRow) && isNumArray(m.bestSoFar) && isArrayOf(m.importance, isImportance);
    case 'showError':
      return isStr(m.message);
    case 'heatmap':
      return isIndex(m.sample) && (m.heatmap === undefined || isPngDataUri(m.heatmap));
    default:
      return false;
  }
}

/** Checks a message from a webview before the host acts on it. */
export function isFromWebview(m: unknown): m is FromWebview {
  if (!isObject(m)) return false;
  switch (m.type) {
    case 'ready':
      return true;
    case 'revealLayer':
      return isLayerName(m.layer);
    case 'openRunFile':
      return isStr(m.file) && (RUN_FILES as readonly string[]).includes(m.file);
    case 'requestHeatmap':
      return isIndex(m.sample);
    case 'openRelevance':
      return true;
    default:
      return false;
  }
}

/** Checks a panel's saved state (it comes back from the webview on reload). */
export function isPanelState(s: unknown): s is PanelState {
  return (
    isObject(s) &&
    (s.kind === 'relevance' || s.kind === 'diff' || s.kind === 'search') &&
    isStr(s.runDir) &&
    s.runDir.length > 0 &&
    (s.modelPath === undefined || isStr(s.modelPath))
  );
}
