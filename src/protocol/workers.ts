/**
 * Messages between a job and its worker threads (src/workers). A thread starts from its `workerData`, a
 * `WorkerData` (`kind` says which job); an attribute thread posts `FromAttributeWorker` messages until its result,
 * a search-trials thread answers each `ToTrialWorker` with a `FromTrialWorker`. Worker messages are structured
 * clones within one process, so they are typed here but not validated.
 */
import type { BackendPreference } from '../core/backend/select';
import type { PxpErrorCode } from '../core/errors';
import type { Dataset } from '../core/io/datasets';
import type { AttributionResult, ExecutorPreference } from '../core/lrp/attribute';
import type { CompositeSpec } from '../core/lrp/composites';
import type { InitMode } from '../core/lrp/explanation-plan';
import type { Curve } from '../core/prune/curve';
import type { Normalization } from '../core/prune/normalize';
import type { Relevance } from '../core/search/attribution-search';
import type { LayerGroups } from '../core/search/lrp-space';
import type { Params } from '../core/search/space';

/** A failure, as a PxpError's fields (errors do not survive the structured clone as PxpError). */
interface WorkerFailure {
  code: PxpErrorCode;
  message: string;
  hint?: string;
}

/** LRP attribution of one slice of the samples (parallel.ts), on the thread's own tfjs backend. */
export interface AttributeTask {
  kind: 'attribute';
  backend: BackendPreference;
  modelPath: string;
  composite: CompositeSpec;
  x: Float32Array;
  shape: number[];
  targets?: Int32Array;
  init?: InitMode;
  batchSize?: number;
}

export type FromAttributeWorker =
  | { type: 'progress'; done: number }
  | { type: 'result'; value: AttributionResult }
  | ({ type: 'error' } & WorkerFailure);

/** A search-trials thread (search-trials.ts): loads the model and the data once, then scores one point per message. */
export interface SearchTrialsInit {
  kind: 'search-trials';
  backend: BackendPreference;
  modelPath: string;
  reference: Dataset;
  evaluation: Dataset;
  classes?: number[];
  /** Transformers: which components the search prunes (--components), as in the parent. */
  components?: string;
  groups: LayerGroups;
  rates?: number[];
  normalize?: Normalization;
  executor?: ExecutorPreference;
  /** onnxruntime threads of this worker: the cores shared out between the workers. */
  ortThreads: number;
}

/** Score a point; `relevance` is sent when the parent already knows it for the point's rule assignment. */
export type ToTrialWorker = { type: 'trial'; id: number; params: Params; relevance?: Relevance };

export type FromTrialWorker =
  | { type: 'ready' }
  | { type: 'trial-result'; id: number; curve: Curve; relevance?: Relevance; seconds: number }
  /** Without an id, the thread failed to start. */
  | ({ type: 'failed'; id?: number } & WorkerFailure);

export type WorkerData = AttributeTask | SearchTrialsInit;
