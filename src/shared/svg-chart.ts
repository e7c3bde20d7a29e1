/**
 * Small dependency-free SVG charts for run reports: line charts (accuracy or cost against the pruning rate) and
 * horizontal bar charts (per-layer scores). Axes and text use `currentColor`, so an inlined chart follows the page's
 * light or dark theme; series colours come from the Okabe–Ito palette, which colour-blind readers can tell apart,
 * and each series also gets its own marker shape (and, past the palette's seven colours, a dash pattern). The output is a pure function of the input (same spec, same
 * string), so reports can be diffed and tested.
 */

export type Point = [number, number];

export interface Series {
  name: string;
  points: Point[];
  /** The curve the chart is about (a search's best composite): drawn bold, on top of the others. */
  emphasis?: boolean;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Axis ranges; by default the data's range, widened to round tick values. Values outside are drawn at the edge. */
  xDomain?: [number, number];
  yDomain?: [number, number];
  width?: number;
  height?: number;
  xFormat?: (x: number) => string;
  yFormat?: (y: number) => string;
  /** Whole-number x ticks only (trial numbers): a short range gets 1, 2, 3, never "1 1 1 2 2 2" from rounded halves. */
  xIntegers?: boolean;
  /** The plot area stays at least this tall however many rows the legend takes (the chart grows instead). */
  minPlotHeight?: number;
}

export interface Bar {
  label: string;
  value: number;
}

export interface BarChartSpec {
  title: string;
  bars: Bar[];
  /** Label of the value axis (drawn under the bars). */
  valueLabel?: string;
  /** Value range; by default from 0 (or the smallest negative value) to the largest value, rounded to ticks. */
  domain?: [number, number];
  width?: number;
  /** Default: enough for every bar (22 px a row). */
  height?: number;
  /** Text after each bar; default: the tick format. */
  valueFormat?: (v: number) => string;
  tickFormat?: (v: number) => string;
}

/** Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency. Yellow last: weak on white. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442'];
/** Series 8–14 reuse the colours dashed, 15–21 dotted: ten curves in one chart stay told apart. */
export const DASHES = ['', '7 4', '2 3'];

/** Colour and dash pattern of series i. */
export function seriesStyle(i: number): { color: string; dash: string } {
  return { color: PALETTE[i % PALETTE.length], dash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length] };
}

const dashAttr = (dash: string) => (dash ? ` stroke-dasharray="${dash}"` : '');

const FONT = 12;
const TITLE_FONT = 14;
/** Mean advance of a system-ui glyph at 12 px, to lay out labels without measuring text. */
const CHAR_W = 6.8;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A coordinate with one decimal: short output, and no float noise that would make equal inputs differ. */
function n(v: number): string {
  const r = Math.round(v * 10) / 10;
  return String(r === 0 ? 0 : r);
}

function textWidth(text: string, size = FONT): number {
  return text.length * CHAR_W * (size / FONT);
}

/** Round tick values covering [lo, hi]: steps of 1, 2, 2.5 or 5 times a power of ten, about `target` of them. */
export function niceTicks(lo: number, hi: number, target = 5): { ticks: number[]; step: number } {
  const step = niceStep(hi - lo, target);
  const ticks: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  for (let i = first; i <= last; i++) ticks.push(clean(i * step));
  return { ticks, step };
}

function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return clean((f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag);
}

/** Whole-number ticks covering [lo, hi]: niceTicks' step, at least 1 and rounded down to an integer. */
export function integerTicks(lo: number, hi: number, target = 5): { ticks: number[]; step: number } {
  const step = Math.max(1, Math.floor(niceStep(hi - lo, target)));
  const ticks: number[] = [];
  // + 0 turns the -0 of ceil(-1e-9) into 0.
  for (let v = Math.ceil(lo / step - 1e-9) * step + 0; v <= hi + 1e-9; v += step) ticks.push(v);
  return { ticks, step };
}

/** Drops binary-float noise (0.30000000000000004 → 0.3). */
function clean(v: number): number {
  return Number(v.toPrecision(12));
}

/** The data range widened to whole ticks; a single value gets a unit-wide (or ±10 %) range around it. */
function autoDomain(values: number[], includeZero = false): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (includeZero) finite.push(0);
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const { step } = niceTicks(lo, hi);
  return [clean(Math.floor(lo / step + 1e-9) * step), clean(Math.ceil(hi / step - 1e-9) * step)];
}

/** Tick labels with as many decimals as the step needs; thousands and millions shortened to k and M. */
function tickFormat(step: number): (v: number) => string {
  if (step >= 1e6 && step % 1e6 === 0) return (v) => (v === 0 ? '0' : `${clean(v / 1e6)}M`);
  if (step >= 1e3 && step % 1e3 === 0) return (v) => (v === 0 ? '0' : `${clean(v / 1e3)}k`);
  const text = String(step);
  const decimals = text.includes('e')
    ? Math.min(12, 1 - Math.floor(Math.log10(step)))
    : (text.split('.')[1] ?? '').length;
  return (v) => (v === 0 ? '0' : v.toFixed(decimals));
}

/** A value for hover text: four significant digits. */
function hoverNumber(v: number): string {
  return String(clean(Number(v.toPrecision(4))));
}

/** A marker centred at (x, y): circle, square, diamond or triangle by series index, so series differ by shape too. */
function marker(shape: number, x: number, y: number, color: string, title?: string): string {
  const t = title === undefined ? '' : `<title>${escapeXml(title)}</title>`;
  const attrs = `fill="${color}" stroke="${color}"`;
  switch (shape % 4) {
    case 0:
      return `<circle cx="${n(x)}" cy="${n(y)}" r="3.2" ${attrs}>${t}</circle>`;
    case 1:
      return `<rect x="${n(x - 3)}" y="${n(y - 3)}" width="6" height="6" ${attrs}>${t}</rect>`;
    case 2:
      return `<path d="M${n(x)} ${n(y - 4)}L${n(x + 4)} ${n(y)}L${n(x)} ${n(y + 4)}L${n(x - 4)} ${n(y)}Z" ${attrs}>${t}</path>`;
    default:
      return `<path d="M${n(x)} ${n(y - 4)}L${n(x + 3.8)} ${n(y + 3)}L${n(x - 3.8)} ${n(y + 3)}Z" ${attrs}>${t}</path>`;
  }
}

function svgOpen(width: number, height: number, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="pxp-chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ` +
    `font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="${FONT}" role="img" aria-label="${escapeXml(title)}">` +
    `<title>${escapeXml(title)}</title>`
  );
}

function titleText(x: number, title: string): string {
  return `<text x="${n(x)}" y="20" font-size="${TITLE_FONT}" font-weight="600" fill="currentColor">${escapeXml(title)}</text>`;
}

interface LegendItem {
  name: string;
  color: string;
  dash: string;
  shape: number;
  emphasis?: boolean;
}

/** Legend items in rows that wrap at `maxWidth`. */
function legendRows(items: LegendItem[], maxWidth: number): LegendItem[][] {
  const rows: LegendItem[][] = [];
  let row: LegendItem[] = [];
  let used = 0;
  for (const item of items) {
    const w = legendItemWidth(item);
    if (row.length > 0 && used + w > maxWidth) {
      rows.push(row);
      row = [];
      used = 0;
    }
    row.push(item);
    used += w;
  }
  if (row.length) rows.push(row);
  return rows;
}

const legendItemWidth = (item: LegendItem) => 30 + textWidth(item.name) + 18;
const LEGEND_ROW = 18;

function drawLegend(rows: LegendItem[][], x0: number, y0: number): string {
  const out: string[] = ['<g class="legend">'];
  rows.forEach((row, r) => {
    let x = x0;
    const y = y0 + r * LEGEND_ROW;
    for (const item of row) {
      out.push(
        `<g><line x1="${n(x)}" y1="${n(y)}" x2="${n(x + 24)}" y2="${n(y)}" stroke="${item.color}" stroke-width="${item.emphasis ? 4 : 2.5}" stroke-linecap="round"${dashAttr(item.dash)}/>` +
          marker(item.shape, x + 12, y, item.color) +
          `<text x="${n(x + 30)}" y="${n(y)}" dominant-baseline="central" fill="currentColor"${item.emphasis ? ' font-weight="700"' : ''}>${escapeXml(item.name)}</text></g>`,
      );
      x += legendItemWidth(item);
    }
  });
  out.push('</g>');
  return out.join('');
}

/** Where a chart's plot area lies and how values map into it. */
interface Frame {
  left: number;
  top: number;
  plotW: number;
  plotH: number;
  sx: (x: number) => number;
  sy: (y: number) => number;
}

/** Gridlines, axes, tick marks, tick labels and the two axis labels of a line chart. */
function axesSvg(
  frame: Frame,
  xTicks: number[],
  yTicks: number[],
  xFormat: (x: number) => string,
  yTickLabels: string[],
  spec: LineChartSpec,
): string[] {
  const { left, top, plotW, plotH, sx, sy } = frame;
  const out: string[] = [];
  // Gridlines and ticks.
  out.push('<g class="grid" stroke="currentColor" stroke-opacity="0.15" stroke-width="1">');
  for (const t of xTicks) out.push(`<line x1="${n(sx(t))}" y1="${n(top)}" x2="${n(sx(t))}" y2="${n(top + plotH)}"/>`);
  for (const t of yTicks) out.push(`<line x1="${n(left)}" y1="${n(sy(t))}" x2="${n(left + plotW)}" y2="${n(sy(t))}"/>`);
  out.push('</g>');
  out.push('<g class="axes" stroke="currentColor" stroke-opacity="0.7" stroke-width="1" fill="none">');
  out.push(`<path d="M${n(left)} ${n(top)}V${n(top + plotH)}H${n(left + plotW)}"/>`);
  for (const t of xTicks)
    out.push(`<line x1="${n(sx(t))}" y1="${n(top + plotH)}" x2="${n(sx(t))}" y2="${n(top + plotH + 5)}"/>`);
  for (const t of yTicks) out.push(`<line x1="${n(left - 5)}" y1="${n(sy(t))}" x2="${n(left)}" y2="${n(sy(t))}"/>`);
  out.push('</g>');
  out.push('<g class="tick-labels" fill="currentColor" fill-opacity="0.85">');
  for (const t of xTicks)
    out.push(
      `<text class="x-tick" x="${n(sx(t))}" y="${n(top + plotH + 18)}" text-anchor="middle">${escapeXml(xFormat(t))}</text>`,
    );
  yTicks.forEach((t, i) =>
    out.push(
      `<text class="y-tick" x="${n(left - 8)}" y="${n(sy(t))}" text-anchor="end" dominant-baseline="central">${escapeXml(yTickLabels[i])}</text>`,
    ),
  );
  out.push('</g>');
  out.push(
    `<text class="x-label" x="${n(left + plotW / 2)}" y="${n(top + plotH + 36)}" text-anchor="middle" fill="currentColor">${escapeXml(spec.xLabel)}</text>`,
  );
  out.push(
    `<text class="y-label" transform="translate(${n(12)} ${n(top + plotH / 2)}) rotate(-90)" text-anchor="middle" dominant-baseline="central" fill="currentColor">${escapeXml(spec.yLabel)}</text>`,
  );
  return out;
}

/** Each series of a line chart: a polyline and its markers. */
function seriesSvg(
  spec: LineChartSpec,
  items: { color: string; dash: string }[],
  frame: Frame,
  yFormat: (y: number) => string,
): string[] {
  const { sx, sy } = frame;
  const out: string[] = [];
  // Series: a round-joined polyline, then markers whose <title> shows the values on hover; emphasised ones last, on top.
  const order = spec.series
    .map((_, i) => i)
    .sort((a, b) => Number(!!spec.series[a].emphasis) - Number(!!spec.series[b].emphasis));
  order.forEach((i) => {
    const s = spec.series[i];
    const { color, dash } = items[i];
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    out.push(`<g class="series${s.emphasis ? ' emphasis' : ''}" data-series="${i}">`);
    if (pts.length > 1) {
      out.push(
        `<polyline points="${pts.map(([x, y]) => `${n(sx(x))},${n(sy(y))}`).join(' ')}" fill="none" stroke="${color}" stroke-width="${s.emphasis ? 3.8 : 2.2}" stroke-linejoin="round" stroke-linecap="round"${dashAttr(dash)}/>`,
      );
    }
    for (const [x, y] of pts)
      out.push(
        marker(i, sx(x), sy(y), color, `${s.name}: ${spec.xLabel} ${hoverNumber(x)}, ${spec.yLabel} ${yFormat(y)}`),
      );
    out.push('</g>');
  });
  return out;
}

/** A line chart: axes with ticks and gridlines, one polyline with markers per series, a legend under the x axis. */
export function lineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 640;
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1]));
  const [x0, x1] = spec.xDomain ?? autoDomain(xs);
  const [y0, y1] = spec.yDomain ?? autoDomain(ys);
  const xt = (spec.xIntegers ? integerTicks : niceTicks)(x0, x1, Math.max(2, Math.round(width / 90)));
  const xFormat = spec.xFormat ?? tickFormat(xt.step);
  const items = spec.series.map((s, i) => ({ name: s.name, ...seriesStyle(i), shape: i, emphasis: s.emphasis }));
  const top = 36;
  const right = 18;
  const yAxisFor = (h: number) => {
    const ticks = niceTicks(y0, y1, Math.max(2, Math.round(h / 60)));
    const format = spec.yFormat ?? tickFormat(ticks.step);
    const labels = ticks.ticks.map(format);
    return { ticks, format, labels, left: 22 + Math.max(0, ...labels.map((t) => textWidth(t))) + 10 };
  };
  let yAxis = yAxisFor(spec.height ?? 400);
  const rows = legendRows(items, width - yAxis.left - right);
  const bottom = 44 + rows.length * LEGEND_ROW + (rows.length ? 6 : 0);
  const height = Math.max(spec.height ?? 400, top + bottom + (spec.minPlotHeight ?? 0));
  // A chart grown for its legend gets ticks for its height, unless their labels would widen the margin the legend was laid out in.
  if (height !== (spec.height ?? 400)) {
    const taller = yAxisFor(height);
    if (taller.left <= yAxis.left) yAxis = { ...taller, left: yAxis.left };
  }
  const { ticks: yt, format: yFormat, labels: yTickLabels, left } = yAxis;
  const plotW = Math.max(10, width - left - right);
  const plotH = Math.max(10, height - top - bottom);
  const sx = (x: number) =>
    left + (x1 === x0 ? 0.5 : (Math.min(Math.max(x, Math.min(x0, x1)), Math.max(x0, x1)) - x0) / (x1 - x0)) * plotW;
  const sy = (y: number) =>
    top +
    plotH -
    (y1 === y0 ? 0.5 : (Math.min(Math.max(y, Math.min(y0, y1)), Math.max(y0, y1)) - y0) / (y1 - y0)) * plotH;

  const out: string[] = [svgOpen(width, height, spec.title), titleText(left, spec.title)];
  const frame: Frame = { left, top, plotW, plotH, sx, sy };
  out.push(...axesSvg(frame, xt.ticks, yt.ticks, xFormat, yTickLabels, spec));
  out.push(...seriesSvg(spec, items, frame, yFormat));
  out.push(drawLegend(rows, left, top + plotH + 56));
  out.push('</svg>');
  return out.join('');
}

/** Horizontal bars, one row per label, with the value printed after each bar. */
export function barChart(spec: BarChartSpec): string {
  const width = spec.width ?? 640;
  const rowH = 22;
  const top = 36;
  const bottom = spec.valueLabel ? 48 : 30;
  const height = spec.height ?? top + Math.max(1, spec.bars.length) * rowH + bottom;
  const values = spec.bars.map((b) => b.value);
  const [d0, d1] = spec.domain ?? autoDomain(values, true);
  const ticks = niceTicks(d0, d1, Math.max(2, Math.round(width / 110)));
  const format = spec.tickFormat ?? tickFormat(ticks.step);
  const valueFormat = spec.valueFormat ?? format;
  const valueText = spec.bars.map((b) => (Number.isFinite(b.value) ? valueFormat(b.value) : '—'));
  const left = 12 + Math.max(0, ...spec.bars.map((b) => textWidth(b.label))) + 10;
  const right = 12 + Math.max(0, ...valueText.map((t) => textWidth(t))) + 6;
  const plotW = Math.max(10, width - left - right);
  const plotH = Math.max(10, height - top - bottom);
  const row = plotH / Math.max(1, spec.bars.length);
  const sx = (v: number) => left + (d1 === d0 ? 0 : (Math.min(Math.max(v, d0), d1) - d0) / (d1 - d0)) * plotW;
  const zero = sx(Math.min(Math.max(0, d0), d1));

  const out: string[] = [svgOpen(width, height, spec.title), titleText(12, spec.title)];
  out.push('<g class="grid" stroke="currentColor" stroke-opacity="0.15" stroke-width="1">');
  for (const t of ticks.ticks)
    out.push(`<line x1="${n(sx(t))}" y1="${n(top)}" x2="${n(sx(t))}" y2="${n(top + plotH)}"/>`);
  out.push('</g>');
  out.push('<g class="axes" stroke="currentColor" stroke-opacity="0.7" stroke-width="1" fill="none">');
  out.push(`<path d="M${n(left)} ${n(top + plotH)}H${n(left + plotW)}"/>`);
  out.push(`<line x1="${n(zero)}" y1="${n(top)}" x2="${n(zero)}" y2="${n(top + plotH)}"/>`);
  for (const t of ticks.ticks)
    out.push(`<line x1="${n(sx(t))}" y1="${n(top + plotH)}" x2="${n(sx(t))}" y2="${n(top + plotH + 5)}"/>`);
  out.push('</g>');
  out.push('<g class="tick-labels" fill="currentColor" fill-opacity="0.85">');
  for (const t of ticks.ticks)
    out.push(
      `<text class="x-tick" x="${n(sx(t))}" y="${n(top + plotH + 18)}" text-anchor="middle">${escapeXml(format(t))}</text>`,
    );
  out.push('</g>');
  if (spec.valueLabel) {
    out.push(
      `<text class="x-label" x="${n(left + plotW / 2)}" y="${n(top + plotH + 38)}" text-anchor="middle" fill="currentColor">${escapeXml(spec.valueLabel)}</text>`,
    );
  }
  spec.bars.forEach((b, i) => {
    const cy = top + (i + 0.5) * row;
    const thick = Math.min(14, row * 0.7);
    const v = Number.isFinite(b.value) ? b.value : 0;
    const a = Math.min(zero, sx(v));
    const w = Math.abs(sx(v) - zero);
    out.push(
      `<g class="bar"><text x="${n(left - 8)}" y="${n(cy)}" text-anchor="end" dominant-baseline="central" fill="currentColor">${escapeXml(b.label)}</text>` +
        `<rect x="${n(a)}" y="${n(cy - thick / 2)}" width="${n(w)}" height="${n(thick)}" rx="2" fill="${PALETTE[0]}"><title>${escapeXml(`${b.label}: ${valueText[i]}`)}</title></rect>` +
        `<text x="${n(Math.max(zero, sx(v)) + 6)}" y="${n(cy)}" dominant-baseline="central" fill="currentColor" fill-opacity="0.85">${escapeXml(valueText[i])}</text></g>`,
    );
  });
  out.push('</svg>');
  return out.join('');
}

/**
 * A chart as a file of its own: with an XML declaration and a colour for `currentColor` (dark text on light, light
 * on dark), since no page around it sets one.
 */
export function standaloneSvg(svg: string): string {
  const at = svg.indexOf('>') + 1;
  const style =
    '<style>svg{color:#1f2328;background:#ffffff}@media (prefers-color-scheme: dark){svg{color:#e6edf3;background:#0d1117}}</style>';
  return `<?xml version="1.0" encoding="UTF-8"?>\n${svg.slice(0, at)}${style}${svg.slice(at)}\n`;
}
