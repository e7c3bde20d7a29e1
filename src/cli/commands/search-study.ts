/**
 * `pxp search … --storage postgresql://USER@HOST:PORT/DB --study NAME`: one search shared by worker processes on any
 * machines (issue 19). Without --join the command creates the study with its settings (or joins one made with the
 * same settings); with --join it joins an existing one after checking the model and the data by hash; either way it
 * then runs trials until the study has them all. `--export RUN` writes the usual run folder from the database; a
 * worker given `--out RUN` keeps RUN/trials.jsonl a live copy of the study's trials (trial-mirror.ts) and writes the
 * run folder once the study is complete. Without --storage, pxp search keeps its trials in --out
 * (search.ts), and this command hands over to it.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { initBackend } from '../../core/backend/select';
import { badInput, usageError } from '../../core/errors';
import { type Graph, disposeGraph } from '../../core/graph/graph';
import type { MaskedEvaluator } from '../../core/prune/masked-eval';
import { writeRunReport } from '../../core/report/run-report';
import { writeSearchReport } from '../../core/report/search-report';
import type { TrialLine } from '../../shared/run-folder/types';
import { TrialLog, writeRunJson } from '../../core/run-folder/write';
import type { AttributionObjective } from '../../core/search/attribution-search';
import { runStudy } from '../../core/search/run-study';
import { bestTrial } from '../../core/search/study';
import { dataFingerprint, jsonFingerprint, modelFingerprint } from '../../core/search/storage/fingerprint';
import type { PostgresStudyStorage } from '../../core/search/storage/postgres/postgres-storage';
import { StudyDatabase, type StudyRecord } from '../../core/search/storage/postgres/study-database';
import { type StorageUrl, parseStorageUrl } from '../../core/search/storage/postgres/storage-url';
import { trialOf } from '../../core/search/storage/study-storage';
import { TrialMirror } from '../../core/search/storage/trial-mirror';
import { type CommandContext, type CommandResult, type CommandValue, type OptionSpec, defineCommand } from '../command';
import { numberFlag, numberValue, requiredString, stringFlag } from '../flags';
import { type OpenedModel, openModel } from '../inputs';
import { claimOutputFolder } from '../output-folder';
import { taskDataFolders } from '../task-data';
import {
  type SearchSettings,
  type SearchTask,
  USAGE,
  finishSearch,
  pickResult,
  loadTask,
  logSpace,
  makeSampler,
  readSettings,
  reportTrial,
  runDescription,
  searchCommand,
  searchEvaluator,
  searchObjective,
  studyPlan,
  trialRunner,
} from './search';
import {
  DEFAULT_HEARTBEAT_TIMEOUT,
  type StudySettings,
  flagsWithStudy,
  settingsDifferences,
  studySettings,
} from './study-settings';

type Flags = Record<string, string | boolean | undefined>;

export const STUDY_OPTIONS: Record<string, OptionSpec> = {
  storage: {
    type: 'string',
    placeholder: 'URL',
    description:
      'postgresql://USER@HOST:PORT/DB[?sslmode=MODE]: keep the trials in a database that workers on any machines share (the password from PGPASSWORD or ~/.pgpass, never the URL); default: trials.jsonl in --out',
  },
  study: {
    type: 'string',
    placeholder: 'STUDY',
    description:
      'the study in --storage: created with this command’s settings (the same command again joins it), or joined with --join',
    value: (v) => void studyName({ study: v }),
  },
  join: {
    type: 'boolean',
    description:
      'join the existing --study: its settings apply, and the model and data must hash as the study’s (any paths)',
  },
  export: {
    type: 'string',
    placeholder: 'RUN',
    description:
      'write --study’s run folder (trials.jsonl, best-composite.json, comparison.json with the held-out AUC, reports) from the database; runs no trial',
  },
  'heartbeat-timeout': {
    type: 'string',
    placeholder: 'S',
    description: `a trial whose worker sent no heartbeat for S seconds goes to another worker (default ${DEFAULT_HEARTBEAT_TIMEOUT}; set when the study is created)`,
    value: numberValue({ above: 0 }),
  },
};

const STUDY_USAGE = `${USAGE}\n       pxp search --model M (--data D | --reference R --eval E) --storage postgresql://USER@HOST:PORT/DB --study NAME [--trials N --batch B | --join] [--export RUN]`;

function studyName(flags: Flags): string {
  const name = requiredString(flags, 'study', 'name the study: --study NAME');
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name))
    throw usageError(`--study ${JSON.stringify(name)}: a study name is 1–100 letters, digits, '.', '_' or '-'`);
  return name;
}

/** News that must reach the user in --json mode too (a database that went away, a trial taken over): JSON lines on stderr there, as the trials'. */
function noteFor(ctx: CommandContext): (line: string) => void {
  return (line) => (ctx.json ? process.stderr.write(JSON.stringify({ note: line }) + '\n') : ctx.log(line));
}

/** This process in the study: the host, the process and a random part (two runs of one pid never share an id). */
export function workerId(): string {
  return `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** `pxp search` with or without a database: the flags of both, the file storage when there is no --storage. */
/** What `pxp search` resolves to: a run folder's search, or (with --storage) a database study's summary. */
export type SearchValue = CommandValue<typeof searchCommand> | Record<string, unknown>;

export const sharedSearchCommand = defineCommand<SearchValue>({
  ...searchCommand,
  usage: STUDY_USAGE,
  options: { ...searchCommand.options, ...STUDY_OPTIONS },
  required: ['model'],
  async run(flags, ctx) {
    if (flags.storage === undefined) {
      const stray = Object.keys(STUDY_OPTIONS).find((k) => flags[k] !== undefined);
      if (stray)
        throw usageError(
          `--${stray} needs --storage postgresql://…`,
          'a search without --storage keeps its trials in --out',
        );
      if (flags.out === undefined) throw usageError('--out is required', `usage: ${USAGE}`);
      return searchCommand.run(flags, ctx);
    }
    return sharedStudy(flags, ctx);
  },
});

interface Opened {
  s: SearchSettings;
  flags: Flags;
  task: SearchTask;
  opened: OpenedModel;
  graph: Graph;
  settings: StudySettings;
}

/** The settings this command asks for, with the hashes of what it loaded. */
function settingsHere(s: SearchSettings, flags: Flags, task: SearchTask, opened: OpenedModel): StudySettings {
  const space = { groups: task.groups, space: task.space, starting: task.starting.points };
  const hashes = {
    model: modelFingerprint(opened),
    reference: dataFingerprint(task.reference),
    evaluation: dataFingerprint(task.evaluation),
    space: jsonFingerprint(space),
  };
  const sources = {
    model: opened.file,
    reference: `${task.reference.source} (${task.reference.y.length} samples)`,
    evaluation: `${task.evaluation.source} (${task.evaluation.y.length} samples)`,
    space: s.spaceFile ?? 'the default space',
  };
  return studySettings(s, flags, task.classes, hashes, sources);
}

async function sharedStudy(flags: Flags, ctx: CommandContext): Promise<CommandResult<SearchValue>> {
  const url = parseStorageUrl(String(flags.storage));
  const name = studyName(flags);
  if (flags.resume === true)
    throw usageError(
      '--resume continues a run folder; a database study goes on when a worker joins it',
      `pxp search … --storage ${url.display} --study ${name} --join`,
    );
  const exportTo = stringFlag(flags, 'export');
  if (exportTo !== undefined && flags.out !== undefined)
    throw usageError('--export RUN is the run folder: leave out --out');
  const heartbeatTimeout = numberFlag(flags, 'heartbeat-timeout', DEFAULT_HEARTBEAT_TIMEOUT);
  if (!(heartbeatTimeout > 0))
    throw usageError(`--heartbeat-timeout ${heartbeatTimeout}: give a number of seconds above 0`);
  const folders = taskDataFolders(flags, STUDY_USAGE);
  const modelPath = requiredString(flags, 'model', 'pass --model path/to/model.json');
  const outArg = exportTo ?? stringFlag(flags, 'out');
  // Checked and locked before any work; written by writeStudyFolder as the study goes on.
  const claimed =
    outArg === undefined
      ? undefined
      : claimOutputFolder(outArg, [modelPath, ...folders.all], { ...ctx, command: 'search' });
  const out = claimed?.dir;
  const mode = exportTo !== undefined ? 'export' : flags.join === true ? 'join' : 'create';
  const started = Date.now();

  try {
    return await studyIn(
      await StudyDatabase.connect(url, noteFor(ctx)),
      { flags, url, name, mode, out, heartbeatTimeout, started },
      ctx,
    );
  } finally {
    claimed?.release();
  }
}

async function studyIn(
  db: StudyDatabase,
  a: {
    flags: Flags;
    url: StorageUrl;
    name: string;
    mode: 'create' | 'join' | 'export';
    out?: string;
    heartbeatTimeout: number;
    started: number;
  },
  ctx: CommandContext,
): Promise<CommandResult<SearchValue>> {
  const { flags, url, name, mode, out, heartbeatTimeout, started } = a;
  try {
    const existing = await db.find(name);
    if (mode !== 'create' && !existing)
      throw badInput(
        `there is no study ${name} in ${url.display}`,
        mode === 'join'
          ? 'create it first: the same command without --join, with the study’s settings'
          : `pxp studies --storage ${url.display} lists the studies there`,
      );
    const effective =
      existing && mode !== 'create' ? flagsWithStudy(flags, existing.settings as unknown as StudySettings) : flags;
    const s = readSettings(effective, ctx.log);
    const backend = await initBackend(ctx.backend);
    const opened = await openModel(s.modelPath);
    const graph = opened.graph();
    try {
      const task = loadTask(effective, s, opened, graph);
      const o: Opened = {
        s,
        flags: effective,
        task,
        opened,
        graph,
        settings: settingsHere(s, effective, task, opened),
      };
      const { study, created } = await studyFor(db, name, mode, existing, o, heartbeatTimeout, ctx);
      if (mode === 'export') return await exportStudy(db, study, o, out!, url, backend, started, ctx);
      return await work(db, study, created, o, out, url, backend, started, ctx);
    } finally {
      disposeGraph(graph);
      opened.dispose();
    }
  } finally {
    await db.close();
  }
}

/** The study this command works on: created (or, made a moment ago elsewhere, found with the same settings), or the existing one its settings match. */
async function studyFor(
  db: StudyDatabase,
  name: string,
  mode: 'create' | 'join' | 'export',
  existing: StudyRecord | undefined,
  o: Opened,
  heartbeatTimeout: number,
  ctx: CommandContext,
): Promise<{ study: StudyRecord; created: boolean }> {
  const where = db.url.display;
  if (mode === 'create') {
    const description = {
      model: o.opened.file,
      reference: o.settings.sources.reference,
      evaluation: o.settings.sources.evaluation,
      createdBy: os.hostname(),
    };
    const made = await db.create({
      name,
      settings: o.settings as unknown as Record<string, unknown>,
      description,
      trialsWanted: o.s.trialsWanted,
      batch: o.s.batch,
      heartbeatTimeout: o.settings.flags['heartbeat-timeout'] as number,
    });
    if (made.created) {
      ctx.log(
        `created study ${name} in ${where}: ${o.s.trialsWanted} trials in batches of ${o.s.batch}, heartbeat timeout ${heartbeatTimeout} s`,
      );
      return made;
    }
    const differences = settingsDifferences(made.study.settings as unknown as StudySettings, o.settings);
    if (differences.length)
      throw badInput(
        `study ${name} already exists in ${where} with other settings: ${differences.join('; ')}`,
        `join it as it is with --join (leave out the flags it sets), or give the new study another name`,
      );
    ctx.log(`study ${name} exists in ${where} with these settings: joining it`);
    return made;
  }
  const differences = settingsDifferences(existing!.settings as unknown as StudySettings, o.settings);
  if (differences.length)
    throw badInput(
      `${mode === 'join' ? '--join' : '--export'}: this command does not match study ${name}: ${differences.join('; ')}`,
      'use the study’s model and data (at any path; the hashes must match), and leave out the flags the study sets',
    );
  if (mode === 'join')
    ctx.log(`joined study ${name} in ${where}: ${existing!.trialsWanted} trials in batches of ${existing!.batch}`);
  return { study: existing!, created: false };
}

/** Database time per trial this worker recorded (for the benchmark), and the claims that found nothing to start. */
function overheadOf(storage: PostgresStudyStorage, recorded: number[]) {
  const perTrial = recorded.map((n) => storage.overhead.get(n)!).filter(Boolean);
  return { perTrial, waits: storage.waits };
}

async function work(
  db: StudyDatabase,
  study: StudyRecord,
  created: boolean,
  o: Opened,
  out: string | undefined,
  url: StorageUrl,
  backend: unknown,
  started: number,
  ctx: CommandContext,
): Promise<CommandResult<Record<string, unknown>>> {
  const { s, task, graph } = o;
  const evaluator = await searchEvaluator(s, task, graph);
  let disposed = false;
  try {
    const objective = searchObjective(s, task, graph, evaluator, ctx);
    logSpace(ctx, task);
    const sampler = makeSampler(s, task);
    const worker = workerId();
    const storage = db.storage(study, worker);
    ctx.log(`worker ${worker}: ${s.workers} trial${s.workers > 1 ? 's' : ''} at a time`);
    const mirror = out ? startRunFolder(out, study, o, storage, evaluator, url, backend) : undefined;
    const { result, recorded } = await runHere(study, o, storage, objective, { sampler, mirror, started }, ctx);
    const best = bestTrial(result.trials);
    const value = {
      study: study.name,
      storage: url.display,
      worker,
      created,
      trialsWanted: study.trialsWanted,
      batch: study.batch,
      trials: result.trials.length,
      ranHere: recorded,
      stoppedBy: result.stoppedBy,
      ...(best ? { best: { number: best.number, auc: best.value!, params: best.params } } : {}),
      database: overheadOf(storage, recorded),
      ...(out ? { out } : {}),
    };
    const lines = [
      `study ${study.name} (${url.display}): ${result.trials.length} of ${study.trialsWanted} trials finished, ${recorded.length} of them here${best ? `; best AUC ${best.value!.toFixed(4)} (trial ${best.number + 1})` : ''}`,
    ];
    if (out) {
      disposed = true;
      const folder = await writeStudyFolder(
        out,
        study,
        (await storage.trials()) as TrialLine[],
        o,
        evaluator,
        objective,
        url,
        backend,
        started,
        ctx,
      );
      lines.push(folder.text);
    } else
      lines.push(
        `  the run folder: pxp search --storage ${url.display} --study ${study.name} --model … (the data) --export RUN`,
      );
    return { value, text: lines.join('\n') };
  } finally {
    if (!disposed) await evaluator.dispose();
  }
}

/** Runs trials of the study in this process until it has them all; the numbers of those recorded here. */
async function runHere(
  study: StudyRecord,
  o: Opened,
  storage: PostgresStudyStorage,
  objective: AttributionObjective,
  how: { sampler: ReturnType<typeof makeSampler>; mirror: TrialMirror | undefined; started: number },
  ctx: CommandContext,
) {
  const recorded: number[] = [];
  const { runner, close } = await trialRunner(o.s, o.task, o.opened, objective, ctx);
  try {
    const result = await runStudy(
      { ...studyPlan(o.s, how.sampler, how.started, ctx), note: noteFor(ctx) },
      runner,
      storage,
      (line, best) => {
        recorded.push(line.number);
        reportTrial(ctx, line, best, study.trialsWanted);
      },
    );
    return { result, recorded };
  } finally {
    how.mirror?.stop();
    await close();
  }
}

/** The run folder grows with the study (the Search panel follows it: run.json, a live trials.jsonl); it is written whole at the end. */
function startRunFolder(
  out: string,
  study: StudyRecord,
  o: Opened,
  storage: PostgresStudyStorage,
  evaluator: MaskedEvaluator,
  url: StorageUrl,
  backend: unknown,
): TrialMirror {
  fs.mkdirSync(out, { recursive: true });
  writeRunJson(out, {
    ...runDescription(o.s, o.task, o.opened, backend, evaluator.executor),
    storage: url.display,
    study: study.name,
    batch: study.batch,
    trialsWanted: study.trialsWanted,
    status: 'running',
  });
  return new TrialMirror(out, storage);
}

async function exportStudy(
  db: StudyDatabase,
  study: StudyRecord,
  o: Opened,
  out: string,
  url: StorageUrl,
  backend: unknown,
  started: number,
  ctx: CommandContext,
): Promise<CommandResult<Record<string, unknown>>> {
  const trials = await db.trials(study);
  if (trials.length === 0)
    throw badInput(
      `study ${study.name} has no finished trial yet`,
      'export it once a worker has finished a trial (pxp studies --storage … shows the progress)',
    );
  if (trials.length < study.trialsWanted)
    ctx.log(`study ${study.name} has ${trials.length} of its ${study.trialsWanted} trials: exporting those`);
  const evaluator = await searchEvaluator(o.s, o.task, o.graph);
  const folder = await writeStudyFolder(
    out,
    study,
    trials,
    o,
    evaluator,
    searchObjective(o.s, o.task, o.graph, evaluator, ctx),
    url,
    backend,
    started,
    ctx,
  );
  return { value: folder.value, text: folder.text };
}

/** The run folder of a study, as pxp search --out writes one: its trials, the best composite, the comparison, reports. */
async function writeStudyFolder(
  out: string,
  study: StudyRecord,
  trials: TrialLine[],
  o: Opened,
  evaluator: MaskedEvaluator,
  objective: AttributionObjective,
  url: StorageUrl,
  backend: unknown,
  started: number,
  ctx: CommandContext,
) {
  if (!bestTrial(trials.map(trialOf))) {
    await evaluator.dispose();
    throw badInput(`study ${study.name} has no finished trial`, 'give the workers more time or trials');
  }
  fs.mkdirSync(out, { recursive: true });
  new TrialLog(out, trials);
  const runInfo = {
    ...runDescription(o.s, o.task, o.opened, backend, evaluator.executor),
    storage: url.display,
    study: study.name,
    batch: study.batch,
  };
  writeRunJson(out, { ...runInfo, status: 'running' });
  const picked = await pickResult(trials.map(trialOf), o.task.starting.points.length, objective, ctx);
  const finished = await finishSearch(out, picked, o.s, o.task, o.graph, objective, evaluator, ctx);
  const result = {
    ...runInfo,
    status: 'done',
    stoppedBy: trials.length < study.trialsWanted ? 'incomplete' : 'budget',
    trials: trials.length,
    ...finished.summary,
    timings: { totalSeconds: (Date.now() - started) / 1000 },
  };
  writeRunJson(out, result);
  writeRunReport(out);
  writeSearchReport(out);
  const heldOut = finished.summary.best.holdoutAuc;
  return {
    value: { out, ...result },
    text: `wrote ${out} from study ${study.name}: ${trials.length} trials, result AUC ${picked.best.value!.toFixed(4)} (trial ${picked.best.number + 1})${heldOut !== undefined ? `, held out ${heldOut.toFixed(4)}` : ''}; best-composite.json, trials.jsonl, comparison.json, report.html, search.html`,
  };
}
