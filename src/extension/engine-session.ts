/**
 * The extension's one engine: an EngineClient forked on first use with the pxp.nodePath / pxp.backend settings,
 * replaced when they change. Every request checks workspace trust first: an untrusted workspace may open runs but
 * not load models or run commands in the engine.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { BackendChoice, BackendPreference } from '../core/backend/select';
import { PxpError } from '../core/errors';
import { EngineClient } from '../engine/client';
import type { ProgressSink } from '../core/progress';
import {
  type CommandFlags,
  type EngineCommand,
  type EngineMethod,
  type EngineMethods,
  type RunResult,
  isResultOf,
} from '../protocol/engine';

export interface RequestOptions {
  onProgress?: ProgressSink;
  onOutput?: (line: string) => void;
  signal?: AbortSignal;
}

/** Engine commands that read no model and so may run in an untrusted workspace. */
const UNTRUSTED_OK: ReadonlySet<EngineCommand> = new Set(['compare']);

export const untrustedError = () =>
  new PxpError(
    'usage',
    'this workspace is not trusted: PXP does not load models or run tasks in it',
    'trust the workspace (Workspaces: Manage Workspace Trust) to prune, attribute, search or train',
  );

export class EngineSession implements vscode.Disposable {
  private client?: EngineClient;
  private readonly backendChanged = new vscode.EventEmitter<BackendChoice | undefined>();
  readonly onDidChangeBackend = this.backendChanged.event;
  backend?: BackendChoice;

  constructor(
    private readonly extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get preference(): BackendPreference {
    return vscode.workspace.getConfiguration('pxp').get<BackendPreference>('backend') ?? 'auto';
  }

  /** The settings changed: the next request starts a fresh engine with them. */
  restart(): void {
    this.client?.dispose();
    this.client = undefined;
    this.backend = undefined;
    this.backendChanged.fire(undefined);
  }

  get pid(): number | undefined {
    return this.client?.pid;
  }

  private engine(): EngineClient {
    if (!this.client) {
      const config = vscode.workspace.getConfiguration('pxp');
      const nodePath = config.get<string>('nodePath') || undefined;
      this.log.info(`starting the engine (${nodePath ?? 'the editor’s Node'}, backend ${this.preference})`);
      this.client = new EngineClient({
        enginePath: path.join(this.extensionPath, 'dist', 'engine.js'),
        nodePath,
        backend: this.preference,
        // The engine saturates the cores; a lower priority keeps the editor's main thread on time.
        niceness: 10,
        onLog: (level, message) => this.log[level](`engine: ${message}`),
      });
    }
    return this.client;
  }

  async request<M extends EngineMethod>(
    method: M,
    params: EngineMethods[M]['params'],
    opts: RequestOptions = {},
  ): Promise<EngineMethods[M]['result']> {
    const isCompare = method === 'run' && UNTRUSTED_OK.has((params as EngineMethods['run']['params']).command);
    if (!vscode.workspace.isTrusted && !isCompare) throw untrustedError();
    const result = await this.engine().request(method, params, opts);
    if (!this.backend && method !== 'backend') void this.resolveBackend();
    return result;
  }

  /** Runs `pxp COMMAND` in the engine; the result carries that command's value type. */
  async run<C extends EngineCommand>(
    command: C,
    flags: CommandFlags,
    opts: RequestOptions = {},
  ): Promise<Extract<RunResult, { command: C }>> {
    this.log.info(
      `pxp ${command} ${Object.entries(flags)
        .map(([k, v]) => (v === true ? `--${k}` : `--${k} ${v}`))
        .join(' ')}`,
    );
    const result = await this.request('run', { command, flags }, opts);
    if (!isResultOf(result, command))
      throw new PxpError('internal', `the engine answered pxp ${command} with the result of pxp ${result.command}`);
    return result;
  }

  /** Asks the engine which backend runs (starting the engine if needed). */
  async resolveBackend(): Promise<BackendChoice> {
    const choice = await this.engine().request('backend', {});
    this.backend = choice;
    this.backendChanged.fire(choice);
    for (const s of choice.skipped) this.log.info(`backend ${s.name} skipped: ${s.reason}`);
    return choice;
  }

  dispose(): void {
    this.client?.dispose();
    this.backendChanged.dispose();
  }
}
