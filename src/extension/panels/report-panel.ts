/**
 * Reports inside the editor (issue 17 item 5): report.html, search.html and compare.html in a webview panel, one per
 * file, revealed again rather than duplicated. The pages need no script, so the webview runs none; their links to
 * other reports are command URIs (report-document.ts) that open those here too. A report is read when its panel
 * opens or is asked for again, so a search.html rewritten by a running search shows its latest state then.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { badInput } from '../../core/errors';
import { openReportUri, reportDocument } from './report-document';

const open = new Map<string, vscode.WebviewPanel>();

export function reportTitle(file: string): string {
  return `${path.basename(path.dirname(file))}/${path.basename(file)}`;
}

export function openReport(file: string, column?: vscode.ViewColumn): vscode.WebviewPanel {
  const resolved = path.resolve(file);
  if (!fs.existsSync(resolved))
    throw badInput(
      `${resolved} does not exist`,
      'the run may have been written without its report, or deleted; run it again',
    );
  let panel = open.get(resolved);
  if (!panel) {
    const dir = vscode.Uri.file(path.dirname(resolved));
    panel = vscode.window.createWebviewPanel(
      'pxp.report',
      reportTitle(resolved),
      { viewColumn: column ?? vscode.ViewColumn.Active, preserveFocus: false },
      { enableScripts: false, enableCommandUris: ['pxp.openReport'], localResourceRoots: [dir] },
    );
    open.set(resolved, panel);
    panel.onDidDispose(() => open.delete(resolved));
  } else {
    panel.reveal(undefined, false);
  }
  panel.webview.html = reportDocument(fs.readFileSync(resolved, 'utf8'), {
    cspSource: panel.webview.cspSource,
    nonce: randomBytes(18).toString('base64'),
    file: resolved,
    linkTo: openReportUri,
  });
  return panel;
}
