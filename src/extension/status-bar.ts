/** The status bar item: the backend in use, and the running job with its percentage. Clicking it opens the log. */
import * as vscode from 'vscode';
import type { EngineSession } from './engine-session';
import type { Jobs } from './jobs';

export function registerStatusBar(session: EngineSession, jobs: Jobs): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('pxp.status', vscode.StatusBarAlignment.Left, 10);
  item.name = 'PXP Studio';
  item.command = 'pxp.showLog';
  const update = () => {
    const backend = session.backend?.name ?? `${session.preference}`;
    const job = jobs.active[0];
    if (job) {
      const pct = job.total > 0 ? ` ${Math.round((100 * job.done) / job.total)} %` : '';
      item.text = `$(sync~spin) PXP ${backend}: ${job.title}${pct}`;
      item.tooltip = `PXP Studio: ${job.title} — ${job.message}${jobs.active.length > 1 ? ` (+${jobs.active.length - 1} more)` : ''}. Click for the log; PXP: Cancel stops it.`;
    } else {
      item.text = `$(pulse) PXP ${backend}`;
      item.tooltip = session.backend
        ? `PXP Studio: engine backend ${session.backend.name}${session.backend.skipped.length ? ` (skipped: ${session.backend.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : ''}. Click for the log.`
        : `PXP Studio: backend ${session.preference} (the engine starts on first use). Click for the log.`;
    }
    item.show();
  };
  update();
  return vscode.Disposable.from(
    item,
    jobs.onDidChange(update),
    session.onDidChangeBackend(update),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('pxp.backend') && update()),
  );
}
