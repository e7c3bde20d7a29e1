/**
 * Relevance heatmaps as PNG files. One image's relevance (HWC) is summed over channels, divided by its largest
 * absolute value and drawn with a red-white-blue map centred at 0 (red positive, blue negative, white none), so both
 * the sign and the magnitude can be read. The input image is drawn beside it for orientation. With a legend, a strip
 * below carries the colour scale (−max … 0 … +max of the summed relevance) and a label (the explained class).
 */
import { PNG } from 'pngjs';
import { writeFileAtomic } from '../io/atomic';
import { type Canvas, charWidth, drawText, fillRect, fitText, textHeight, textWidth } from './pixel-font';

const GAP = 2; // white pixels between the input and the heatmap, not scaled
const INK: [number, number, number] = [40, 40, 40];

/** What the strip below the pictures says; absent, the PNG holds the pictures alone. */
export interface HeatmapLegend {
  /** Drawn under the input (or under the scale when there is no input): the explained class, say. */
  label?: string;
}

function checkSize(what: string, data: Float32Array, h: number, w: number, c: number): void {
  if (![h, w, c].every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error(`heatmap: bad image size ${h}x${w}x${c}`);
  }
  if (data.length !== h * w * c) {
    throw new Error(`heatmap: ${what} has ${data.length} values, expected ${h}x${w}x${c} = ${h * w * c}`);
  }
}

/** Per pixel the relevance summed over channels (non-finite sums as 0), and the largest |sum|: the map's scale. */
export function channelSums(
  relevance: Float32Array,
  h: number,
  w: number,
  c: number,
): { sums: Float64Array; max: number } {
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
  return { sums, max };
}

/** The colour of v in [−1, 1]: positive fades green and blue out of white towards red, negative red and green towards blue. */
function colourOf(v: number): [number, number, number] {
  const fade = Math.round(255 * (1 - Math.abs(v)));
  return [v >= 0 ? 255 : fade, fade, v <= 0 ? 255 : fade];
}

/** h*w*3 RGB bytes: the channel-summed relevance, normalized by its max |value|, through the red-white-blue map. */
export function relevanceToRgb(relevance: Float32Array, h: number, w: number, c: number): Uint8Array {
  return sumsToRgb(channelSums(relevance, h, w, c));
}

function sumsToRgb({ sums, max }: { sums: Float64Array; max: number }): Uint8Array {
  const rgb = new Uint8Array(sums.length * 3);
  for (let i = 0; i < sums.length; i++) rgb.set(colourOf(max > 0 ? sums[i] / max : 0), i * 3); // all-zero stays white
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

/** The default enlargement: a 28-pixel image becomes 224 pixels, a 224-pixel one stays as it is. */
export function heatmapScale(h: number, w: number): number {
  return Math.max(1, Math.min(8, Math.floor(224 / Math.max(h, w))));
}

/** The colour scale's end value, short enough for a small picture: 0.034, 12, 1.2E-5. */
export function scaleNumber(max: number): string {
  if (max >= 0.01 && max < 1000) return String(Number(max.toPrecision(2)));
  return max.toExponential(1).toUpperCase();
}

/**
 * PNG bytes: [input | 2px gap | heatmap] when input is given, else the heatmap; pixels enlarged `scale` times
 * (default: heatmapScale). With a legend, a strip below holds the colour bar under the heatmap with its end values and
 * the label.
 */
export function encodeHeatmapPng(
  input: Float32Array | undefined,
  relevance: Float32Array,
  h: number,
  w: number,
  c: number,
  scale = heatmapScale(h, w),
  legend?: HeatmapLegend,
): Uint8Array {
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`heatmap: scale must be a positive integer, got ${scale}`);
  if (input) checkSize('input', input, h, w, c);
  // One pass over the relevance serves the map and the legend's scale.
  const summed = channelSums(relevance, h, w, c);
  const heat = sumsToRgb(summed);
  const panels: Uint8Array[] = input ? [inputToRgb(input, h, w, c), heat] : [heat];
  const pw = w * scale;
  const width = panels.length * pw + (panels.length - 1) * GAP;
  const strip = legend ? legendLayout(pw, !input && !!legend.label) : undefined;
  const height = h * scale + (strip?.height ?? 0);
  const png = new PNG({ width, height });
  png.data.fill(255); // white background (the gap) and opaque alpha
  panels.forEach((rgb, p) => {
    const x0 = p * (pw + GAP);
    for (let y = 0; y < h * scale; y++) {
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
  if (legend && strip) {
    const max = summed.max;
    drawLegend(png, strip, { top: h * scale, heatX: input ? pw + GAP : 0, pw, hasInput: !!input }, max, legend);
  }
  return PNG.sync.write(png);
}

interface LegendLayout {
  /** Font cell size. */
  ts: number;
  height: number;
  barTop: number;
  barHeight: number;
  ticksTop: number;
  labelTop: number;
}

/** Where the strip's parts go, relative to its top; the label gets its own row when no input shares the strip. */
function legendLayout(pw: number, labelRow: boolean): LegendLayout {
  const ts = pw >= 120 ? 2 : 1;
  const pad = 2 * ts;
  const barHeight = 4 * ts;
  const ticksTop = pad + barHeight + ts;
  const labelTop = labelRow ? ticksTop + textHeight(ts) + 2 * ts : 0;
  const height = (labelRow ? labelTop : ticksTop) + textHeight(ts) + pad;
  return { ts, height, barTop: pad, barHeight, ticksTop, labelTop };
}

function drawLegend(
  png: Canvas,
  at: LegendLayout,
  place: { top: number; heatX: number; pw: number; hasInput: boolean },
  max: number,
  legend: HeatmapLegend,
): void {
  const { ts } = at;
  const { top, heatX, pw } = place;
  for (let x = 0; x < pw; x++) {
    const v = pw > 1 ? -1 + (2 * x) / (pw - 1) : 0;
    fillRect(png, heatX + x, top + at.barTop, 1, at.barHeight, colourOf(v));
  }
  // End values where they fit; an all-zero map has no scale, only its 0.
  const y = top + at.ticksTop;
  const zero = '0';
  const zeroX = heatX + Math.floor((pw - textWidth(zero, ts)) / 2);
  const ends = max > 0 ? [`-${scaleNumber(max)}`, `+${scaleNumber(max)}`] : [];
  const gap = charWidth(ts);
  if (ends.length === 2 && textWidth(ends[0], ts) + textWidth(ends[1], ts) + gap <= pw) {
    const rightX = heatX + pw - textWidth(ends[1], ts);
    drawText(png, ends[0], heatX, y, ts, INK);
    drawText(png, ends[1], rightX, y, ts, INK);
    const leftEnd = heatX + textWidth(ends[0], ts);
    if (zeroX >= leftEnd + gap && zeroX + textWidth(zero, ts) + gap <= rightX) drawText(png, zero, zeroX, y, ts, INK);
  } else if (ends.length === 0) {
    drawText(png, zero, zeroX, y, ts, INK);
  }
  if (!legend.label) return;
  const text = fitText(legend.label, pw, ts);
  const labelX = (x0: number) => x0 + Math.floor((pw - textWidth(text, ts)) / 2);
  if (place.hasInput) {
    drawText(png, text, labelX(0), top + Math.floor((at.height - textHeight(ts)) / 2), ts, INK);
  } else {
    drawText(png, text, labelX(heatX), top + at.labelTop, ts, INK);
  }
}

export function writeHeatmapPng(
  file: string,
  input: Float32Array | undefined,
  relevance: Float32Array,
  h: number,
  w: number,
  c: number,
  scale?: number,
  legend?: HeatmapLegend,
): void {
  writeFileAtomic(file, encodeHeatmapPng(input, relevance, h, w, c, scale, legend));
}
