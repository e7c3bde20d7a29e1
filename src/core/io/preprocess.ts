/**
 * torchvision-style preprocessing for image data (image folders, IDX files) fed to a model from PyTorch: resize the
 * shorter side (bilinear, half-pixel centres as torchvision's Resize on tensors), centre crop, grayscale to RGB
 * when the model wants three channels, then (x − mean) / std per channel. `imagenet` is torchvision's recipe for its
 * ImageNet models (256 → 224, ImageNet mean and std); `none` leaves images in [0, 1] at their own size; a JSON file
 * gives any of the fields. .npy arrays are never preprocessed: they are the model's inputs as the user saved them.
 * The same spec gives z-box its per-channel bounds: pixels in [0, 1] become [(0 − mean)/std, (1 − mean)/std].
 */
import fs from 'node:fs';
import { badInput } from '../errors';

export interface Preprocessing {
  name: string;
  /** The shorter side after resizing (aspect kept). */
  resize?: number;
  /** The centre crop, [height, width]. */
  crop?: [number, number];
  mean?: number[];
  std?: number[];
}

const PREPROCESSING_PRESETS: Record<string, Preprocessing> = {
  none: { name: 'none' },
  imagenet: {
    name: 'imagenet',
    resize: 256,
    crop: [224, 224],
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  },
};

const HINT =
  'use imagenet, none, or a JSON file like {"resize": 256, "crop": 224, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}';

/** `--preprocess imagenet|none|FILE.json`. */
export function parsePreprocessing(arg: string): Preprocessing {
  const preset = PREPROCESSING_PRESETS[arg];
  if (preset) return preset;
  if (!fs.existsSync(arg)) throw badInput(`--preprocess ${arg}: neither a preset nor a file`, HINT);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(arg, 'utf8'));
  } catch (e) {
    throw badInput(`${arg}: not valid JSON (${(e as Error).message})`, HINT);
  }
  const o = json as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw badInput(`${arg}: not a JSON object`, HINT);
  const fail = (key: string, problem: string): never => {
    throw badInput(`${arg}: ${key}: ${problem}`, HINT);
  };
  for (const k of Object.keys(o))
    if (!['resize', 'crop', 'mean', 'std'].includes(k)) fail(k, 'unknown key (resize, crop, mean, std)');
  const positive = (v: unknown, key: string) =>
    typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : fail(key, 'expected a positive whole number');
  const spec: Preprocessing = { name: arg };
  if (o.resize !== undefined) spec.resize = positive(o.resize, 'resize');
  if (o.crop !== undefined) {
    const c = Array.isArray(o.crop) ? o.crop : [o.crop, o.crop];
    if (c.length !== 2) fail('crop', 'expected a size or [height, width]');
    spec.crop = [positive(c[0], 'crop'), positive(c[1], 'crop')];
  }
  for (const key of ['mean', 'std'] as const) {
    const v = o[key];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x)))
      fail(key, 'expected a list of numbers, one per channel');
    if (key === 'std' && (v as number[]).some((x) => x <= 0)) fail(key, 'every std must be > 0');
    spec[key] = v as number[];
  }
  if ((spec.mean === undefined) !== (spec.std === undefined))
    fail(spec.mean ? 'std' : 'mean', 'give mean and std together');
  if (spec.mean && spec.std && spec.mean.length !== spec.std.length)
    fail('std', `${spec.std.length} values for ${spec.mean.length} means`);
  return spec;
}

export interface ImageHWC {
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

/** Bilinear resize with half-pixel centres (align_corners = False), HWC. */
function resizeBilinear(img: ImageHWC, height: number, width: number): ImageHWC {
  const { data, channels: c } = img;
  const out = new Float32Array(height * width * c);
  const sy = img.height / height;
  const sx = img.width / width;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const wx = fx - x0;
      for (let ch = 0; ch < c; ch++) {
        const at = (yy: number, xx: number) => data[(yy * img.width + xx) * c + ch];
        const top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx;
        const bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx;
        out[(y * width + x) * c + ch] = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return { data: out, height, width, channels: c };
}

/** One image through the spec; `channels` is what the model takes (a gray image is repeated to three). */
export function preprocessImage(img: ImageHWC, spec: Preprocessing, channels: number): ImageHWC {
  let out = img;
  if (spec.resize) {
    const scale = spec.resize / Math.min(img.height, img.width);
    out = resizeBilinear(out, Math.round(img.height * scale), Math.round(img.width * scale));
  }
  if (spec.crop) {
    const [ch, cw] = spec.crop;
    if (ch > out.height || cw > out.width)
      throw badInput(
        `a ${out.height}×${out.width} image cannot be centre-cropped to ${ch}×${cw}`,
        'set resize to at least the crop size',
      );
    const top = Math.round((out.height - ch) / 2);
    const left = Math.round((out.width - cw) / 2);
    const data = new Float32Array(ch * cw * out.channels);
    for (let y = 0; y < ch; y++)
      data.set(
        out.data.subarray(
          ((top + y) * out.width + left) * out.channels,
          ((top + y) * out.width + left + cw) * out.channels,
        ),
        y * cw * out.channels,
      );
    out = { data, height: ch, width: cw, channels: out.channels };
  }
  if (out.channels === 1 && channels === 3) {
    const data = new Float32Array(out.height * out.width * 3);
    for (let p = 0; p < out.height * out.width; p++) data[3 * p] = data[3 * p + 1] = data[3 * p + 2] = out.data[p];
    out = { ...out, data, channels: 3 };
  }
  if (spec.mean && spec.std) {
    const { mean, std } = spec;
    if (mean.length !== out.channels)
      throw badInput(
        `--preprocess ${spec.name}: ${mean.length} means for images with ${out.channels} channels`,
        'give one mean and std per channel of the model input',
      );
    const data = out === img ? new Float32Array(out.data) : out.data;
    for (let i = 0; i < data.length; i++) data[i] = (data[i] - mean[i % out.channels]) / std[i % out.channels];
    out = { ...out, data };
  }
  return out;
}

/** Per-channel bounds of the model's input for pixels in [low, high] (z-box's bounds). */
export function inputBounds(
  spec: Preprocessing | undefined,
  low: number,
  high: number,
  channels: number,
): { low: number[]; high: number[] } {
  const mean = spec?.mean ?? new Array<number>(channels).fill(0);
  const std = spec?.std ?? new Array<number>(channels).fill(1);
  return { low: mean.map((m, c) => (low - m) / std[c]), high: mean.map((m, c) => (high - m) / std[c]) };
}
