/**
 * `npm run bench`, shared studies (issue 19): pxp search on the demo CNN with its trials in PostgreSQL (a throw-away
 * cluster with the server's default durability, test/helpers/postgres.ts), run by 1 and then 3 local worker
 * processes. Prints one JSON line: per trial, the database time a worker spent on it (claim, record and heartbeats,
 * measured in the worker around each call, the sampler's time excluded), and trials per minute, from the first
 * trial's start to the last one's end (database clock) and over the whole wall time (process start-up included).
 *
 * Usage: npx tsx bench/study-storage.ts [TRIALS]   (default 12; batches of 3)
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { postgresAvailable, startCluster } from '../test/helpers/postgres';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const DEMO = path.join(ROOT, 'examples', 'fashion-mnist');
const TRIALS = Number(process.argv[2]) || 12;
const SEARCH = [
  '--model',
  path.join(DEMO, 'model', 'model.json'),
  '--reference',
  path.join(DEMO, 'reference'),
  '--eval',
  path.join(DEMO, 'test'),
  '--eval-limit',
  '300',
  '--rates',
  '0,0.1,0.2,0.3,0.4',
  '--baselines',
  'none',
];
const SETTINGS = ['--trials', String(TRIALS), '--batch', '3', '--seed', '0'];

interface Overhead {
  number: number;
  claimMs: number;
  recordMs: number;
  heartbeatMs: number;
  heartbeats: number;
}

function worker(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ database: { perTrial: Overhead[]; waits: { count: number; ms: number } }; ranHere: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, '--json'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out))
        : reject(new Error(`worker exit ${code}: ${err.trim().split('\n').slice(-3).join('\n')}`)),
    );
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function main() {
  if (!postgresAvailable()) {
    console.log(JSON.stringify({ skipped: 'PostgreSQL is not installed (apt-get install postgresql)' }));
    return;
  }
  const cluster = await startCluster({ durable: true });
  try {
    const runs: Record<string, unknown>[] = [];
    for (const n of [1, 3]) {
      const study = `bench-${n}-workers`;
      const t0 = Date.now();
      const results = await Promise.all(
        Array.from({ length: n }, () =>
          worker(['search', ...SEARCH, ...SETTINGS, '--storage', cluster.url(), '--study', study], cluster.env),
        ),
      );
      const wallS = (Date.now() - t0) / 1000;
      const span = (
        await cluster.query(
          `SELECT extract(epoch FROM max(finished_at) - min(started_at)) AS s, avg(extract(epoch FROM finished_at - started_at)) AS trial FROM pxp_trials t JOIN pxp_studies s ON s.id = t.study_id WHERE s.name = $1`,
          [study],
        )
      ).rows[0];
      const perTrial = results.flatMap((r) => r.database.perTrial);
      const total = perTrial.map((t) => t.claimMs + t.recordMs + t.heartbeatMs);
      runs.push({
        workers: n,
        trials: perTrial.length,
        trialsPerMinute: round((60 * TRIALS) / Number(span.s)),
        trialsPerMinuteWall: round((60 * TRIALS) / wallS),
        meanTrialSeconds: round(Number(span.trial)),
        overheadMs: {
          median: round(median(total)),
          max: round(Math.max(...total)),
          claim: round(median(perTrial.map((t) => t.claimMs))),
          record: round(median(perTrial.map((t) => t.recordMs))),
          heartbeat: round(median(perTrial.map((t) => t.heartbeatMs))),
        },
        heartbeatsPerTrial: round(median(perTrial.map((t) => t.heartbeats))),
        waits: results.map((r) => r.database.waits),
      });
    }
    console.log(JSON.stringify({ trials: TRIALS, batch: 3, runs }));
  } finally {
    cluster.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
