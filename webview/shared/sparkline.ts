/** A tiny bar strip of one layer's component values, largest first: the shape of the distribution at a glance. */
const NS = 'http://www.w3.org/2000/svg';

export function sparkBars(values: number[], width = 160, height = 22): SVGSVGElement {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('aria-hidden', 'true');
  const sorted = [...values].filter(Number.isFinite).sort((a, b) => b - a);
  const max = Math.max(1e-30, ...sorted.map(Math.abs));
  const w = width / Math.max(1, sorted.length);
  const mid = sorted.some((v) => v < 0) ? height / 2 : height;
  sorted.forEach((v, i) => {
    const h = (Math.abs(v) / max) * mid;
    const r = document.createElementNS(NS, 'rect');
    r.setAttribute('x', (i * w).toFixed(2));
    r.setAttribute('width', Math.max(0.6, w - (w > 3 ? 1 : 0)).toFixed(2));
    r.setAttribute('y', (v >= 0 ? mid - h : mid).toFixed(2));
    r.setAttribute('height', Math.max(0.5, h).toFixed(2));
    r.setAttribute('class', v >= 0 ? 'pos' : 'neg');
    svg.appendChild(r);
  });
  return svg;
}
