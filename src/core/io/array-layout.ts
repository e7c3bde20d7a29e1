/**
 * The user's arrays in the model's own layout. The engine computes channels last (NHWC); a model from PyTorch takes
 * and gives channels first (NCHW), so its .npy inputs are transposed on the way in and relevance on the way out.
 * An NHWC array given to an NCHW model is refused with the transpose that fixes it, never silently reinterpreted.
 */
import { badInput } from '../errors';
import type { Dataset } from './datasets';
import type { ArrayLayout } from './open-model';

/** [N, C, H, W] → [N, H, W, C]. */
export function nchwToNhwc(x: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  const [n, c, h, w] = shape;
  const data = new Float32Array(x.length);
  const plane = h * w;
  for (let s = 0; s < n; s++) {
    const base = s * c * plane;
    for (let ch = 0; ch < c; ch++) {
      const src = base + ch * plane;
      for (let p = 0; p < plane; p++) data[base + p * c + ch] = x[src + p];
    }
  }
  return { data, shape: [n, h, w, c] };
}

/** [N, H, W, C] → [N, C, H, W]. */
export function nhwcToNchw(x: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  const [n, h, w, c] = shape;
  const data = new Float32Array(x.length);
  const plane = h * w;
  for (let s = 0; s < n; s++) {
    const base = s * c * plane;
    for (let ch = 0; ch < c; ch++) {
      const dst = base + ch * plane;
      for (let p = 0; p < plane; p++) data[dst + p] = x[base + p * c + ch];
    }
  }
  return { data, shape: [n, c, h, w] };
}

interface ModelShapes {
  layout: ArrayLayout;
  file: string;
  summary: { inputShape: number[]; fileInputShape: number[] };
}

/**
 * An array the user saved ([N, …sample] or one sample) as the engine wants it. For an NCHW model: [N, C, H, W] is
 * transposed; [N, H, W, C] is an error saying how to transpose it.
 */
export function arrayForEngine(
  x: Float32Array,
  shape: number[],
  model: ModelShapes,
  source: string,
): { x: Float32Array; shape: number[] } {
  const fileShape = model.summary.fileInputShape;
  const full = shape.length === fileShape.length ? [1, ...shape] : shape;
  const sample = full.slice(1).join('×');
  if (sample === fileShape.join('×'))
    return model.layout === 'NCHW'
      ? (({ data, shape: s }) => ({ x: data, shape: s }))(nchwToNhwc(x, full))
      : { x, shape: full };
  if (model.layout === 'NCHW' && sample === model.summary.inputShape.join('×')) {
    throw badInput(
      `${source}: samples are ${full.slice(1).join('×')} (channels last), but ${model.file} is a PyTorch model that takes N×${fileShape.join('×')} (channels first)`,
      'transpose the array: x = np.transpose(x, (0, 3, 1, 2)) and save it again',
    );
  }
  throw badInput(
    `${source}: shape ${shape.join('×')} does not fit the model ${model.file}, which takes N×${fileShape.join('×')}`,
    model.layout === 'NCHW'
      ? 'save the inputs as [N, C, H, W] float32, as PyTorch tensors are'
      : 'save the inputs as [N, ...input shape] (images NHWC, values in [0, 1])',
  );
}

/** Relevance (or any per-input array) back in the user's layout. */
export function arrayForUser(
  x: Float32Array,
  shape: number[],
  layout: ArrayLayout,
): { data: Float32Array; shape: number[] } {
  return layout === 'NCHW' && shape.length === 4 ? nhwcToNchw(x, shape) : { data: x, shape };
}

/** A loaded data set in the engine's layout: .npy samples of an NCHW model are transposed (IDX and images are NHWC already). */
export function datasetForEngine(ds: Dataset, model: ModelShapes): Dataset {
  if (!ds.fromArrays || model.layout !== 'NCHW') return ds;
  const { x, shape } = arrayForEngine(ds.x, ds.shape, model, ds.source);
  return { ...ds, x, shape, fromArrays: false };
}
