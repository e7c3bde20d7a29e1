/**
 * Building the panels' DOM without HTML strings for data: `el` sets text with textContent, so layer names and paths
 * from run files can never become markup. The one exception is `svg`, which takes charts from svg-chart.ts, whose
 * text is escaped there.
 */
type Child = Node | string | number | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Record<string, string | boolean | undefined>,
  ...children: Child[]
): HTMLElementTagNameMap[K];
export function el(
  tag: string,
  attrs?: Record<string, string | boolean | undefined>,
  ...children: Child[]
): HTMLElement;
export function el(
  tag: string,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElement {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    node.setAttribute(k, v === true ? '' : v);
  }
  append(node, children);
  return node;
}

export function append(node: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** A chart (SVG markup from svg-chart.ts) in a figure with a caption. */
export function svgFigure(svg: string, caption?: string): HTMLElement {
  const figure = el('figure', { class: 'chart' });
  const holder = el('div', { class: 'svg' });
  holder.innerHTML = svg;
  figure.appendChild(holder);
  if (caption) figure.appendChild(el('figcaption', {}, caption));
  return figure;
}

/** A headline figure: big value, what it is, and a line of detail. */
export function tile(value: string, label: string, detail?: string, tone?: 'good' | 'bad'): HTMLElement {
  return el(
    'div',
    { class: `tile${tone ? ` ${tone}` : ''}`, 'data-figure': label },
    el('div', { class: 'v' }, value),
    el('div', { class: 'k' }, label),
    detail ? el('div', { class: 'd' }, detail) : null,
  );
}

export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

export function showError(root: HTMLElement, message: string): void {
  clear(root);
  root.removeAttribute('aria-busy');
  root.appendChild(
    el('div', { class: 'error', role: 'alert' }, el('h2', {}, 'This run cannot be shown'), el('pre', {}, message)),
  );
}
