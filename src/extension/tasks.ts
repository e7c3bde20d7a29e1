/**
 * Workspace tasks of type `pxp`: `{"type": "pxp", "command": "prune", "config": "pxp.config.json"}` runs the engine
 * in a Pseudoterminal (CustomExecution) with progress in the terminal; Ctrl+C cancels. Config errors print as
 * `pxp.config.json:LINE:COL: error: message`, which the `$pxp-config` problem matcher turns into problems.
 * Tasks need a trusted workspace.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { asPxpError } from '../core/errors';
import type { EngineSession } from './engine-session';
import type { Jobs } from './jobs';
import { type RunKind, runNameTags } from './runs/run-summary';
import { TASK_COMMANDS, type TaskCommand, parseTaskConfig } from './task-config';
import { newRunFolder, workspaceRoot } from './workspace-inputs';

export const TASK_TYPE = 'pxp';

export interface PxpTaskDefinition extends vscode.TaskDefinition {
  command: TaskCommand;
  config?: string;
}

const KIND: Record<TaskCommand, RunKind> = { prune: 'prune', search: 'search', attribute: 'relevance', train: 'train' };

export class EngineTerminal implements vscode.Pseudoterminal {
  private readonly write = new vscode.EventEmitter<string>();
  private readonly closed = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.write.event;
  readonly onDidClose = this.closed.event;
  private readonly controller = new AbortController();

  constructor(
    private readonly def: PxpTaskDefinition,
    private readonly folder: string,
    private readonly session: EngineSession,
    private readonly jobs: Jobs,
    private readonly onRunsChanged: () => void,
  ) {}

  private line(text = ''): void {
    this.write.fire(`${text.replace(/\r?\n/g, '\r\n')}\r\n`);
  }

  open(): void {
    void this.execute().then((code) => this.closed.fire(code));
  }

  close(): void {
    this.controller.abort();
  }

  handleInput(data: string): void {
    if (data === '\x03') {
      this.line('^C — cancelling…');
      this.controller.abort();
    }
  }

  private async execute(): Promise<number> {
    const configRel = this.def.config ?? 'pxp.config.json';
    const configPath = path.resolve(this.folder, configRel);
    const shown = path.relative(this.folder, configPath) || configRel;
    if (!vscode.workspace.isTrusted) {
      this.line(
        `${shown}:1:1: error: this workspace is not trusted; PXP tasks need trust (Workspaces: Manage Workspace Trust)`,
      );
      return 1;
    }
    if (!fs.existsSync(configPath)) {
      this.line(`${shown}:1:1: error: ${configPath} does not exist (create it: model, data, criterion, rates, search)`);
      return 1;
    }
    const parsed = parseTaskConfig(fs.readFileSync(configPath, 'utf8'), configPath, this.def.command);
    if (!parsed.ok) {
      for (const e of parsed.errors) this.line(`${shown}:${e.line}:${e.column}: error: ${e.message}`);
      return 1;
    }
    const out =
      parsed.command === 'train'
        ? path.join(workspaceRoot(), 'models', path.basename(newRunFolder('train')))
        : newRunFolder(KIND[this.def.command], runNameTags(parsed.command, parsed.flags));
    this.line(`pxp ${parsed.command} (${shown}) → ${path.relative(this.folder, out)}`);
    let lastDraw = 0;
    const result = await this.jobs.run(
      { kind: KIND[this.def.command], title: `task ${this.def.command}`, runDir: out, notify: false },
      async ({ signal, report }) => {
        this.controller.signal.addEventListener('abort', () => this.jobs.cancel(), { once: true });
        try {
          return await this.session.run(
            parsed.command,
            { ...parsed.flags, out },
            {
              signal,
              onProgress: (p) => {
                report(p);
                const now = Date.now();
                if (now - lastDraw < 200 && p.done < p.total) return;
                lastDraw = now;
                const pct = p.total > 0 ? `${Math.round((100 * p.done) / p.total)}`.padStart(3) + ' %' : '';
                this.write.fire(`\r\x1b[K${pct} ${p.message}`);
              },
              onOutput: (l) => this.write.fire(`\r\x1b[K${l}\r\n`),
            },
          );
        } catch (e) {
          const err = asPxpError(e);
          this.write.fire('\r\x1b[K');
          this.line(err.code === 'cancelled' ? 'cancelled; nothing was written' : `error: ${err.describe()}`);
          throw e;
        }
      },
    );
    this.onRunsChanged();
    if (!result) return 1;
    this.write.fire('\r\x1b[K');
    this.line(result.text);
    return 0;
  }
}

export function registerTasks(session: EngineSession, jobs: Jobs, onRunsChanged: () => void): vscode.Disposable {
  const build = (
    def: PxpTaskDefinition,
    scope: vscode.WorkspaceFolder | vscode.TaskScope.Workspace = vscode.TaskScope.Workspace,
  ): vscode.Task => {
    const folder = typeof scope === 'object' ? scope.uri.fsPath : workspaceRoot();
    const task = new vscode.Task(
      def,
      scope,
      `${def.command}${def.config && def.config !== 'pxp.config.json' ? ` (${def.config})` : ''}`,
      TASK_TYPE,
      new vscode.CustomExecution(async () => new EngineTerminal(def, folder, session, jobs, onRunsChanged)),
      ['$pxp-config'],
    );
    task.group = def.command === 'train' ? vscode.TaskGroup.Build : undefined;
    return task;
  };
  return vscode.tasks.registerTaskProvider(TASK_TYPE, {
    async provideTasks() {
      if (!vscode.workspace.isTrusted) return [];
      const configs = await vscode.workspace.findFiles('**/pxp.config.json', '**/node_modules/**', 20);
      return configs.flatMap((uri) => {
        const folder = vscode.workspace.getWorkspaceFolder(uri);
        if (!folder) return [];
        const config = path.relative(folder.uri.fsPath, uri.fsPath);
        return TASK_COMMANDS.map((command) => build({ type: TASK_TYPE, command, config }, folder));
      });
    },
    resolveTask(task) {
      const def = task.definition as PxpTaskDefinition;
      if (!(TASK_COMMANDS as readonly string[]).includes(def.command)) return undefined;
      return build(def, task.scope as vscode.WorkspaceFolder | vscode.TaskScope.Workspace);
    },
  });
}
