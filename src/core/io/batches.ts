/**
 * Batches over a data set for every loop that feeds a model (evaluation, criteria, attribution, masked curves,
 * training): each batch is checked against the cancel signal before it is handed out, and the loop yields to the
 * event loop between batches so that progress messages, IPC and Ctrl+C get through.
 */
import { throwIfCancelled, yieldToEventLoop } from '../progress';

/** Row-major samples ([N, ...sample]), with labels when they have them (a Dataset is one). */
export interface Samples {
  x: Float32Array;
  shape: number[];
  y?: Int32Array;
}

export interface Batch {
  /** 0-based position of the batch in the run. */
  index: number;
  /** The rows [from, to) of the data (of `order` when given). */
  from: number;
  to: number;
  /** Real rows in the batch: to − from. */
  size: number;
  /** The rows' samples: a view into the data, a gathered copy (`order`) or a zero-padded buffer (`padTo`). */
  x: Float32Array;
  /** x's shape: [rows in x, ...sample]. */
  shape: number[];
}

export interface LabelledBatch extends Batch {
  /** The rows' labels. */
  y: Int32Array;
}

export interface BatchControl {
  signal?: AbortSignal;
  /** Take the rows in this order (a shuffled epoch): x and y are then fresh copies. */
  order?: ArrayLike<number>;
  /** Fill x with zero rows up to the full batch size (a graph compiled for a static batch); x is one reused buffer. */
  padToSize?: boolean;
  /** Yield to the event loop after every this many batches (default 1). */
  yieldEvery?: number;
}

export function batchesOf(
  data: Samples & { y: Int32Array },
  size: number,
  control?: BatchControl,
): AsyncGenerator<LabelledBatch>;
export function batchesOf(data: Samples, size: number, control?: BatchControl): AsyncGenerator<Batch>;
export async function* batchesOf(
  data: Samples,
  size: number,
  control: BatchControl = {},
): AsyncGenerator<Batch | LabelledBatch> {
  const n = data.y?.length ?? data.shape[0];
  const per = data.x.length / n;
  const sample = data.shape.slice(1);
  const every = control.yieldEvery ?? 1;
  const padded = control.padToSize ? new Float32Array(size * per) : undefined;
  for (let index = 0, from = 0; from < n; index++, from += size) {
    throwIfCancelled(control.signal);
    const to = Math.min(n, from + size);
    const rows = rowsOf(data, per, from, to, control.order);
    let x = rows.x;
    if (padded) {
      padded.fill(0);
      padded.set(x);
      x = padded;
    }
    const batch: Batch = { index, from, to, size: to - from, x, shape: [x.length / per, ...sample] };
    yield rows.y ? { ...batch, y: rows.y } : batch;
    if (index % every === every - 1) await yieldToEventLoop();
  }
}

/** Rows [from, to) as views, or gathered through `order`. */
function rowsOf(
  data: Samples,
  per: number,
  from: number,
  to: number,
  order?: ArrayLike<number>,
): { x: Float32Array; y?: Int32Array } {
  if (!order) return { x: data.x.subarray(from * per, to * per), y: data.y?.subarray(from, to) };
  const x = new Float32Array((to - from) * per);
  const y = data.y ? new Int32Array(to - from) : undefined;
  for (let i = from; i < to; i++) {
    x.set(data.x.subarray(order[i] * per, (order[i] + 1) * per), (i - from) * per);
    if (y) y[i - from] = data.y![order[i]];
  }
  return { x, y };
}
