/**
 * Extension entry point: activate() only creates the services and registers the commands, views, CodeLens, tasks
 * and the status bar. All computation happens in the engine process (engine-session.ts).
 */
import * as vscode from 'vscode';
import { registerRunCommands } from './commands/run-commands';
import { registerViewCommands } from './commands/view-commands';
import type { ExtensionServices } from './commands/context';
import { EngineSession } from './engine-session';
import { Jobs } from './jobs';
import { LagMonitor, logLagPerJob } from './lag-monitor';
import { registerModelLens } from './model-lens';
import { type SourceLens, registerSourceLens } from './source-lens';
import { type OnnxModelEditor, registerOnnxEditor } from './onnx-editor';
import { registerPanels } from './panels';
import { registerSidebar } from './sidebar';
import { registerStatusBar } from './status-bar';
import { registerTasks } from './tasks';

/** What activate() returns: for the extension tests (and other extensions) to drive and observe PXP. */
export interface PxpExtensionApi {
  services: ExtensionServices;
  lag: LagMonitor;
  sourceLens: SourceLens;
  onnxEditor: OnnxModelEditor;
}

export function activate(context: vscode.ExtensionContext): PxpExtensionApi {
  const log = vscode.window.createOutputChannel('PXP Studio', { log: true });
  const session = new EngineSession(context.extensionPath, log);
  const jobs = new Jobs(context.workspaceState, log);
  const lag = new LagMonitor((ms, busy) =>
    log.info(`main thread stalled ${ms.toFixed(0)} ms${busy ? ' (host busy)' : ' (waiting for a CPU)'}`),
  );
  const panels = registerPanels(context, log);
  const sidebar = registerSidebar(session, jobs);
  const lens = registerModelLens();
  const source = registerSourceLens(context);
  const onnxEditor = registerOnnxEditor(session, log);
  const refreshRuns = () => {
    onnxEditor.editor.refresh();
    sidebar.runs.refresh();
    lens.lens.refresh();
    source.lens.refresh();
  };
  const services: ExtensionServices = { context, log, session, jobs, panels, refreshRuns };
  const runsWatcher = vscode.workspace.createFileSystemWatcher('**/.pxp/runs/*');

  context.subscriptions.push(
    log,
    session,
    jobs,
    lag,
    logLagPerJob(lag, jobs, log),
    registerStatusBar(session, jobs),
    ...sidebar.disposables,
    ...lens.disposables,
    ...source.disposables,
    ...onnxEditor.disposables,
    registerTasks(session, jobs, refreshRuns),
    ...registerRunCommands(services),
    ...registerViewCommands(services),
    runsWatcher,
    runsWatcher.onDidCreate(refreshRuns),
    runsWatcher.onDidDelete(refreshRuns),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('pxp.backend') || e.affectsConfiguration('pxp.nodePath')) session.restart();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => sidebar.models.refresh()),
  );
  log.info(`PXP Studio activated (workspace ${vscode.workspace.isTrusted ? 'trusted' : 'not trusted'})`);
  return { services, lag, sourceLens: source.lens, onnxEditor: onnxEditor.editor };
}

export function deactivate(): void {}
