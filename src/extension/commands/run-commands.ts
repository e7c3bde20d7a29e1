/**
 * The commands that run engine work and write a run folder: Compute Relevance…, Prune Model…, Optimize
 * Attribution…, Train Example Model…, Export Pruned Model…. Each asks for what it needs (or takes it as an argument,
 * for tests and other extensions), runs as a cancellable job, and opens the panel that shows the result.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { badInput } from '../../core/errors';
// The engine removes what a failed job wrote; when the engine itself died (killed, out of memory) the host does.
import { discardFolder } from '../../core/io/result-folder';
import { PRESET_NAMES } from '../../core/lrp/composites';
import type { CommandFlags } from '../../protocol/engine';
import { showError } from '../jobs';
import { listRuns } from '../runs/run-summary';
import { type PruneTarget, parsePruneTarget, pruneTargetFlags } from '../prune-target';
import { type TaskData, checkTaskData, newRunFolder, pickModel, pickTaskData, rememberTaskData, workspaceRoot } from '../workspace-inputs';
import type { ExtensionServices } from './context';

const BASELINES = ['weight', 'activation', 'gradient', 'taylor', 'integrated-gradients', 'random'];

/** Arguments a caller may pass instead of answering the prompts. */
export interface RunArgs {
  model?: string;
  data?: TaskData;
  composite?: string;
  criterion?: string;
  rate?: number;
  /** For Prune: instead of rate, the accuracy budget in points (pxp prune --max-drop). */
  maxDrop?: number;
  trials?: number;
  evalLimit?: number;
  /** For Export: the prune run and the target folder. */
  run?: string;
  out?: string;
  /** For Train: dataset, architecture, epochs, training-sample limit. */
  arch?: string;
  epochs?: number;
  limit?: number;
  /** Open the result's panel when done (default true). */
  open?: boolean;
}

const argsOf = (a: unknown): RunArgs => (a instanceof vscode.Uri ? { model: a.fsPath } : a && typeof a === 'object' && !Array.isArray(a) ? (a as RunArgs) : {});

function dataFlags(d: TaskData): CommandFlags {
  const f: CommandFlags = {};
  if (d.data) f.data = d.data;
  if (d.reference) f.reference = d.reference;
  if (d.eval) f.eval = d.eval;
  return f;
}

function evalLimit(args: RunArgs): CommandFlags {
  const n = args.evalLimit ?? vscode.workspace.getConfiguration('pxp').get<number>('evalLimit') ?? 0;
  return n > 0 ? { 'eval-limit': String(n) } : {};
}

async function model(args: RunArgs): Promise<string | undefined> {
  const m = await pickModel(args.model);
  if (m && !fs.existsSync(m)) throw badInput(`${m} does not exist`, 'choose a model (model.json or .onnx) in the workspace');
  return m;
}

async function taskData(s: ExtensionServices, m: string, args: RunArgs): Promise<TaskData | undefined> {
  if (args.data) {
    await rememberTaskData(s.context.workspaceState, m, args.data);
    return checkTaskData(args.data);
  }
  const d = await pickTaskData(s.context.workspaceState, m);
  return d && checkTaskData(d);
}

async function quickPick(items: string[], placeHolder: string, given?: string): Promise<string | undefined> {
  if (given) return given;
  return vscode.window.showQuickPick(items, { placeHolder, ignoreFocusOut: true });
}

async function numberInput(prompt: string, value: string, check: (n: number) => boolean, given?: number): Promise<number | undefined> {
  if (given !== undefined) return given;
  const text = await vscode.window.showInputBox({ prompt, value, ignoreFocusOut: true, validateInput: (t) => (check(Number(t)) ? undefined : `not valid: ${t}`) });
  return text === undefined ? undefined : Number(text);
}

async function pruneTargetInput(): Promise<PruneTarget | undefined> {
  const text = await vscode.window.showInputBox({
    prompt: 'What to remove physically: a fraction of the components (0.5), an accuracy budget in points (1pt: the largest rate losing at most 1 point), or 0 for the accuracy curve only',
    value: '0.5',
    ignoreFocusOut: true,
    validateInput: (t) => (parsePruneTarget(t) ? undefined : `not a fraction in [0, 1) or a budget such as 1pt: ${t}`),
  });
  return text === undefined ? undefined : parsePruneTarget(text);
}

/** Runs one engine command as a job writing runDir; returns runDir when it completed. */
async function runJob(s: ExtensionServices, kind: 'relevance' | 'prune' | 'search', title: string, command: 'attribute' | 'prune' | 'search', flags: CommandFlags, runDir: string, onOutput?: (line: string) => void): Promise<string | undefined> {
  const done = await s.jobs.run({ kind, title, runDir }, async ({ signal, report }) => {
    const r = await s.session.run(command, { ...flags, out: runDir }, { signal, onProgress: report, onOutput: (l) => (s.log.info(l), onOutput?.(l)) });
    s.log.info(r.text);
    return runDir;
  });
  if (done === undefined) discardFolder(runDir);
  s.refreshRuns();
  return done;
}

// Long: a list of command registrations, each a short closure over the shared prompts (model, taskData, runJob).
export function registerRunCommands(s: ExtensionServices): vscode.Disposable[] {
  const guarded = (name: string, fn: (args: RunArgs) => Promise<unknown>) =>
    vscode.commands.registerCommand(name, async (a?: unknown) => {
      try {
        return await fn(argsOf(a));
      } catch (e) {
        showError(e, s.log);
        return undefined;
      }
    });

  return [
    guarded('pxp.computeRelevance', async (args) => {
      const m = await model(args);
      if (!m) return;
      const d = await taskData(s, m, args);
      if (!d) return;
      const samples = d.reference ?? d.eval;
      if (!samples) throw badInput('Compute Relevance needs a folder of samples (x.npy + y.npy)', 'choose reference and evaluation folders instead of an IDX dataset');
      const composite = await quickPick([...PRESET_NAMES], 'LRP composite', args.composite);
      if (!composite) return;
      const flags: CommandFlags = { model: m, inputs: path.join(samples, 'x.npy'), composite };
      if (fs.existsSync(path.join(samples, 'y.npy'))) flags.targets = path.join(samples, 'y.npy');
      const runDir = await runJob(s, 'relevance', `relevance of ${path.basename(path.dirname(m))} (${composite})`, 'attribute', flags, newRunFolder('relevance'));
      if (runDir && args.open !== false) s.panels.openRelevance(runDir, vscode.Uri.file(m));
      return runDir;
    }),

    guarded('pxp.pruneModel', async (args) => {
      const m = await model(args);
      if (!m) return;
      const d = await taskData(s, m, args);
      if (!d) return;
      const criterion = await quickPick([...PRESET_NAMES.map((p) => `lrp:${p}`), ...BASELINES], 'Pruning criterion (what ranks the components)', args.criterion);
      if (!criterion) return;
      const target = args.maxDrop !== undefined ? { maxDrop: args.maxDrop } : args.rate !== undefined ? { rate: args.rate } : await pruneTargetInput();
      if (!target) return;
      const flags: CommandFlags = { model: m, ...dataFlags(d), criterion, ...evalLimit(args), ...pruneTargetFlags(target) };
      const runDir = await runJob(s, 'prune', `prune ${path.basename(path.dirname(m))} by ${criterion}`, 'prune', flags, newRunFolder('prune'));
      if (runDir && args.open !== false) s.panels.openRun(runDir);
      return runDir;
    }),

    guarded('pxp.optimizeAttribution', async (args) => {
      const m = await model(args);
      if (!m) return;
      const d = await taskData(s, m, args);
      if (!d) return;
      const trials = await numberInput('Search trials (each one an LRP composite scored by its pruning curve)', '20', (n) => Number.isInteger(n) && n >= 1, args.trials);
      if (trials === undefined) return;
      const runDir = newRunFolder('search');
      let opened = false;
      // The search panel follows trials.jsonl as it grows: open it with the first trial.
      const onOutput = (line: string) => {
        if (!opened && args.open !== false && /^trial \d+/.test(line) && fs.existsSync(runDir)) {
          opened = true;
          s.panels.openSearch(runDir);
        }
      };
      const done = await runJob(s, 'search', `optimize attribution of ${path.basename(path.dirname(m))} (${trials} trials)`, 'search', { model: m, ...dataFlags(d), trials: String(trials), ...evalLimit(args) }, runDir, onOutput);
      if (done && args.open !== false && !opened) s.panels.openSearch(done);
      return done;
    }),

    guarded('pxp.trainExample', async (args) => {
      const root = workspaceRoot();
      let data = args.data?.data;
      if (!data) {
        const debian = '/usr/share/datasets/fashion-mnist';
        const items = [...(fs.existsSync(debian) ? [{ label: debian, description: "Debian's dataset-fashion-mnist" }] : []), { label: 'Choose a dataset folder…', description: 'IDX files or train/test subfolders' }];
        const pick = await vscode.window.showQuickPick(items, { placeHolder: 'Training data', ignoreFocusOut: true });
        if (!pick) return;
        data = pick.label === debian ? debian : (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Dataset folder' }))?.[0]?.fsPath;
        if (!data) return;
      }
      if (!fs.existsSync(data)) throw badInput(`the dataset folder ${data} does not exist`, 'choose a folder with IDX files or train/test subfolders');
      const arch = await quickPick(['vgg', 'resnet'], 'Architecture', args.arch);
      if (!arch) return;
      const epochs = await numberInput('Epochs', '1', (n) => Number.isInteger(n) && n >= 1, args.epochs);
      if (epochs === undefined) return;
      const stamp = path.basename(newRunFolder('train')).replace(/^train-/, '');
      const out = path.join(root, 'models', `${arch}-${stamp}`);
      const flags: CommandFlags = { arch, data, epochs: String(epochs), out };
      if (args.limit) flags.limit = String(args.limit);
      const done = await s.jobs.run({ kind: 'train', title: `train ${arch} (${epochs} epoch${epochs > 1 ? 's' : ''})`, runDir: out }, async ({ signal, report }) => {
        const r = await s.session.run('train', flags, { signal, onProgress: report, onOutput: (l) => s.log.info(l) });
        s.log.info(r.text);
        return out;
      });
      if (done === undefined) discardFolder(out);
      if (done) {
        s.refreshRuns();
        await vscode.window.showTextDocument(vscode.Uri.file(path.join(done, 'model.json')), { preview: true });
      }
      return done;
    }),

    guarded('pxp.exportPruned', async (args) => {
      const root = workspaceRoot();
      let run = args.run;
      if (!run) {
        const candidates = listRuns(root).filter((r) => prunedModelFile(r.dir) !== undefined);
        if (candidates.length === 0) throw badInput('no run in .pxp/runs has a pruned model', 'run PXP: Prune Model… with a rate above 0 first');
        const pick = await vscode.window.showQuickPick(
          candidates.map((r) => ({ label: r.name, description: r.rate !== undefined ? `${Math.round(r.rate * 100)} % removed` : '', dir: r.dir })),
          { placeHolder: 'Prune run to export', ignoreFocusOut: true },
        );
        if (!pick) return;
        run = pick.dir;
      }
      let out = args.out;
      if (!out) {
        const suggested = path.join('exported', path.basename(run));
        const text = await vscode.window.showInputBox({ prompt: 'Folder for the pruned model (relative to the workspace); it must not exist yet', value: suggested, ignoreFocusOut: true });
        if (!text) return;
        out = path.resolve(root, text);
      }
      if (fs.existsSync(out)) throw badInput(`${out} already exists`, 'choose a new folder: PXP never overwrites files');
      const target = out;
      const done = await s.jobs.run({ kind: 'export', title: `export ${path.basename(run)}`, runDir: target }, async ({ signal, report }) => {
        // The engine exports in the format the run pruned (tfjs model.json or ONNX model.onnx).
        const r = await s.session.run('export', { run: run!, out: target }, { signal, onProgress: report });
        s.log.info(r.text);
        return target;
      });
      if (done === undefined) discardFolder(target);
      if (done) void vscode.window.showInformationMessage(`PXP: exported the pruned model to ${vscode.workspace.asRelativePath(done)}/${path.basename(prunedModelFile(run) ?? 'model.json')}`);
      return done;
    }),
  ];
}

/** A run's pruned model file: pruned/model.onnx for a model from PyTorch, pruned/model.json for a tfjs one. */
function prunedModelFile(runDir: string): string | undefined {
  return ['model.onnx', 'model.json'].map((f) => path.join(runDir, 'pruned', f)).find((f) => fs.existsSync(f));
}
