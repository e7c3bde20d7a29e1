/**
 * The shape of a `pxp` command: its flags (node's parseArgs config), its help text, and a run function that returns
 * a result object. The dispatcher prints the result as one JSON document (--json) or as the command's text.
 */
import type { ParseArgsConfig } from 'node:util';
import type { BackendPreference } from '../core/backend/select';
import { BACKEND_PREFERENCES } from '../core/backend/select';
import type { ProgressSink } from '../core/progress';
import { EXECUTORS, type ValueCheck, choiceValue } from './flags';

/** A flag: node's parseArgs config, its help, and the check its value must pass before the command starts. */
export type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & {
  description: string;
  placeholder?: string;
  value?: ValueCheck;
};

export interface CommandContext {
  json: boolean;
  force: boolean;
  backend: BackendPreference;
  progress: ProgressSink;
  /** A line of human-readable news on stderr (silent with --json). */
  log: (line: string) => void;
  signal: AbortSignal;
}

export interface CommandResult<V = unknown> {
  value: V;
  text: string;
}

export interface Command<V = unknown> {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  /** Flags that must be present. */
  required?: string[];
  run(flags: Record<string, string | boolean | undefined>, ctx: CommandContext): Promise<CommandResult<V>>;
}

/** Declares a command; the type of its result is inferred from `run`, so callers through the engine get it per command. */
export function defineCommand<V>(command: Command<V>): Command<V> {
  return command;
}

/** The value a command's run resolves to (what `pxp NAME --json` prints). */
export type CommandValue<C> = C extends Command<infer V> ? V : never;

/** Flags every command takes. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print one JSON document on stdout; progress goes to stderr as JSON lines' },
  backend: {
    type: 'string',
    placeholder: 'NAME',
    description: 'auto | tensorflow-gpu | tensorflow | wasm | cpu (default auto)',
    value: choiceValue(BACKEND_PREFERENCES),
  },
  quiet: { type: 'boolean', description: 'no progress on stderr' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

/** --model, as the commands that open a model take it (openModel: tfjs or ONNX). */
export const MODEL_OPTION: OptionSpec = {
  type: 'string',
  placeholder: 'FILE',
  description: 'a tfjs model.json, or an .onnx file exported from PyTorch',
};

/** --executor, read by executorFlag (flags.ts): what runs the model's heavy work. */
export const EXECUTOR_OPTION: OptionSpec = {
  type: 'string',
  placeholder: 'NAME',
  description: 'auto (onnxruntime when installed, else tfjs), onnx or tfjs; default from $PXP_EXECUTOR',
  value: choiceValue(EXECUTORS),
};
/** --force, for the commands that write an --out folder (the others have nothing to overwrite, and refuse it). */
export const FORCE_OPTION: OptionSpec = {
  type: 'boolean',
  description: 'replace the result in an existing --out folder (an older PXP result, replaced whole)',
};

/** The flags a command accepts: its own, --force when it writes an --out folder, and the common ones. */
export function commandOptions(cmd: Command): Record<string, OptionSpec> {
  return { ...cmd.options, ...('out' in cmd.options ? { force: FORCE_OPTION } : {}), ...COMMON_OPTIONS };
}

export function helpText(cmd: Command): string {
  const lines = [`pxp ${cmd.name}: ${cmd.summary}`, '', `usage: ${cmd.usage}`, '', 'options:'];
  const all = commandOptions(cmd);
  const col = (name: string, o: OptionSpec) => `--${name}${o.type === 'string' ? ` ${o.placeholder ?? 'VALUE'}` : ''}`;
  const width = Math.max(...Object.entries(all).map(([n, o]) => col(n, o).length));
  for (const [name, o] of Object.entries(all)) lines.push(`  ${col(name, o).padEnd(width)}  ${o.description}`);
  return lines.join('\n');
}
