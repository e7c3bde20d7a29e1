/**
 * pxp.config.json, the file workspace tasks run from: parsed into the flags of one `pxp` command, with every error
 * located at a line and column so the task can print `pxp.config.json:LINE:COL: error: message` for the problem
 * matcher. Paths are relative to the config file. No vscode import: unit-tested in plain Node.
 */
import path from 'node:path';
import { NORMALIZATIONS, isNormalization } from '../core/prune/normalize';
import type { CommandFlags, EngineCommand } from '../protocol/engine';

export const TASK_COMMANDS = ['prune', 'search', 'attribute', 'train'] as const;
export type TaskCommand = (typeof TASK_COMMANDS)[number];

/** The top-level settings of pxp.config.json (schemas/pxp.config.schema.json lists the same). */
export const CONFIG_SETTINGS = [
  '$schema',
  'model',
  'data',
  'reference',
  'eval',
  'criterion',
  'composite',
  'rates',
  'rate',
  'maxDrop',
  'normalize',
  'evalLimit',
  'seed',
  'search',
  'train',
] as const;

export interface ConfigError {
  line: number;
  column: number;
  message: string;
}

export type ParsedTaskConfig =
  { ok: true; command: EngineCommand; flags: CommandFlags } | { ok: false; errors: ConfigError[] };

type Json = Record<string, unknown>;

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/** Where `"key":` stands (the first time, after `within` when given), else the start of the file. */
function keyOffset(text: string, key: string, within?: string): number {
  const from = within ? Math.max(0, text.search(new RegExp(`"${within}"\\s*:`))) : 0;
  const re = new RegExp(`"${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\s*:`, 'g');
  re.lastIndex = from;
  const m = re.exec(text);
  return m ? m.index : 0;
}

/** The offset a JSON.parse error names ("at position N", or "line L column C" in newer engines). */
function syntaxErrorOffset(text: string, message: string): number {
  const pos = /at position (\d+)/.exec(message);
  if (pos) return Number(pos[1]);
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) {
    const lines = text.split('\n');
    return lines.slice(0, Number(lc[1]) - 1).reduce((a, l) => a + l.length + 1, 0) + Number(lc[2]) - 1;
  }
  return text.length;
}

/**
 * The flags of `pxp <command>` from the config. Output folders are not the config's business: the caller adds
 * --out (a new run folder).
 */
export function parseTaskConfig(text: string, configPath: string, command: string): ParsedTaskConfig {
  if (!(TASK_COMMANDS as readonly string[]).includes(command)) {
    return {
      ok: false,
      errors: [{ line: 1, column: 1, message: `task command '${command}' is not one of ${TASK_COMMANDS.join(', ')}` }],
    };
  }
  let config: Json;
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return { ok: false, errors: [{ line: 1, column: 1, message: 'pxp.config.json must hold one JSON object' }] };
    config = value as Json;
  } catch (e) {
    const message = (e as Error).message;
    return {
      ok: false,
      errors: [{ ...lineColumn(text, syntaxErrorOffset(text, message)), message: `not valid JSON: ${message}` }],
    };
  }
  const r = configReader(text, config, path.dirname(configPath));
  const known = new Set<string>(CONFIG_SETTINGS);
  for (const key of Object.keys(config))
    if (!known.has(key))
      r.at(key, `unknown setting "${key}" (known: ${[...known].filter((k) => k !== '$schema').join(', ')})`);
  const task = command as TaskCommand;
  const flags = task === 'train' ? trainFlags(r) : task === 'attribute' ? attributeFlags(r) : rankedTaskFlags(r, task);
  return r.errors.length ? { ok: false, errors: r.errors } : { ok: true, command: task, flags };
}

/** The parsed config with its error list and the typed readers that locate each error at its key. */
interface ConfigReader {
  config: Json;
  dir: string;
  errors: ConfigError[];
  /** Records an error at `"key":` (after `within` when given). */
  at(key: string, message: string, within?: string): void;
  /** A path setting, resolved against the config's folder. */
  file(key: string, obj?: Json, within?: string): string | undefined;
  /** An integer setting ≥ min, as a flag value. */
  count(key: string, obj: Json, min: number, within?: string): string | undefined;
}

function configReader(text: string, config: Json, dir: string): ConfigReader {
  const errors: ConfigError[] = [];
  const at = (key: string, message: string, within?: string) =>
    errors.push({ ...lineColumn(text, keyOffset(text, key, within)), message });
  return {
    config,
    dir,
    errors,
    at,
    file(key, obj = config, within) {
      const v = obj[key];
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || v === '') {
        at(key, `"${key}" must be a path (a non-empty string)`, within);
        return undefined;
      }
      return path.resolve(dir, v);
    },
    count(key, obj, min, within) {
      const v = obj[key];
      if (v === undefined) return undefined;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
        at(key, `"${key}" must be an integer ≥ ${min}, got ${JSON.stringify(v)}`, within);
        return undefined;
      }
      return String(v);
    },
  };
}

/** pxp train: "train" settings, with the top-level data as fallback. */
function trainFlags(r: ConfigReader): CommandFlags {
  const { config, at, file, count } = r;
  const flags: CommandFlags = {};
  const train = (config.train ?? {}) as Json;
  if (typeof train !== 'object' || Array.isArray(train)) at('train', '"train" must be an object');
  const data = file('data', train, 'train') ?? file('data');
  if (!data)
    at('train', 'training needs "data" (a dataset folder with train and test splits) in "train" or at the top');
  else flags.data = data;
  if (train.arch !== undefined) {
    if (train.arch !== 'vgg' && train.arch !== 'resnet') at('arch', '"arch" must be "vgg" or "resnet"', 'train');
    else flags.arch = train.arch;
  }
  const epochs = count('epochs', train, 1, 'train');
  if (epochs) flags.epochs = epochs;
  const limit = count('limit', train, 1, 'train');
  if (limit) flags.limit = limit;
  const seed = count('seed', config, 0);
  if (seed) flags.seed = seed;
  return flags;
}

/** "model", which every task but train requires. */
function modelFlag(r: ConfigReader, flags: CommandFlags): void {
  const model = r.file('model');
  if (!model) {
    if (r.config.model === undefined)
      r.errors.push({
        line: 1,
        column: 1,
        message: '"model" is required: the path of a tfjs model.json or an .onnx file',
      });
  } else flags.model = model;
}

/** pxp attribute: the reference samples (x.npy + y.npy) and the composite. */
function attributeFlags(r: ConfigReader): CommandFlags {
  const { config, at, file } = r;
  const flags: CommandFlags = {};
  modelFlag(r, flags);
  // Every path setting is checked, though attribute reads its samples from "reference" (else "eval") only.
  file('data');
  const reference = file('reference');
  const evalDir = file('eval');
  const samples = reference ?? evalDir;
  if (!samples)
    at(
      config.data !== undefined ? 'data' : 'model',
      'the attribute task needs "reference" (a folder of x.npy + y.npy)',
    );
  else {
    flags.inputs = path.join(samples, 'x.npy');
    flags.targets = path.join(samples, 'y.npy');
  }
  if (config.composite !== undefined) {
    if (typeof config.composite !== 'string') at('composite', '"composite" must be a preset name or a JSON file path');
    else
      flags.composite = config.composite.endsWith('.json') ? path.resolve(r.dir, config.composite) : config.composite;
  }
  return flags;
}

/** pxp prune and pxp search: data, evaluation settings and ranking, then each one's own settings. */
function rankedTaskFlags(r: ConfigReader, command: 'prune' | 'search'): CommandFlags {
  const { config, at, file, count } = r;
  const flags: CommandFlags = {};
  modelFlag(r, flags);
  const data = file('data');
  const reference = file('reference');
  const evalDir = file('eval');
  if (data && (reference || evalDir)) at('data', 'give either "data", or "reference" and "eval", not both');
  else if (data) flags.data = data;
  else if (reference && evalDir) Object.assign(flags, { reference, eval: evalDir });
  else
    r.errors.push({
      line: 1,
      column: 1,
      message:
        'the data is missing: give "data" (a dataset folder), or "reference" and "eval" (folders of x.npy + y.npy)',
    });
  const limit = count('evalLimit', config, 1);
  if (limit) flags['eval-limit'] = limit;
  const seed = count('seed', config, 0);
  if (seed) flags.seed = seed;
  if (config.rates !== undefined) {
    const rates = config.rates;
    if (!Array.isArray(rates) || rates.length === 0 || !rates.every((x) => typeof x === 'number' && x >= 0 && x < 1))
      at('rates', '"rates" must be a non-empty list of fractions in [0, 1)');
    else flags.rates = rates.join(',');
  }
  // Prune and search rank the same way.
  if (config.normalize !== undefined) {
    if (!isNormalization(String(config.normalize)))
      at(
        'normalize',
        `"normalize" must be ${NORMALIZATIONS.map((n) => `"${n}"`)
          .join(', ')
          .replace(/, ([^,]*)$/, ' or $1')}`,
      );
    else flags.normalize = String(config.normalize);
  }
  if (command === 'prune') pruneSettings(r, flags);
  else searchSettings(r, flags);
  return flags;
}

function pruneSettings({ config, at }: ConfigReader, flags: CommandFlags): void {
  if (config.criterion !== undefined) {
    if (typeof config.criterion !== 'string')
      at('criterion', '"criterion" must be a string such as "lrp:epsilon-plus-flat" or "taylor"');
    else flags.criterion = config.criterion;
  }
  if (config.rate !== undefined) {
    if (typeof config.rate !== 'number' || !(config.rate >= 0 && config.rate < 1))
      at('rate', `"rate" must be a fraction in [0, 1), got ${JSON.stringify(config.rate)}`);
    else if (config.rate > 0) flags.rate = String(config.rate);
  }
  if (config.maxDrop !== undefined) {
    if (typeof config.maxDrop !== 'number' || !(config.maxDrop >= 0 && config.maxDrop <= 100))
      at('maxDrop', `"maxDrop" must be accuracy points in [0, 100], got ${JSON.stringify(config.maxDrop)}`);
    else if (flags.rate !== undefined)
      at('maxDrop', '"maxDrop" and "rate" both choose the physical rate: give one of them');
    else flags['max-drop'] = String(config.maxDrop);
  }
}

function searchSettings({ config, at, count }: ConfigReader, flags: CommandFlags): void {
  const search = (config.search ?? {}) as Json;
  if (typeof search !== 'object' || Array.isArray(search)) at('search', '"search" must be an object');
  flags.trials = count('trials', search, 1, 'search') ?? '20';
  const timeout = count('timeout', search, 1, 'search');
  if (timeout) flags.timeout = timeout;
  if (search.sampler !== undefined) {
    if (!['tpe', 'random', 'grid'].includes(String(search.sampler)))
      at('sampler', '"sampler" must be "tpe", "random" or "grid"', 'search');
    else flags.sampler = String(search.sampler);
  }
}
