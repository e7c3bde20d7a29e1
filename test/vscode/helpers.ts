/** Shared by the extension tests: the extension's API, the demo workspace, and waiting for things. */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PxpExtensionApi } from '../../src/extension/main';

export async function pxpApi(): Promise<PxpExtensionApi> {
  const ext = vscode.extensions.getExtension<PxpExtensionApi>('pxp-studio.pxp-studio');
  if (!ext) throw new Error('the PXP Studio extension is not loaded');
  return ext.activate();
}

export const workspace = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
export const demoModel = () => path.join(workspace(), 'model', 'model.json');
export const demoData = () => ({
  reference: path.join(workspace(), 'reference'),
  eval: path.join(workspace(), 'test'),
});
export const runsDir = () => path.join(workspace(), '.pxp', 'runs');
export const runFolders = () => (fs.existsSync(runsDir()) ? fs.readdirSync(runsDir()).sort() : []);

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
