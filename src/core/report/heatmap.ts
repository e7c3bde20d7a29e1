/**
 * Relevance heatmaps as PNG files. One image's relevance (HWC) is summed over channels, divided by its largest
 * absolute value and drawn with a red-white-blue map centred at 0 (red positive, blue negative, white none), so both
 * the sign and the magnitude can be read. The input image is drawn beside it for orientation.
 */
import { PNG } from 'pngjs';
import { writeFileAtomic } from '../io/atomic';

const GAP = 2; // white pixels between the input and the heatmap, not scaled

function checkSize(what: string, data: Float32Array, h: number, w: number, c: number): void {
  if (![h, w, c].every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error(`heatmap: bad image size ${h}x${w}x${c}`);
  }
  if (data.length !== h * w * c) {
    throw new Error(`heatmap: ${what} has ${data.length} values, expected ${h}x${w}x${c} = ${h * w * c}`);
  }
}

/** h*w*3 RGB bytes: the channel-summed relevance, normalized by its max |value|, through the red-white-blue map. */
export function relevanceToRgb(relevance: Float32Array, h: number, w: number, c: number): Uint8Array {
  checkSize('relevance', relevance, h, w, c);
  const n = h * w;
  const sums = new Float64Array(n);
  let max = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += relevance[i * c + k];
    // A non-finite value (a diverged attribution) is drawn white rather than washing out the whole map.
    sums[i] = Number.isFinite(s) ? s : 0;
    max = Math.max(max, Math.abs(sums[i]));
  }
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const v = max > 0 ? sums[i] / max : 0; // all-zero relevance stays white
    // Positive values fade green and blue out of white towards red; negative ones fade red and green towards blue.
    const fade = Math.round(255 * (1 - Math.abs(v)));
    rgb[i * 3] = v >= 0 ? 255 : fade;
    rgb[i * 3 + 1] = fade;
    rgb[i * 3 + 2] = v <= 0 ? 255 : fade;
  }
  return rgb;
}

/** The input in [0, 1] as RGB bytes: grayscale for one channel, RGB for three, the channel mean otherwise. */
function inputToRgb(input: Float32Array, h: number, w: number, c: number): Uint8Array {
  const n = h * w;
  const rgb = new Uint8Array(n * 3);
  const byte = (x: number) => (Number.isFinite(x) ? Math.round(255 * Math.min(1, Math.max(0, x))) : 0);
  for (let i = 0; i < n; i++) {
    if (c === 3) {
      for (let k = 0; k < 3; k++) rgb[i * 3 + k] = byte(input[i * 3 + k]);
    } else {
      let s = 0;
      for (let k = 0; k < c; k++) s += input[i * c + k];
      rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = byte(s / c);
    }
  }
  return rgb;
}

/** PNG bytes: [input | 2px gap | heatmap] when input is given, else the heatmap; pixels enlarged `scale` times. */
export function encodeHeatmapPng(
  input: Float32Array | undefined,
  relevance: Float32Array,
  h: number,
  w: number,
  c: number,
  scale = 8,
): Uint8Array {
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`heatmap: scale must be a positive integer, got ${scale}`);
  if (input) checkSize('input', input, h, w, c);
  const heat = relevanceToRgb(relevance, h, w, c);
  const panels: Uint8Array[] = input ? [inputToRgb(input, h, w, c), heat] : [heat];
  const pw = w * scale;
  const width = panels.length * pw + (panels.length - 1) * GAP;
  const height = h * scale;
  const png = new PNG({ width, height });
  png.data.fill(255); // white background (the gap) and opaque alpha
  panels.forEach((rgb, p) => {
    const x0 = p * (pw + GAP);
    for (let y = 0; y < height; y++) {
      const row = Math.floor(y / scale) * w;
      for (let x = 0; x < pw; x++) {
        const src = (row + Math.floor(x / scale)) * 3;
        const dst = (y * width + x0 + x) * 4;
        png.data[dst] = rgb[src];
        png.data[dst + 1] = rgb[src + 1];
        png.data[dst + 2] = rgb[src + 2];
      }
    }
  });
  return PNG.sync.write(png);
}

export function writeHeatmapPng(
  file: string,
  input: Float32Array | undefined,
  relevance: Float32Array,
  h: number,
  w: number,
  c: number,
  scale?: number,
): void {
  writeFileAtomic(file, encodeHeatmapPng(input, relevance, h, w, c, scale));
}
