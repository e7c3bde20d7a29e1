/** Runs the built CLI (dist/cli.js) as a user would. Build first: npm run build. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './tmp';

export interface PxpRun {
  code: number;
  stdout: string;
  stderr: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export const CLI = path.join(REPO, 'dist', 'cli.js');

export function pxp(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): PxpRun {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? REPO,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 300_000,
  });
  let json: unknown;
  if (args.includes('--json')) {
    try {
      json = JSON.parse(r.stdout);
    } catch {
      json = undefined;
    }
  }
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}

/** A CLI run in the background, for tests that signal it or race it against another run. */
export interface RunningPxp {
  child: ChildProcess;
  stderr(): string;
  stdout(): string;
  /** Resolves once stderr matches (rejects after timeoutMs or when the run ends first). */
  until(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startPxp(args: string[], opts: { cwd?: string } = {}): RunningPxp {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let ended = false;
  void exit.then(() => (ended = true));
  const until = async (pattern: RegExp, timeoutMs = 120_000) => {
    const t0 = Date.now();
    while (!pattern.test(err)) {
      if (ended) throw new Error(`the run ended before stderr matched ${pattern}:\n${err.slice(-2000)}`);
      if (Date.now() - t0 > timeoutMs)
        throw new Error(`stderr did not match ${pattern} within ${timeoutMs} ms:\n${err.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { child, stderr: () => err, stdout: () => out, until, exit };
}
