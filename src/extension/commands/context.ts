/** What every command group gets from activate(): the engine, the jobs, the panels, the log, the workspace state. */
import type * as vscode from 'vscode';
import type { EngineSession } from '../engine-session';
import type { Jobs } from '../jobs';
import type { PanelApi } from '../panels';

export interface ExtensionServices {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  session: EngineSession;
  jobs: Jobs;
  panels: PanelApi;
  /** Tells the sidebar and the CodeLens that run folders changed. */
  refreshRuns: () => void;
}
