/**
 * Messages between the extension host and the PXP webview panels (after vscode-hexeditor's shared protocol): every
 * message has a `type` discriminant, grouped into `ToWebview` and `FromWebview`. Each shape is declared once as a
 * schema check (src/shared/schema.ts) and its type derived from it, so the validators cannot drift from the types.
 * They run on BOTH sides — the host checks what a webview posts, the webview checks what it receives — because a
 * webview is a separate, less trusted document and a malformed message must be dropped, not half-used.
 *
 * The data the panels show (`RelevanceView`, `DiffView`, `SearchView`) is built by the pure view models in src/views
 * from a run folder; this module only declares its shape.
 */
import { isComparisonCurve, isDataInfo, isTrialLine } from '../shared/run-folder/types';
import {
  type Infer,
  array,
  finite,
  index,
  literal,
  number,
  object,
  optional,
  refine,
  string,
  union,
} from '../shared/schema';

export type { ComparisonCurve, DataInfo } from '../shared/run-folder/types';

export const isPanelKind = literal('relevance', 'diff', 'search');
export type PanelKind = Infer<typeof isPanelKind>;

/** Images reach an <img> only as inline PNGs: never a remote or file URL. */
const pngDataUri = refine(string, (v) => v.startsWith('data:image/png;base64,'));
/** Layer names are model identifiers: no control characters, bounded length. */
const layerName = refine(string, (v) => v.length > 0 && v.length <= 256 && !/[\u0000-\u001f]/.test(v));
const numbers = array(number);

// ---------------------------------------------------------------------------------------------------------------
// Relevance panel
// ---------------------------------------------------------------------------------------------------------------

export const isRelevanceLayer = object({
  name: layerName,
  /** 'conv' (a channel per component) or 'dense' (a neuron per component). */
  kind: string,
  /** Mean relevance over the samples (attribution folder) or the criterion's score (prune run), per component. */
  mean: numbers,
  /** Per sample, per component (attribution folders only). */
  perSample: optional(array(numbers)),
});
export type RelevanceLayer = Infer<typeof isRelevanceLayer>;

export const isRelevanceSample = object({
  index: number,
  /** The class explained. */
  target: number,
  /** The input | relevance heatmap as a data: URI (pxp attribute writes PNGs for the first samples only). */
  heatmap: optional(pngDataUri),
  /** Sum of the input relevance (input.npy) of this sample. */
  inputSum: number,
  /** Relevance put on the output: 1 with the one-hot initialisation; undefined when the files cannot tell. */
  outputSum: optional(number),
  /** Relevance sum at each component layer's output, in `layers` order. */
  layerSums: numbers,
});
export type RelevanceSample = Infer<typeof isRelevanceSample>;

export const isRelevanceView = object({
  kind: literal('relevance'),
  runDir: string,
  /** Where the numbers come from: `pxp attribute` (components.json) or a prune/search run's relevance.json. */
  source: literal('attribution', 'prune'),
  title: string,
  model: optional(string),
  /** The .py file defining most of the model's components (a model from PyTorch with a source-map.json). */
  sourceFile: optional(string),
  /** The composite (attribution) with the rule each layer got, or the prune criterion. */
  composite: optional(object({ name: string, rules: array(object({ name: string, rule: string })) })),
  criterion: optional(string),
  /** Initial relevance: 'one-hot' or 'logit'. */
  init: optional(string),
  layers: array(isRelevanceLayer),
  /** The first samples of the folder (all of them unless the folder is large: see MAX_SAMPLES in relevance-view.ts). */
  samples: array(isRelevanceSample),
  /** The model's class names by index (a sample's `target` indexes them), when the folder records them. */
  classNames: optional(array(string)),
  /** How many samples the folder explains (the layer means use all of them). */
  samplesTotal: optional(number),
  /** Conservation over all samples: mean of input sum / output sum, and the worst |input − output|. */
  conservation: optional(object({ meanRatio: number, worstGap: number, samples: number })),
});
export type RelevanceView = Infer<typeof isRelevanceView>;

// ---------------------------------------------------------------------------------------------------------------
// Architecture diff panel
// ---------------------------------------------------------------------------------------------------------------

/** A figure before and after pruning. */
const pair = object({ original: number, pruned: number });

export const isDiffLayer = object({
  name: layerName,
  className: string,
  /** Channels (conv) or units (dense); undefined for layers without components. */
  components: optional(pair),
  params: pair,
  /** Multiply-accumulates ×2 for one sample; undefined when the shape walk cannot size the layer. */
  flops: optional(pair),
});
export type DiffLayer = Infer<typeof isDiffLayer>;

export const isDiffView = object({
  kind: literal('diff'),
  runDir: string,
  title: string,
  criterion: string,
  model: string,
  /** The .py file defining most of the model's components (a model from PyTorch with a source-map.json). */
  sourceFile: optional(string),
  rate: number,
  /** How the run ranked and chose its rate, when not the defaults: "layer-normalized ranking (mean)", "rate chosen by --max-drop 1". */
  how: optional(array(string)),
  summary: object({
    /** original params / pruned params */
    timesSmaller: number,
    /** original latency / pruned latency (run.json's measured speedup) */
    timesFaster: number,
    /** original FLOPs / pruned FLOPs */
    timesFewerFlops: number,
    /** accuracy at rate 0 of the curve (the unpruned model), and of the pruned model */
    accuracy: object({ original: number, pruned: number, masked: optional(number), finetuned: optional(number) }),
    /** percentage points lost: 100 × (original − pruned) */
    accuracyDropPoints: number,
    params: pair,
    flops: pair,
    latencyMs: object({ original: number, pruned: number, batch: optional(number), engine: optional(string) }),
    components: object({ removed: number, total: number }),
  }),
  layers: array(isDiffLayer),
  /** Why the per-layer table is missing, when it is. */
  layersNote: optional(string),
  /** The pruned accuracy collapsed to near chance, or dropped more than a few points (src/shared/accuracy-warning.ts). */
  warning: optional(object({ kind: literal('collapse', 'drop'), text: string })),
});
export type DiffView = Infer<typeof isDiffView>;

// ---------------------------------------------------------------------------------------------------------------
// Search progress panel
// ---------------------------------------------------------------------------------------------------------------

/** A line of trials.jsonl (src/shared/run-folder) with its parameters in words. */
export const isTrialRow = object({
  ...isTrialLine.shape,
  /** The parameters in words ("low z-plus, mid γ 0.077, …, abs, least-first"), as the CLI logs them. */
  label: string,
});
export type TrialRow = Infer<typeof isTrialRow>;

const importance = array(object({ name: string, importance: finite }));

export const isSearchView = object({
  kind: literal('search'),
  runDir: string,
  title: string,
  model: optional(string),
  /** 'running' while pxp search writes the folder, 'done' when run.json says so. */
  status: literal('running', 'done'),
  sampler: optional(string),
  trialsWanted: optional(number),
  trials: array(isTrialRow),
  /** Best AUC after each trial, in trial order. */
  bestSoFar: numbers,
  /** The search's result; `selection` says how it was picked when it is not simply the best trial (selection.ts). */
  best: optional(object({ number: number, auc: number, holdoutAuc: optional(number), selection: optional(string) })),
  importance,
  /** best vs presets and baselines (comparison.json), once the search has finished; held out where it had data. */
  comparison: optional(array(isComparisonCurve)),
  /** The images the trials were chosen on, and the held-out ones (comparison.json, run.json). */
  evaluation: optional(isDataInfo),
  holdout: optional(isDataInfo),
});
export type SearchView = Infer<typeof isSearchView>;

// ---------------------------------------------------------------------------------------------------------------
// Messages to a webview
// ---------------------------------------------------------------------------------------------------------------

/** The whole panel content (first load, reload, or a changed run file). */
const showMessage = object({ type: literal('show'), view: union(isRelevanceView, isDiffView, isSearchView) });
/** Trials appended to trials.jsonl since the last message, with what they change. */
const trialsAppendedMessage = object({
  type: literal('trialsAppended'),
  trials: array(isTrialRow),
  bestSoFar: numbers,
  importance,
});
/** The run folder could not be read. */
const showErrorMessage = object({ type: literal('showError'), message: string });
/** A relevance heatmap drawn from input.npy for a sample pxp attribute wrote no PNG for (answer to requestHeatmap). */
const heatmapMessage = object({
  type: literal('heatmap'),
  sample: index,
  /** A PNG data: URI, or undefined when the folder's input relevance is not an image. */
  heatmap: optional(pngDataUri),
});

/** Checks a message from the host before the webview uses it. */
export const isToWebview = union(showMessage, trialsAppendedMessage, showErrorMessage, heatmapMessage);
export type ToWebview = Infer<typeof isToWebview>;

// ---------------------------------------------------------------------------------------------------------------
// Messages from a webview
// ---------------------------------------------------------------------------------------------------------------

export const RUN_FILES = [
  'report.html',
  'search.html',
  'run.json',
  'curve.json',
  'best-composite.json',
  'components.json',
  'trials.jsonl',
] as const;
export type RunFileName = (typeof RUN_FILES)[number];

/** Checks a message from a webview before the host acts on it. */
export const isFromWebview = union(
  /** The webview's script is running and wants its content. */
  object({ type: literal('ready') }),
  /** The user clicked a layer: reveal its entry in model.json. */
  object({ type: literal('revealLayer'), layer: layerName }),
  /** Open a file of the run folder (report.html, best-composite.json…) in the editor. */
  object({ type: literal('openRunFile'), file: literal(...RUN_FILES) }),
  /** Draw the relevance heatmap of one sample (relevance panel, samples without a PNG). */
  object({ type: literal('requestHeatmap'), sample: index }),
  /** Open the relevance panel on this panel's run (the scores of relevance.json: the criterion's, or the best composite's). */
  object({ type: literal('openRelevance') }),
);
export type FromWebview = Infer<typeof isFromWebview>;

/** What a panel keeps in `vscode.setState`, so the serializer can reopen it after a reload (checked: it comes back from the webview). */
export const isPanelState = object({
  kind: isPanelKind,
  runDir: refine(string, (v) => v.length > 0),
  modelPath: optional(string),
});
export type PanelState = Infer<typeof isPanelState>;
