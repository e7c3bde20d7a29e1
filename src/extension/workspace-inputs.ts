/**
 * What a command acts on: the model (the active model.json editor, else a quick pick of the workspace's
 * **\/model.json and **\/*.onnx files), the data (a dataset folder, or reference + evaluation folders; remembered per workspace and
 * model), and where its run folder goes (<workspace>/.pxp/runs/<kind>-<time>/).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { badInput } from '../core/errors';
import { type RunKind, newRunDir, runsFolder } from './runs/run-summary';

export interface TaskData {
  data?: string;
  reference?: string;
  eval?: string;
}

export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder)
    throw badInput(
      'no folder is open',
      'open a folder (File: Open Folder…) that holds your model (model.json or .onnx)',
    );
  return folder.uri.fsPath;
}

/** A new run folder under .pxp/runs; `tags` (criterion, target…) go into its name. */
export function newRunFolder(kind: RunKind, tags: string[] = []): string {
  const parent = runsFolder(workspaceRoot());
  fs.mkdirSync(parent, { recursive: true });
  return newRunDir(parent, kind, new Date(), tags);
}

/** tfjs LayersModels and ONNX files (from PyTorch). */
export const MODEL_GLOB = '**/{model.json,*.onnx}';

export const isModelFile = (file: string) =>
  path.basename(file) === 'model.json' || file.toLowerCase().endsWith('.onnx');

export async function findModels(): Promise<vscode.Uri[]> {
  const found = await vscode.workspace.findFiles(MODEL_GLOB, '{**/node_modules/**,**/.pxp/**}', 500);
  return found.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
}

/** The model to act on: an explicit one, the active model editor, else a quick pick. */
export async function pickModel(given?: vscode.Uri | string): Promise<string | undefined> {
  if (given) return typeof given === 'string' ? given : given.fsPath;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && isModelFile(active.fsPath)) return active.fsPath;
  const found = await findModels();
  if (found.length === 0) {
    void vscode.window
      .showWarningMessage(
        'PXP: no model in this workspace (model.json or .onnx). Open a folder with a tfjs LayersModel or an ONNX model exported from PyTorch, or the Fashion-MNIST demo.',
        'Open the Demo',
      )
      .then((a) => a && vscode.commands.executeCommand('pxp.openDemo'));
    return undefined;
  }
  if (found.length === 1) return found[0].fsPath;
  const pick = await vscode.window.showQuickPick(
    found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })),
    { placeHolder: 'Choose a model (tfjs model.json or ONNX)', ignoreFocusOut: true },
  );
  return pick?.uri.fsPath;
}

const dataKey = (model: string) => `pxp.data:${vscode.workspace.asRelativePath(model)}`;

function hasSamples(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'x.npy')) && fs.existsSync(path.join(dir, 'y.npy'));
}

/** Reference + evaluation folders next to the model, the demo's layout: <dir>/reference and <dir>/test (or eval, val). */
export function detectTaskData(model: string): TaskData | undefined {
  for (const base of [path.dirname(model), path.dirname(path.dirname(model))]) {
    const reference = path.join(base, 'reference');
    const evalDir = ['test', 'eval', 'val'].map((n) => path.join(base, n)).find(hasSamples);
    if (hasSamples(reference) && evalDir) return { reference, eval: evalDir };
  }
  return undefined;
}

function describe(d: TaskData): string {
  const rel = (p: string) => vscode.workspace.asRelativePath(p);
  return d.data ? `dataset ${rel(d.data)}` : `reference ${rel(d.reference!)}, evaluation ${rel(d.eval!)}`;
}

async function chooseFolder(title: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    title,
    openLabel: 'Use this folder',
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0]?.fsPath;
}

/** Checks that the folders exist; a missing one is a bad-input error naming it. */
export function checkTaskData(d: TaskData): TaskData {
  for (const [what, dir] of [
    ['dataset', d.data],
    ['reference', d.reference],
    ['evaluation', d.eval],
  ] as const) {
    if (dir !== undefined && !fs.existsSync(dir))
      throw badInput(
        `the ${what} folder ${dir} does not exist`,
        'choose another data folder (it is remembered per model; pick again from the list)',
      );
  }
  return d;
}

/** The data for a model: remembered, detected next to the model, or chosen now; remembered for next time. */
export async function pickTaskData(state: vscode.Memento, model: string): Promise<TaskData | undefined> {
  const remembered = state.get<TaskData>(dataKey(model));
  const detected = detectTaskData(model);
  type Item = vscode.QuickPickItem & { data?: TaskData; action?: 'dataset' | 'pair' };
  const items: Item[] = [];
  if (remembered)
    items.push({ label: `$(history) ${describe(remembered)}`, description: 'last used', data: remembered });
  if (detected && JSON.stringify(detected) !== JSON.stringify(remembered))
    items.push({ label: `$(folder) ${describe(detected)}`, description: 'next to the model', data: detected });
  items.push({
    label: '$(folder-opened) Choose a dataset folder…',
    description: 'IDX files, x.npy + y.npy, or class folders; train and test splits',
    action: 'dataset',
  });
  items.push({
    label: '$(folder-opened) Choose reference and evaluation folders…',
    description: 'two folders of x.npy + y.npy',
    action: 'pair',
  });
  const pick = await vscode.window.showQuickPick(items, {
    placeHolder: `Data for ${vscode.workspace.asRelativePath(model)}`,
    ignoreFocusOut: true,
  });
  if (!pick) return undefined;
  let data = pick.data;
  if (pick.action === 'dataset') {
    const dir = await chooseFolder('Dataset folder (train and test splits)');
    data = dir ? { data: dir } : undefined;
  } else if (pick.action === 'pair') {
    const reference = await chooseFolder('Reference samples (x.npy + y.npy)');
    const evalDir = reference && (await chooseFolder('Evaluation samples (x.npy + y.npy)'));
    data = reference && evalDir ? { reference, eval: evalDir } : undefined;
  }
  if (data) await state.update(dataKey(model), data);
  return data;
}

export function rememberTaskData(state: vscode.Memento, model: string, data: TaskData): Thenable<void> {
  return state.update(dataKey(model), data);
}
