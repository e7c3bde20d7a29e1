/**
 * The settings a shared study is created with (stored with it in the database), compared when another process
 * creates or joins it: the flags that decide its trials, and hashes of the model, the data and the search space.
 * A joining worker takes the flags it leaves out from the study, so `--join` needs only --model and the data.
 */
import path from 'node:path';
import type { SearchSettings } from './search';

type Flags = Record<string, string | boolean | undefined>;
type Value = string | number | number[] | null;

/** Flags that decide a study's trials, each with its value as the command read it (null: not given). */
const STUDY_FLAGS: { flag: string; value: (s: SearchSettings, flags: Flags, classes?: number[]) => Value }[] = [
  { flag: 'trials', value: (s) => s.trialsWanted },
  { flag: 'batch', value: (s) => s.batch },
  { flag: 'seed', value: (s) => s.seed },
  { flag: 'sampler', value: (s) => s.sampler },
  { flag: 'startup-trials', value: (s) => s.startupTrials },
  { flag: 'rates', value: (s) => s.rates ?? null },
  { flag: 'normalize', value: (s) => s.normalize },
  { flag: 'components', value: (s) => s.components ?? null },
  { flag: 'init', value: (s) => s.init ?? null },
  { flag: 'executor', value: (s) => s.executor },
  { flag: 'classes', value: (_s, _f, classes) => classes ?? null },
  { flag: 'eval-limit', value: (_s, f) => (typeof f['eval-limit'] === 'string' ? Number(f['eval-limit']) : null) },
  {
    flag: 'ref-per-class',
    value: (_s, f) => (typeof f['ref-per-class'] === 'string' ? Number(f['ref-per-class']) : null),
  },
  { flag: 'preprocess', value: (_s, f) => (typeof f.preprocess === 'string' ? f.preprocess : null) },
  {
    flag: 'heartbeat-timeout',
    value: (_s, f) =>
      Number(typeof f['heartbeat-timeout'] === 'string' ? f['heartbeat-timeout'] : DEFAULT_HEARTBEAT_TIMEOUT),
  },
];

export const DEFAULT_HEARTBEAT_TIMEOUT = 60;

/** What the trials are computed from, by hash; `sources` say where this process read them, for messages only. */
export interface StudyHashes {
  model: string;
  reference: string;
  evaluation: string;
  space: string;
}

export interface StudySettings {
  flags: Record<string, Value>;
  hashes: StudyHashes;
  /** Where the hashed inputs were read (not compared: another machine has other paths). */
  sources: Record<keyof StudyHashes, string>;
}

export function studySettings(
  s: SearchSettings,
  flags: Flags,
  classes: number[] | undefined,
  hashes: StudyHashes,
  sources: StudySettings['sources'],
): StudySettings {
  return {
    flags: Object.fromEntries(STUDY_FLAGS.map(({ flag, value }) => [flag, value(s, flags, classes)])),
    hashes,
    sources,
  };
}

/** The flags of a join: those the command gives, and the study's for the rest. */
export function flagsWithStudy(flags: Flags, stored: StudySettings): Flags {
  const filled: Flags = { ...flags };
  for (const { flag } of STUDY_FLAGS) {
    const v = stored.flags?.[flag];
    if (filled[flag] === undefined && v !== null && v !== undefined)
      filled[flag] = Array.isArray(v) ? v.join(',') : String(v);
  }
  return filled;
}

const shown = (v: Value | undefined) =>
  v === null || v === undefined ? 'not given' : Array.isArray(v) ? v.join(',') : String(v);
const short = (hash: string | undefined) => (hash ? `sha256 ${hash.slice(0, 12)}…` : 'no hash');

const WHAT: Record<keyof StudyHashes, string> = {
  model: 'the model differs',
  reference: 'the reference samples differ',
  evaluation: 'the evaluation samples differ',
  space: 'the search space differs (groups, parameters, starting points: --space, --init, --components)',
};

/** Every way `here` differs from the study's settings, in words; empty when they agree. */
export function settingsDifferences(study: StudySettings, here: StudySettings): string[] {
  const out: string[] = [];
  for (const key of Object.keys(WHAT) as (keyof StudyHashes)[]) {
    if (study.hashes?.[key] !== here.hashes[key])
      out.push(
        `${WHAT[key]}: ${here.sources[key]} gives ${short(here.hashes[key])}, the study's ${study.sources?.[key] ? `(${path.basename(study.sources[key])}) ` : ''}${short(study.hashes?.[key])}`,
      );
  }
  for (const { flag } of STUDY_FLAGS) {
    const a = study.flags?.[flag] ?? null;
    const b = here.flags[flag];
    if (JSON.stringify(a) !== JSON.stringify(b))
      out.push(`--${flag}: the study has ${shown(a)}, this command ${shown(b)}`);
  }
  return out;
}
