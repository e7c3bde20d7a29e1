/**
 * A PXP report page (report.html, search.html, compare.html: self-contained, no scripts) made fit for a webview
 * inside the editor, where code-server and Remote-SSH cannot open a file:// URL externally (issue 17 item 5). Pure
 * (no vscode import) so unit tests check it: a strict CSP (its inline styles by nonce, images from the run folder or
 * data: only), the page's colours taken from the editor's theme, and links to other reports turned into command URIs
 * that open them in the same kind of panel.
 */
import path from 'node:path';

export interface ReportDocumentSpec {
  /** webview.cspSource */
  cspSource: string;
  nonce: string;
  /** The report file, absolute: relative links resolve against its folder. */
  file: string;
  /** The href a link to another report becomes (a command URI). */
  linkTo: (reportFile: string) => string;
}

export const REPORT_FILES = ['report.html', 'search.html', 'compare.html'] as const;

/** The report's colour variables (html-page.ts) from the editor's theme, after its own light/dark rules. */
const THEME_STYLE =
  ':root{--fg:var(--vscode-foreground);--muted:var(--vscode-descriptionForeground);--bg:var(--vscode-editor-background);' +
  '--panel:var(--vscode-editorWidget-background);--border:var(--vscode-panel-border,rgba(128,128,128,.35));--accent:var(--vscode-textLink-foreground)}' +
  'body.vscode-light{color-scheme:light}body.vscode-dark,body.vscode-high-contrast{color-scheme:dark}';

export function reportCsp(cspSource: string, nonce: string): string {
  return ["default-src 'none'", `style-src 'nonce-${nonce}'`, `img-src ${cspSource} data:`].join('; ');
}

const isReportLink = (href: string) =>
  !/^[a-z][a-z0-9+.-]*:/i.test(href) &&
  !href.startsWith('#') &&
  !href.startsWith('/') &&
  /\.html$/i.test(href.split('#')[0]);

const unescapeAttr = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);

export function reportDocument(html: string, spec: ReportDocumentSpec): string {
  const dir = path.dirname(spec.file);
  const head = `<meta http-equiv="Content-Security-Policy" content="${reportCsp(spec.cspSource, spec.nonce)}">`;
  return html
    .replace(/<style>/g, `<style nonce="${spec.nonce}">`)
    .replace(/<head>/i, `<head>\n${head}`)
    .replace(/<\/head>/i, `<style nonce="${spec.nonce}">${THEME_STYLE}</style>\n</head>`)
    .replace(/href="([^"]*)"/g, (whole, attr: string) => {
      const href = unescapeAttr(attr);
      return isReportLink(href) ? `href="${spec.linkTo(path.resolve(dir, href.split('#')[0]))}"` : whole;
    });
}

/** The command URI that opens a report in the editor: `command:pxp.openReport?["/abs/report.html"]`. */
export const openReportUri = (file: string) => `command:pxp.openReport?${encodeURIComponent(JSON.stringify([file]))}`;
