/**
 * Commands that open, compare and manage: Open Run…, Open Report…, Compare Runs…, Select Backend…, Show Log, Cancel, Show Model
 * Info…, and Open the Fashion-MNIST Demo. Open Run and Compare Runs read run folders only, so they work in
 * untrusted workspaces too.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { BackendPreference } from '../../core/backend/select';
import { badInput } from '../../core/errors';
import { showError } from '../jobs';
import { type RunSummary, describeFigures, listRuns, readRunSummary } from '../runs/run-summary';
import { newRunFolder, pickModel, workspaceRoot } from '../workspace-inputs';
import { REPORT_FILES } from '../panels/report-document';
import { openReport } from '../panels/report-panel';
import type { ExtensionServices } from './context';

const BACKENDS: { label: BackendPreference; detail: string }[] = [
  { label: 'auto', detail: 'tensorflow-gpu, then tensorflow, then wasm, then cpu: the first that starts' },
  {
    label: 'tensorflow-gpu',
    detail: '@tensorflow/tfjs-node-gpu (CUDA 11.2 / cuDNN 8.1); set pxp.nodePath to a Node where it is installed',
  },
  { label: 'tensorflow', detail: '@tensorflow/tfjs-node (native CPU)' },
  { label: 'wasm', detail: 'tfjs WebAssembly (ships with PXP Studio)' },
  { label: 'cpu', detail: 'plain JavaScript (slow; the reference)' },
];

/** A Run item from the sidebar, a folder URI, a path, or nothing (then ask). */
function runDirOf(a: unknown): string | undefined {
  if (typeof a === 'string') return a;
  if (a instanceof vscode.Uri) return a.fsPath;
  if (a && typeof a === 'object' && 'runDir' in a && typeof (a as { runDir: unknown }).runDir === 'string')
    return (a as { runDir: string }).runDir;
  return undefined;
}

async function pickRun(
  placeHolder: string,
  filter: (r: RunSummary) => boolean = () => true,
): Promise<string | undefined> {
  const runs = vscode.workspace.workspaceFolders ? listRuns(workspaceRoot()).filter(filter) : [];
  const browse = { label: '$(folder-opened) Browse…', description: 'a run folder anywhere', dir: '' };
  const pick = await vscode.window.showQuickPick(
    [...runs.map((r) => ({ label: r.name, description: describeFigures(r), dir: r.dir })), browse],
    { placeHolder, ignoreFocusOut: true },
  );
  if (!pick) return undefined;
  if (pick !== browse) return pick.dir;
  const chosen = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    title: 'Run folder (written by PXP or pxp prune/search/attribute)',
  });
  return chosen?.[0]?.fsPath;
}

// Long: a list of command registrations, each a short closure over the shared services.
export function registerViewCommands(s: ExtensionServices): vscode.Disposable[] {
  const guarded = (name: string, fn: (a?: unknown, b?: unknown) => Promise<unknown> | unknown) =>
    vscode.commands.registerCommand(name, async (a?: unknown, b?: unknown) => {
      try {
        return await fn(a, b);
      } catch (e) {
        showError(e, s.log);
        return undefined;
      }
    });

  return [
    guarded('pxp.showLog', () => s.log.show()),

    guarded('pxp.cancel', async (a?: unknown) => {
      // From the Runs view's inline button: the job's tree node.
      const node = a as { type?: unknown; job?: { id?: unknown } } | undefined;
      const id = node?.type === 'job' && typeof node.job?.id === 'number' ? node.job.id : undefined;
      const n = s.jobs.cancel(id);
      if (n === 0) void vscode.window.showInformationMessage('PXP: nothing is running.');
      return n;
    }),

    guarded('pxp.openRun', async (a?: unknown) => {
      const dir = runDirOf(a) ?? (await pickRun('Run to open'));
      if (!dir) return;
      if (!fs.existsSync(dir))
        throw badInput(`${dir} does not exist`, 'the run may have been deleted; refresh the Runs view');
      s.panels.openRun(dir);
      return dir;
    }),

    guarded('pxp.compareRuns', async (a?: unknown, selected?: unknown) => {
      let dirs = Array.isArray(selected)
        ? selected.map(runDirOf).filter((d): d is string => !!d)
        : Array.isArray(a)
          ? a.map(runDirOf).filter((d): d is string => !!d)
          : [];
      if (dirs.length < 2) {
        const runs = listRuns(workspaceRoot()).filter((r) => r.kind === 'prune' || r.kind === 'search');
        if (runs.length < 2)
          throw badInput(
            'Compare Runs needs at least two prune or search runs',
            'run PXP: Prune Model… with two criteria first',
          );
        const picks = await vscode.window.showQuickPick(
          runs.map((r) => ({ label: r.name, description: describeFigures(r), dir: r.dir, picked: false })),
          { canPickMany: true, placeHolder: 'Runs to compare (two or more)', ignoreFocusOut: true },
        );
        if (!picks) return;
        dirs = picks.map((p) => p.dir);
        if (dirs.length < 2) throw badInput('pick at least two runs to compare');
      }
      const out = newRunFolder('compare');
      const value = await s.jobs.run(
        { kind: 'compare', title: `compare ${dirs.length} runs`, runDir: out },
        async ({ signal, report }) => {
          const r = await s.session.run('compare', { runs: dirs.join(','), out }, { signal, onProgress: report });
          s.log.info(r.text);
          return r.value;
        },
      );
      s.refreshRuns();
      if (!value) return;
      const best = [...value.runs].sort((x, y) => y.auc - x.auc)[0];
      const action = await vscode.window.showInformationMessage(
        `PXP: ${value.runs.map((r) => `${path.basename(r.run)} AUC ${r.auc.toFixed(3)}`).join(' · ')} — best ${path.basename(best.run)}`,
        'Open compare.html',
        'Open Best Run',
      );
      if (action === 'Open compare.html') openReport(path.join(out, 'compare.html'));
      else if (action === 'Open Best Run') s.panels.openRun(best.run);
      return out;
    }),

    guarded('pxp.selectBackend', async (a?: unknown) => {
      const choice =
        typeof a === 'string'
          ? (a as BackendPreference)
          : (
              await vscode.window.showQuickPick(
                BACKENDS.map((b) => ({ ...b, description: b.label === s.session.preference ? 'current' : '' })),
                { placeHolder: 'Engine backend (pxp.backend)' },
              )
            )?.label;
      if (!choice) return;
      await vscode.workspace.getConfiguration('pxp').update('backend', choice, vscode.ConfigurationTarget.Global);
      if (!vscode.workspace.isTrusted) return choice;
      s.session.restart();
      const started = await s.session.resolveBackend();
      const skipped = started.skipped.map((k) => `${k.name}: ${k.reason}`).join('; ');
      if (choice !== 'auto' && started.name !== choice)
        void vscode.window
          .showWarningMessage(`PXP: backend ${choice} did not start; using ${started.name}. ${skipped}`, 'Show Log')
          .then((x) => x && s.log.show());
      else
        void vscode.window.showInformationMessage(
          `PXP: the engine runs on ${started.name}${skipped ? ` (skipped ${skipped})` : ''}.`,
        );
      return started.name;
    }),

    guarded('pxp.showInfo', async (uri?: unknown) => {
      const m = await pickModel(uri instanceof vscode.Uri ? uri : undefined);
      if (!m) return;
      const info = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `PXP: reading ${vscode.workspace.asRelativePath(m)}` },
        () => s.session.request('info', { model: m }),
      );
      s.log.info(
        `${m}: ${info.layers.length} layers, ${info.params} parameters, ${info.flops} FLOPs, input ${info.inputShape.join('×')}`,
      );
      void vscode.window.showInformationMessage(
        `PXP: ${vscode.workspace.asRelativePath(m)}: ${info.params.toLocaleString('en')} parameters, input ${(info.fileInputShape ?? info.inputShape).join('×')}${info.onnx ? ` (ONNX opset ${info.onnx.opset}, channels first)` : ''}, ${info.numClasses} classes (backend ${info.backend.name})`,
      );
      return info;
    }),

    guarded('pxp.openDemo', async (a?: unknown) => {
      const source = path.join(s.context.extensionPath, 'examples', 'fashion-mnist');
      if (!fs.existsSync(source))
        throw badInput(`the demo files are missing from the extension (${source})`, 'reinstall PXP Studio');
      let parent = typeof a === 'string' ? a : undefined;
      if (!parent) {
        const picked = await vscode.window.showOpenDialog({
          canSelectFolders: true,
          canSelectFiles: false,
          title: 'Where to put the Fashion-MNIST demo (a fashion-mnist folder is created there)',
          openLabel: 'Copy the demo here',
        });
        parent = picked?.[0]?.fsPath;
        if (!parent) return;
      }
      let target = path.join(parent, 'fashion-mnist');
      for (let n = 2; fs.existsSync(target); n++) target = path.join(parent, `fashion-mnist-${n}`);
      fs.cpSync(source, target, { recursive: true });
      s.log.info(`copied the demo to ${target}`);
      if (typeof a !== 'string')
        await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(target), { forceNewWindow: false });
      return target;
    }),

    guarded('pxp.refreshRuns', () => s.refreshRuns()),
    guarded('pxp.clearFailedRuns', () => s.jobs.clearFailures()),
    // A report file (from a report's own link), a run (its report.html, search.html or compare.html), or ask.
    guarded('pxp.openReport', async (a?: unknown) => {
      const given = runDirOf(a);
      let file = given && /\.html$/i.test(given) ? given : undefined;
      if (!file) {
        const dir =
          given ??
          (await pickRun('Run whose report to open', (r) =>
            REPORT_FILES.some((f) => fs.existsSync(path.join(r.dir, f))),
          ));
        if (!dir) return;
        file = REPORT_FILES.map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
        if (!file)
          throw badInput(
            `${dir} has no report (${REPORT_FILES.join(', ')})`,
            'reports are written by pxp prune, search and compare',
          );
      }
      openReport(file);
      return file;
    }),

    guarded('pxp.revealRun', async (a?: unknown) => {
      const dir = runDirOf(a);
      if (dir) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(dir));
    }),
    guarded('pxp.runInfo', (a?: unknown) => {
      const dir = runDirOf(a);
      return dir ? readRunSummary(dir, workspaceRoot()) : undefined;
    }),
  ];
}
