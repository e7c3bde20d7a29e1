/**
 * Extension entry point: registers commands and owns the engine client. activate() only wires things up; all
 * computation happens in the engine process.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { EngineClient } from '../engine/client';
import { PxpError } from '../core/errors';
import type { BackendPreference } from '../core/backend/select';
import { pickModel } from './pick-model';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('PXP Studio', { log: true });
  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
  status.command = 'pxp.showLog';
  status.text = '$(pulse) PXP';
  status.tooltip = 'PXP Studio: show the log';
  status.show();

  let engine: EngineClient | undefined;
  const getEngine = () => {
    if (!engine) {
      const config = vscode.workspace.getConfiguration('pxp');
      engine = new EngineClient({
        enginePath: path.join(context.extensionPath, 'dist', 'engine.js'),
        nodePath: config.get<string>('nodePath') || undefined,
        backend: config.get<BackendPreference>('backend') ?? 'auto',
        onLog: (level, message) => log[level](message),
      });
    }
    return engine;
  };

  context.subscriptions.push(
    log,
    status,
    { dispose: () => engine?.dispose() },
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('pxp')) {
        engine?.dispose();
        engine = undefined;
      }
    }),
    vscode.commands.registerCommand('pxp.showLog', () => log.show()),
    vscode.commands.registerCommand('pxp.showInfo', async (uri?: vscode.Uri) => {
      const model = uri?.fsPath ?? (await pickModel());
      if (!model) return;
      try {
        const info = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `PXP: reading ${path.basename(path.dirname(model))}/model.json`, cancellable: true },
          (_progress, token) => {
            const controller = new AbortController();
            token.onCancellationRequested(() => controller.abort());
            return getEngine().request('info', { model }, { signal: controller.signal });
          },
        );
        status.text = `$(pulse) PXP: ${info.backend.name}`;
        log.info(`${model}: ${info.layers.length} layers, ${info.params} parameters, ${info.flops} FLOPs, input ${info.inputShape.join('×')}`);
        void vscode.window.showInformationMessage(`${path.basename(path.dirname(model))}: ${info.params.toLocaleString()} parameters, input ${info.inputShape.join('×')}, ${info.numClasses} classes (backend ${info.backend.name})`);
      } catch (e) {
        const err = e instanceof PxpError ? e : new PxpError('internal', String(e));
        log.error(err.describe());
        void vscode.window.showErrorMessage(`PXP: ${err.message}`, 'Show Log').then((a) => a && log.show());
      }
    }),
  );
}

export function deactivate(): void {}
