/** What the HTML pages of run folders share: the page shell with its inline light/dark style, tiles and figures. */
import { escapeXml } from '../../shared/svg-chart';

export function seconds(s: number | undefined): string {
  if (s === undefined) return '—';
  return s < 1
    ? `${Math.round(1000 * s)} ms`
    : s < 10
      ? `${s.toFixed(2)} s`
      : s < 120
        ? `${s.toFixed(1)} s`
        : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#ffffff;--panel:#f6f8fa;--border:#d1d9e0;--accent:#0072B2}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--panel:#151b23;--border:#3d444d;--accent:#56B4E9}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1160px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:22px;margin:0 0 2px}
h2{font-size:16px;margin:28px 0 10px}
a{color:var(--accent)}
.muted{color:var(--muted)}
.warning{color:#b35900;font-weight:600}
@media (prefers-color-scheme:dark){.warning{color:#f0a35c}}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
pre{background:var(--panel);border:1px solid var(--border);border-radius:8px;padding:12px 14px;margin:0;overflow:auto;max-height:480px;font-size:12px;line-height:1.45}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:18px 0 8px}
.tile{background:var(--panel);border:1px solid var(--border);border-radius:8px;padding:10px 14px}
.tile .k{color:var(--muted);font-size:12px}
.tile .v{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:16px}
figure{margin:0;background:var(--panel);border:1px solid var(--border);border-radius:8px;padding:12px 12px 8px}
figure svg{display:block;width:100%;height:auto}
figure.narrow{max-width:760px}
figure.stacked{margin:0 0 16px;max-width:760px}
figcaption{color:var(--muted);font-size:12px;margin-top:4px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:5px 12px;border-bottom:1px solid var(--border);text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}
th.params,td.params{text-align:left}
thead th{color:var(--muted);font-weight:600;border-bottom-width:2px}
td.best,tr.best td{font-weight:700}
dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0}
dt{color:var(--muted)}
dd{margin:0;overflow-wrap:anywhere}
details{margin-top:24px}
details summary{cursor:pointer;color:var(--muted)}
footer{margin-top:32px;color:var(--muted);font-size:12px}
`;

/** A self-contained page: inline CSS, no scripts, no external assets. */
export function page(title: string, body: string[]): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    ...body,
    '<footer>Written by PXP Studio. The page needs no network and no scripts; hover over a point for its values.</footer>',
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

export const tile = (key: string, value: string) =>
  `<div class="tile"><div class="k">${escapeXml(key)}</div><div class="v">${escapeXml(value)}</div></div>`;
export const figure = (svg: string, caption: string, cls = '') =>
  `<figure${cls ? ` class="${cls}"` : ''}>${svg}<figcaption>${escapeXml(caption)}</figcaption></figure>`;
