/** The engine's methods: each takes its typed params and a RunControl (progress, cancellation) and calls the core. */
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../core/backend/select';
import { usageError } from '../core/errors';
import type { Command } from '../cli/command';
import { fileSystemError, runCommand } from '../cli/run-command';
import { discardFolder } from '../core/io/result-folder';
import { ENGINE_COMMAND_TABLE, findCommand } from '../cli/registry';
import { checkDataFitsModel } from '../core/io/data-fits-model';
import { loadDataArgument } from '../core/io/datasets';
import { openAnyModel } from '../core/io/open-model';
import { datasetForEngine } from '../core/io/array-layout';
import { disposeGraph } from '../core/graph/graph';
import { modelComponentGroups } from '../core/prune/layer-groups';
import { evaluateAccuracy, measureLatencyOn, onnxFileInput } from '../core/models/evaluate';
import type { RunControl } from '../core/progress';
import type { BackendPreference } from '../core/backend/select';
import type { EngineMethod, EngineMethods, RunResult } from '../protocol/engine';

/** Progress and cancellation, plus the command's lines of news (forwarded as output messages). */
export type EngineControl = RunControl & { output?: (line: string) => void };

type Handler<M extends EngineMethod> = (
  params: EngineMethods[M]['params'],
  control: EngineControl,
) => Promise<EngineMethods[M]['result']>;

/** Flags the editor may pass to a command: its own options and --force; never --json, --help or --backend (the engine's). */
function editorFlags(command: string, flags: Record<string, string | boolean>): Command {
  const cmd = findCommand(command);
  if (!cmd) throw usageError(`unknown command '${command}'`);
  for (const name of Object.keys(flags)) {
    if (!(name in cmd.options) && !(name === 'force' && 'out' in cmd.options) && name !== 'quiet')
      throw usageError(
        `pxp ${command} has no --${name}`,
        `options: ${Object.keys(cmd.options)
          .map((o) => `--${o}`)
          .join(', ')}`,
      );
  }
  return cmd;
}

export function engineHandlers(backend: () => BackendPreference): { [M in EngineMethod]: Handler<M> } {
  return {
    async backend() {
      return initBackend(backend());
    },
    async run({ command, flags }, control) {
      editorFlags(command, flags);
      const cmd: Command = ENGINE_COMMAND_TABLE[command];
      const out = typeof flags.out === 'string' ? path.resolve(flags.out) : undefined;
      const outExisted = out !== undefined && fs.existsSync(out);
      try {
        const { value, text } = await runCommand(cmd, flags, {
          json: false,
          force: flags.force === true,
          backend: backend(),
          progress: (p) => control.onProgress?.(p),
          log: (line) => control.output?.(line),
          signal: control.signal ?? new AbortController().signal,
        });
        // ENGINE_COMMAND_TABLE gives each command its value type; TypeScript cannot pair them across the union.
        return { command, value, text } as RunResult;
      } catch (e) {
        // A failed or cancelled run leaves nothing behind (pxp search, for one, writes trials.jsonl as it goes).
        if (out && !outExisted) discardFolder(out);
        throw fileSystemError(e);
      }
    },
    async info({ model }) {
      const choice = await initBackend(backend());
      // The structure only (the .onnx view): a large model's weights are never decoded nor put on the backend.
      const m = await openAnyModel(model, { weights: 'shapes' });
      try {
        return {
          ...m.summary,
          ...(m.onnx ? { onnx: { opset: m.onnx.opset, producer: m.onnx.producer } } : {}),
          groups: modelComponentGroups(m.sharedGraph()),
          backend: choice,
        };
      } finally {
        m.dispose();
      }
    },
    async evaluate({ model, data, split, limit }, control) {
      const choice = await initBackend(backend());
      const m = await openAnyModel(model);
      const graph = m.tfjs ? undefined : m.graph();
      try {
        const ds = datasetForEngine(loadDataArgument(data, split ?? 'test', { limit }), m);
        checkDataFitsModel(ds, m.summary, m.file);
        const predictor = m.tfjs ?? graph!;
        const acc = await evaluateAccuracy(predictor, ds, control);
        const latency = await measureLatencyOn(acc.executor, predictor, m.summary.inputShape, {
          onnxFile: onnxFileInput(m),
          tfjsEngine: `tfjs ${choice.name}`,
        });
        return { ...acc, latency, backend: choice };
      } finally {
        if (graph) disposeGraph(graph);
        m.dispose();
      }
    },
  };
}
