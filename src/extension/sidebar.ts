/**
 * The PXP sidebar: Models (the workspace's model.json and .onnx files; parameters and input shape from the engine's info
 * method, read lazily when a model is expanded) and Runs (the backend in use, running jobs with their percentage,
 * finished run folders with their key figures, failed and cancelled jobs with the reason).
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { EngineMethods } from '../protocol/engine';
import type { EngineSession } from './engine-session';
import type { Job, Jobs } from './jobs';
import { jobRow, runRow } from './runs/run-row';
import { type RunSummary, describeFigures, listRuns } from './runs/run-summary';
import { MODEL_GLOB, findModels } from './workspace-inputs';

type ModelNode =
  { type: 'model'; uri: vscode.Uri } | { type: 'detail'; label: string; description?: string; tooltip?: string };

export class ModelsView implements vscode.TreeDataProvider<ModelNode> {
  private readonly changed = new vscode.EventEmitter<ModelNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly info = new Map<string, Promise<EngineMethods['info']['result'] | Error>>();

  constructor(private readonly session: EngineSession) {}

  refresh(): void {
    this.info.clear();
    this.changed.fire(undefined);
  }

  getTreeItem(node: ModelNode): vscode.TreeItem {
    if (node.type === 'detail') {
      const item = new vscode.TreeItem(node.label);
      item.description = node.description;
      item.tooltip = node.tooltip;
      return item;
    }
    const rel = vscode.workspace.asRelativePath(node.uri);
    const onnx = node.uri.fsPath.toLowerCase().endsWith('.onnx');
    // A model.json is named by its folder; an ONNX file by itself.
    const label = onnx ? path.basename(node.uri.fsPath) : path.basename(path.dirname(node.uri.fsPath)) || rel;
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
    item.description = rel;
    item.resourceUri = node.uri;
    item.iconPath = new vscode.ThemeIcon('circuit-board');
    item.contextValue = 'pxp.model';
    item.tooltip = `${rel}\nExpand for parameters and input shape; right-click to prune or compute relevance.`;
    // An .onnx file is binary: selecting it shows its summary instead of opening it.
    item.command = onnx
      ? { command: 'pxp.showInfo', title: 'Show Model Info', arguments: [node.uri] }
      : { command: 'vscode.open', title: 'Open model.json', arguments: [node.uri] };
    return item;
  }

  async getChildren(node?: ModelNode): Promise<ModelNode[]> {
    if (!node) return (await findModels()).map((uri) => ({ type: 'model', uri }));
    if (node.type !== 'model') return [];
    if (!vscode.workspace.isTrusted) return [{ type: 'detail', label: 'not read: the workspace is not trusted' }];
    const key = node.uri.fsPath;
    if (!this.info.has(key))
      this.info.set(
        key,
        this.session.request('info', { model: key }).catch((e: Error) => e),
      );
    const info = await this.info.get(key)!;
    if (info instanceof Error) return [{ type: 'detail', label: `$(error) ${info.message}`, tooltip: info.message }];
    return [
      { type: 'detail', label: 'parameters', description: info.params.toLocaleString('en') },
      {
        type: 'detail',
        label: 'input',
        description: (info.fileInputShape ?? info.inputShape).join(' × ') + (info.onnx ? ' (channels first)' : ''),
      },
      ...(info.onnx
        ? [
            {
              type: 'detail' as const,
              label: 'ONNX',
              description: `opset ${info.onnx.opset}${info.onnx.producer ? `, ${info.onnx.producer}` : ''}`,
            },
          ]
        : []),
      { type: 'detail', label: 'classes', description: String(info.numClasses) },
      { type: 'detail', label: 'FLOPs per sample', description: info.flops.toLocaleString('en') },
    ];
  }
}

export type RunNode =
  | { type: 'backend' }
  | { type: 'job'; job: Job }
  | { type: 'run'; run: RunSummary; runDir: string }
  | { type: 'figure'; label: string; value: string };

const KIND_ICON: Record<string, string> = {
  relevance: 'flame',
  prune: 'list-filter',
  search: 'search',
  train: 'mortar-board',
  export: 'package',
  compare: 'graph-line',
};

export class RunsView implements vscode.TreeDataProvider<RunNode> {
  private readonly changed = new vscode.EventEmitter<RunNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly session: EngineSession,
    private readonly jobs: Jobs,
  ) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: RunNode): vscode.TreeItem {
    if (node.type === 'backend') {
      const b = this.session.backend;
      const item = new vscode.TreeItem(`Backend: ${b?.name ?? this.session.preference}`);
      item.description = b ? (this.session.preference === 'auto' ? 'auto' : '') : 'engine not started';
      item.tooltip = b?.skipped.length
        ? `skipped: ${b.skipped.map((s) => `${s.name}: ${s.reason}`).join('\n')}`
        : 'Select Backend… to change';
      item.iconPath = new vscode.ThemeIcon('server-process');
      item.command = { command: 'pxp.selectBackend', title: 'Select Backend…' };
      item.contextValue = 'pxp.backend';
      return item;
    }
    if (node.type === 'figure') {
      const item = new vscode.TreeItem(node.label);
      item.description = node.value;
      item.tooltip = `${node.label}: ${node.value}`;
      return item;
    }
    if (node.type === 'job') {
      const j = node.job;
      const shown = jobRow(j);
      const item = new vscode.TreeItem(shown.label);
      item.description = shown.description;
      item.accessibilityInformation = { label: `${j.title}: ${shown.label}` };
      if (j.status === 'running') {
        item.iconPath = new vscode.ThemeIcon('sync~spin');
        item.tooltip = shown.tooltip;
        item.contextValue = 'pxp.job.running';
      } else {
        item.iconPath = new vscode.ThemeIcon(
          j.status === 'cancelled' ? 'circle-slash' : 'error',
          new vscode.ThemeColor(j.status === 'cancelled' ? 'disabledForeground' : 'errorForeground'),
        );
        item.tooltip = `${shown.tooltip}\n${new Date(j.startedAt).toLocaleString()}`;
        item.contextValue = 'pxp.job.failed';
      }
      return item;
    }
    const r = node.run;
    const shown = runRow(r);
    // A short label and the headline figure fit the default width; the rest is one click (or a hover) away.
    const item = new vscode.TreeItem(shown.label, vscode.TreeItemCollapsibleState.Collapsed);
    item.description = shown.description;
    item.accessibilityInformation = { label: `${r.name}: ${describeFigures(r) || 'done'}` };
    // A collapsed pruned model is flagged in the icon as well as in the figures.
    item.iconPath =
      r.warning?.kind === 'collapse'
        ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
        : new vscode.ThemeIcon(KIND_ICON[r.kind] ?? 'folder');
    item.tooltip = shown.tooltip;
    item.resourceUri = vscode.Uri.file(r.dir);
    item.contextValue = `pxp.run.${r.kind}`;
    if (r.kind !== 'train' && r.kind !== 'export' && r.kind !== 'compare')
      item.command = { command: 'pxp.openRun', title: 'Open Run', arguments: [r.dir] };
    return item;
  }

  getChildren(node?: RunNode): RunNode[] {
    if (node?.type === 'run')
      return runRow(node.run).details.map(([label, value]) => ({ type: 'figure', label, value }));
    if (node) return [];
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const running = this.jobs.active.map((job): RunNode => ({ type: 'job', job }));
    const runs = root ? listRuns(root).map((run): RunNode => ({ type: 'run', run, runDir: run.dir })) : [];
    const failed = this.jobs.failures.map((job): RunNode => ({ type: 'job', job }));
    return [{ type: 'backend' }, ...running, ...runs, ...failed];
  }
}

export function registerSidebar(
  session: EngineSession,
  jobs: Jobs,
): { models: ModelsView; runs: RunsView; disposables: vscode.Disposable[] } {
  const models = new ModelsView(session);
  const runs = new RunsView(session, jobs);
  const runsTree = vscode.window.createTreeView('pxp.runs', { treeDataProvider: runs, canSelectMany: true });
  const modelsTree = vscode.window.createTreeView('pxp.models', { treeDataProvider: models });
  const watcher = vscode.workspace.createFileSystemWatcher(MODEL_GLOB);
  let pending: NodeJS.Timeout | undefined;
  // Progress messages come many per second: redraw the runs at most every 250 ms.
  const redrawRuns = () => {
    if (!pending) pending = setTimeout(() => ((pending = undefined), runs.refresh()), 250);
  };
  return {
    models,
    runs,
    disposables: [
      runsTree,
      modelsTree,
      watcher,
      watcher.onDidCreate(() => models.refresh()),
      watcher.onDidDelete(() => models.refresh()),
      watcher.onDidChange(() => models.refresh()),
      jobs.onDidChange(redrawRuns),
      session.onDidChangeBackend(() => runs.refresh()),
      { dispose: () => pending && clearTimeout(pending) },
    ],
  };
}
