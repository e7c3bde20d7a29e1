/**
 * Messages between the extension host and the engine process (child_process.fork, advanced serialization). One
 * request gets any number of progress messages and then exactly one result or error; cancel asks the engine to stop
 * the request, which then ends with an error of code 'cancelled'.
 */
import type { BackendChoice, BackendPreference } from '../core/backend/select';
import type { PxpErrorCode } from '../core/errors';
import type { ModelSummary } from '../core/graph/summary';
import type { ModelComponentGroups } from '../core/prune/layer-groups';
import type { AccuracyResult, LatencyResult } from '../core/models/evaluate';
import type { Progress } from '../core/progress';
import type { CommandValues } from '../cli/registry';

/** The `pxp` commands the engine runs in-process for the editor (the same Command objects as the CLI). */
export const ENGINE_COMMANDS = [
  'attribute',
  'prune',
  'search',
  'train',
  'export',
  'evaluate',
  'predict',
  'info',
  'compare',
] as const;
export type EngineCommand = (typeof ENGINE_COMMANDS)[number];
export const isEngineCommand = (c: unknown): c is EngineCommand =>
  typeof c === 'string' && (ENGINE_COMMANDS as readonly string[]).includes(c);

/** A command's flags as the CLI would parse them: `--out DIR` is `{out: 'DIR'}`, `--signed` is `{signed: true}`. */
export type CommandFlags = Record<string, string | boolean>;

/** A finished `run`: the command, its result value (what `pxp COMMAND --json` prints) and its text. */
export type RunResult<C extends EngineCommand = EngineCommand> = {
  [K in EngineCommand]: { command: K; value: CommandValues[K]; text: string };
}[C];

/** Whether a run's result is that of `command` (the engine answers a run with the command's own result). */
export const isResultOf = <C extends EngineCommand>(
  r: RunResult,
  command: C,
): r is Extract<RunResult, { command: C }> => r.command === command;

/** The engine's methods: their parameters and their results. */
export interface EngineMethods {
  /** Starts the chosen backend (pxp.backend) and says which one runs, and why the others were skipped. */
  backend: { params: Record<string, never>; result: BackendChoice };
  info: {
    params: { model: string };
    result: ModelSummary & {
      backend: BackendChoice;
      fileInputShape?: number[];
      onnx?: { opset: number; producer: string };
      /** Which prunable layers' components are tied (residual adds, depthwise convs). */
      groups: ModelComponentGroups;
    };
  };
  evaluate: {
    params: { model: string; data: string; split?: 'train' | 'val' | 'test'; limit?: number };
    result: AccuracyResult & { latency: LatencyResult; backend: BackendChoice };
  };
  /**
   * Runs a `pxp` command. An --out folder that did not exist before is removed again when the command fails or is
   * cancelled, so a run appears whole or not at all.
   */
  run: { params: { command: EngineCommand; flags: CommandFlags }; result: RunResult };
}

export type EngineMethod = keyof EngineMethods;

export interface RequestMessage<M extends EngineMethod = EngineMethod> {
  type: 'request';
  id: number;
  method: M;
  params: EngineMethods[M]['params'];
}
export interface CancelMessage {
  type: 'cancel';
  id: number;
}
/** Sent once, before any request, so the engine starts the backend the user chose. */
export interface ConfigureMessage {
  type: 'configure';
  backend: BackendPreference;
}
export type ToEngine = RequestMessage | CancelMessage | ConfigureMessage;

/** Progress of a request: core's Progress (the same the CLI prints) with the request's id. */
export interface ProgressMessage extends Progress {
  type: 'progress';
  id: number;
}
/** A line of a running command's human-readable news (what the CLI prints on stderr). */
export interface OutputMessage {
  type: 'output';
  id: number;
  line: string;
}
export interface ResultMessage<M extends EngineMethod = EngineMethod> {
  type: 'result';
  id: number;
  value: EngineMethods[M]['result'];
}
export interface ErrorMessage {
  type: 'error';
  id: number;
  code: PxpErrorCode;
  message: string;
  hint?: string;
}
/** Engine log lines, for the extension's output channel. */
export interface LogMessage {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
}
export type FromEngine = ProgressMessage | OutputMessage | ResultMessage | ErrorMessage | LogMessage;

const isObject = (m: unknown): m is Record<string, unknown> => typeof m === 'object' && m !== null;

/** Messages cross a process boundary: check their shape before trusting them. */
export function isToEngine(m: unknown): m is ToEngine {
  if (!isObject(m)) return false;
  switch (m.type) {
    case 'request':
      return (
        typeof m.id === 'number' &&
        typeof m.method === 'string' &&
        isObject(m.params) &&
        (m.method !== 'run' || isRunParams(m.params))
      );
    case 'cancel':
      return typeof m.id === 'number';
    case 'configure':
      return typeof m.backend === 'string';
    default:
      return false;
  }
}

export function isFromEngine(m: unknown): m is FromEngine {
  if (!isObject(m)) return false;
  switch (m.type) {
    case 'progress':
      return typeof m.id === 'number' && typeof m.done === 'number' && typeof m.total === 'number';
    case 'output':
      return typeof m.id === 'number' && typeof m.line === 'string';
    case 'result':
      return typeof m.id === 'number' && 'value' in m;
    case 'error':
      return typeof m.id === 'number' && typeof m.code === 'string' && typeof m.message === 'string';
    case 'log':
      return typeof m.message === 'string';
    default:
      return false;
  }
}

function isRunParams(p: Record<string, unknown>): boolean {
  return (
    isEngineCommand(p.command) &&
    isObject(p.flags) &&
    Object.values(p.flags).every((v) => typeof v === 'string' || typeof v === 'boolean')
  );
}
