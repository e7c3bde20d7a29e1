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
import { listRuns, runNameTags } from '../runs/run-summary';
import { type CompositeChoice, compositeChoices } from '../composite-choices';
import {
  DEFAULT_PRUNE_TARGET,
  PRUNE_TARGET_PROMPT,
  type PruneTarget,
  parsePruneTarget,
  pruneTargetFlags,
} from '../prune-target';
import {
  type TaskData,
  checkTaskData,
  newRunFolder,
  pickModel,
  pickTaskData,
  rememberTaskData,
  workspaceRoot,
} from '../workspace-inputs';
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
  /** For Optimize: a shared study (pxp search --storage URL --study NAME; the URL defaults to pxp.searchStorage). */
  storage?: string;
  study?: string;
  /** Join the study as it is (its settings; no trial count asked). */
  join?: boolean;
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

const argsOf = (a: unknown): RunArgs =>
  a instanceof vscode.Uri ? { model: a.fsPath } : a && typeof a === 'object' && !Array.isArray(a) ? (a as RunArgs) : {};

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

/** ONNX models: where the engine looks for their Python code (the workspace folders and pxp.sourceRoots). */
function sourceRoots(modelPath: string): CommandFlags {
  if (!modelPath.endsWith('.onnx')) return {};
  const roots = [
    ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    ...(vscode.workspace.getConfiguration('pxp').get<string[]>('sourceRoots') ?? []),
  ];
  return roots.length ? { 'source-roots': roots.join(path.delimiter) } : {};
}

async function model(args: RunArgs): Promise<string | undefined> {
  const m = await pickModel(args.model);
  if (m && !fs.existsSync(m))
    throw badInput(`${m} does not exist`, 'choose a model (model.json or .onnx) in the workspace');
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

const STUDY_NAME = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * With a database for searches (pxp.searchStorage, or `storage` given): the study to create or join, as flags of pxp
 * search; undefined without one, null when the user cancelled. The worker keeps the run folder a live copy of the
 * study, so the Search panel follows every worker's trials.
 */
async function sharedStudy(args: RunArgs): Promise<{ flags: CommandFlags; join: boolean } | null | undefined> {
  const storage = (args.storage ?? vscode.workspace.getConfiguration('pxp').get<string>('searchStorage') ?? '').trim();
  if (!storage) return undefined;
  const study =
    args.study ??
    (await vscode.window.showInputBox({
      prompt: `Study in ${storage} (a new name creates it; an existing one is joined)`,
      value: `search-${path.basename(newRunFolder('search')).replace(/^search-/, '')}`,
      ignoreFocusOut: true,
      validateInput: (t) => (STUDY_NAME.test(t) ? undefined : "1–100 letters, digits, '.', '_' or '-'"),
    }));
  if (!study) return null;
  let join = args.join;
  if (join === undefined) {
    const pick = await vscode.window.showQuickPick(
      ['Create it with these settings (or join it if they are the same)', 'Join it as it is (its trials and settings)'],
      { placeHolder: `Study ${study}`, ignoreFocusOut: true },
    );
    if (!pick) return null;
    join = pick.startsWith('Join');
  }
  return { flags: { storage, study, ...(join ? { join: true } : {}) }, join };
}

/** A preset, a JSON composite of the workspace (best-composite.json first) or one chosen from disk. */
async function compositePick(
  placeHolder: string,
  prefix = '',
  extra: CompositeChoice[] = [],
): Promise<string | undefined> {
  const found = await vscode.workspace.findFiles(
    '{**/best-composite.json,**/*composite*.json}',
    '**/node_modules/**',
    50,
  );
  const files = found.flatMap((u) => {
    try {
      return [{ path: u.fsPath, mtimeMs: fs.statSync(u.fsPath).mtimeMs }];
    } catch {
      return [];
    }
  });
  const pick = await vscode.window.showQuickPick(
    [...compositeChoices(PRESET_NAMES, files, workspaceRoot(), prefix), ...extra],
    { placeHolder, ignoreFocusOut: true, matchOnDescription: true },
  );
  if (!pick) return undefined;
  if (pick.value !== undefined) return pick.value;
  const chosen = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: false,
    filters: { 'LRP composite': ['json'] },
    title: "LRP composite (JSON, e.g. a search's best-composite.json)",
  });
  return chosen?.[0]?.fsPath;
}

async function quickPick(items: string[], placeHolder: string, given?: string): Promise<string | undefined> {
  if (given) return given;
  return vscode.window.showQuickPick(items, { placeHolder, ignoreFocusOut: true });
}

async function numberInput(
  prompt: string,
  value: string,
  check: (n: number) => boolean,
  given?: number,
): Promise<number | undefined> {
  if (given !== undefined) return given;
  const text = await vscode.window.showInputBox({
    prompt,
    value,
    ignoreFocusOut: true,
    validateInput: (t) => (check(Number(t)) ? undefined : `not valid: ${t}`),
  });
  return text === undefined ? undefined : Number(text);
}

async function pruneTargetInput(): Promise<PruneTarget | undefined> {
  const text = await vscode.window.showInputBox({
    prompt: PRUNE_TARGET_PROMPT,
    value: DEFAULT_PRUNE_TARGET,
    ignoreFocusOut: true,
    validateInput: (t) => (parsePruneTarget(t) ? undefined : `not a fraction in [0, 1) or a budget such as 1pt: ${t}`),
  });
  return text === undefined ? undefined : parsePruneTarget(text);
}

/** Runs one engine command as a job writing runDir; returns runDir when it completed. */
async function runJob(
  s: ExtensionServices,
  kind: 'relevance' | 'prune' | 'search',
  title: string,
  command: 'attribute' | 'prune' | 'search',
  flags: CommandFlags,
  runDir: string,
  onOutput?: (line: string) => void,
): Promise<string | undefined> {
  const done = await s.jobs.run({ kind, title, runDir }, async ({ signal, report }) => {
    const r = await s.session.run(
      command,
      { ...flags, out: runDir },
      { signal, onProgress: report, onOutput: (l) => (s.log.info(l), onOutput?.(l)) },
    );
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
      if (!samples)
        throw badInput(
          'Compute Relevance needs a folder of samples (x.npy + y.npy)',
          'choose reference and evaluation folders instead of an IDX dataset',
        );
      const composite = args.composite ?? (await compositePick('LRP composite: a preset or a JSON composite'));
      if (!composite) return;
      const flags: CommandFlags = { model: m, inputs: path.join(samples, 'x.npy'), composite, ...sourceRoots(m) };
      if (fs.existsSync(path.join(samples, 'y.npy'))) flags.targets = path.join(samples, 'y.npy');
      const runDir = await runJob(
        s,
        'relevance',
        `relevance of ${path.basename(path.dirname(m))} (${composite})`,
        'attribute',
        flags,
        newRunFolder('relevance', runNameTags('attribute', flags)),
      );
      if (runDir && args.open !== false) s.panels.openRelevance(runDir, vscode.Uri.file(m));
      return runDir;
    }),

    guarded('pxp.pruneModel', async (args) => {
      const m = await model(args);
      if (!m) return;
      const d = await taskData(s, m, args);
      if (!d) return;
      const picked =
        args.criterion ??
        (await compositePick(
          'Pruning criterion: an LRP composite (preset or JSON) or a baseline',
          'lrp:',
          BASELINES.map((b) => ({ label: b, description: 'baseline', value: `baseline:${b}` })),
        ));
      // Composites become lrp:<preset|file>; baselines are criteria of their own.
      const criterion =
        picked === undefined || args.criterion
          ? picked
          : picked.startsWith('baseline:')
            ? picked.slice('baseline:'.length)
            : `lrp:${picked}`;
      if (!criterion) return;
      const target =
        args.maxDrop !== undefined
          ? { maxDrop: args.maxDrop }
          : args.rate !== undefined
            ? { rate: args.rate }
            : await pruneTargetInput();
      if (!target) return;
      const flags: CommandFlags = {
        model: m,
        ...dataFlags(d),
        criterion,
        ...evalLimit(args),
        ...pruneTargetFlags(target),
        ...sourceRoots(m),
      };
      const runDir = await runJob(
        s,
        'prune',
        `prune ${path.basename(path.dirname(m))} by ${criterion}`,
        'prune',
        flags,
        newRunFolder('prune', runNameTags('prune', flags)),
      );
      if (runDir && args.open !== false) s.panels.openRun(runDir);
      return runDir;
    }),

    guarded('pxp.optimizeAttribution', async (args) => {
      const m = await model(args);
      if (!m) return;
      const d = await taskData(s, m, args);
      if (!d) return;
      const shared = await sharedStudy(args);
      if (shared === null) return;
      const trials = shared?.join
        ? undefined
        : await numberInput(
            'Search trials (each one an LRP composite scored by its pruning curve)',
            '20',
            (n) => Number.isInteger(n) && n >= 1,
            args.trials,
          );
      if (trials === undefined && !shared?.join) return;
      const runDir = newRunFolder(
        'search',
        runNameTags('search', trials === undefined ? {} : { trials: String(trials) }),
      );
      let opened = false;
      // The search panel follows trials.jsonl as it grows: open it with the first trial.
      const onOutput = (line: string) => {
        if (!opened && args.open !== false && /^trial \d+/.test(line) && fs.existsSync(runDir)) {
          opened = true;
          s.panels.openSearch(runDir);
        }
      };
      const flags: CommandFlags = {
        model: m,
        ...dataFlags(d),
        ...(trials !== undefined ? { trials: String(trials) } : {}),
        ...evalLimit(args),
        ...(shared?.flags ?? {}),
      };
      const what = shared
        ? `study ${shared.flags.study}${trials !== undefined ? `, ${trials} trials` : ''}`
        : `${trials} trials`;
      const done = await runJob(
        s,
        'search',
        `optimize attribution of ${path.basename(path.dirname(m))} (${what})`,
        'search',
        flags,
        runDir,
        onOutput,
      );
      if (done && args.open !== false && !opened) s.panels.openSearch(done);
      return done;
    }),

    guarded('pxp.trainExample', async (args) => {
      const root = workspaceRoot();
      let data = args.data?.data;
      if (!data) {
        const debian = '/usr/share/datasets/fashion-mnist';
        const items = [
          ...(fs.existsSync(debian) ? [{ label: debian, description: "Debian's dataset-fashion-mnist" }] : []),
          { label: 'Choose a dataset folder…', description: 'IDX files or train/test subfolders' },
        ];
        const pick = await vscode.window.showQuickPick(items, { placeHolder: 'Training data', ignoreFocusOut: true });
        if (!pick) return;
        data =
          pick.label === debian
            ? debian
            : (
                await vscode.window.showOpenDialog({
                  canSelectFolders: true,
                  canSelectFiles: false,
                  title: 'Dataset folder',
                })
              )?.[0]?.fsPath;
        if (!data) return;
      }
      if (!fs.existsSync(data))
        throw badInput(
          `the dataset folder ${data} does not exist`,
          'choose a folder with IDX files or train/test subfolders',
        );
      const arch = await quickPick(['vgg', 'resnet', 'vit'], 'Architecture', args.arch);
      if (!arch) return;
      const epochs = await numberInput('Epochs', '1', (n) => Number.isInteger(n) && n >= 1, args.epochs);
      if (epochs === undefined) return;
      const stamp = path.basename(newRunFolder('train')).replace(/^train-/, '');
      const out = path.join(root, 'models', `${arch}-${stamp}`);
      const flags: CommandFlags = { arch, data, epochs: String(epochs), out };
      if (args.limit) flags.limit = String(args.limit);
      const done = await s.jobs.run(
        { kind: 'train', title: `train ${arch} (${epochs} epoch${epochs > 1 ? 's' : ''})`, runDir: out },
        async ({ signal, report }) => {
          const r = await s.session.run('train', flags, { signal, onProgress: report, onOutput: (l) => s.log.info(l) });
          s.log.info(r.text);
          return out;
        },
      );
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
        if (candidates.length === 0)
          throw badInput('no run in .pxp/runs has a pruned model', 'run PXP: Prune Model… with a rate above 0 first');
        const pick = await vscode.window.showQuickPick(
          candidates.map((r) => ({
            label: r.name,
            description: r.rate !== undefined ? `${Math.round(r.rate * 100)} % removed` : '',
            dir: r.dir,
          })),
          { placeHolder: 'Prune run to export', ignoreFocusOut: true },
        );
        if (!pick) return;
        run = pick.dir;
      }
      let out = args.out;
      if (!out) {
        const suggested = path.join('exported', path.basename(run));
        const text = await vscode.window.showInputBox({
          prompt: 'Folder for the pruned model (relative to the workspace); it must not exist yet',
          value: suggested,
          ignoreFocusOut: true,
        });
        if (!text) return;
        out = path.resolve(root, text);
      }
      if (fs.existsSync(out))
        throw badInput(`${out} already exists`, 'choose a new folder: PXP never overwrites files');
      const target = out;
      const done = await s.jobs.run(
        { kind: 'export', title: `export ${path.basename(run)}`, runDir: target },
        async ({ signal, report }) => {
          // The engine exports in the format the run pruned (tfjs model.json or ONNX model.onnx).
          const r = await s.session.run('export', { run: run!, out: target }, { signal, onProgress: report });
          s.log.info(r.text);
          return target;
        },
      );
      if (done === undefined) discardFolder(target);
      if (done)
        void vscode.window.showInformationMessage(
          `PXP: exported the pruned model to ${vscode.workspace.asRelativePath(done)}/${path.basename(prunedModelFile(run) ?? 'model.json')}`,
        );
      return done;
    }),
  ];
}

/** A run's pruned model file: pruned/model.onnx for a model from PyTorch, pruned/model.json for a tfjs one. */
function prunedModelFile(runDir: string): string | undefined {
  return ['model.onnx', 'model.json'].map((f) => path.join(runDir, 'pruned', f)).find((f) => fs.existsSync(f));
}
