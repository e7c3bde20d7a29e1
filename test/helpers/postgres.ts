/**
 * A throw-away PostgreSQL cluster for tests: initdb into a temp folder, started with pg_ctl on a free local port
 * (TCP on 127.0.0.1 only, password authentication), stopped and removed by `stop()`. initdb refuses to run as root,
 * so as root the server runs as the `postgres` user that Debian's postgresql package creates (runuser).
 * Binaries: $PXP_PG_BIN, else the newest /usr/lib/postgresql/N/bin, else initdb on PATH.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface Cluster {
  port: number;
  user: string;
  password: string;
  database: string;
  /** With `ssl`: the server's self-signed certificate (for 127.0.0.1), the CA a verify-full client needs. */
  caFile?: string;
  /** postgresql://pxp@127.0.0.1:PORT/DB (sslmode=disable unless given). */
  url(opts?: { database?: string; sslmode?: string }): string;
  /** The environment a worker needs: the password in PGPASSWORD. */
  env: NodeJS.ProcessEnv;
  /** pg_ctl stop -m fast (open connections are cut), then start again after `downMs`. */
  restart(downMs: number): Promise<void>;
  query(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  stop(): void;
}

function binDir(): string | undefined {
  if (process.env.PXP_PG_BIN) return process.env.PXP_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (fs.existsSync(root)) {
    const versions = fs
      .readdirSync(root)
      .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return path.join(root, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  return which.status === 0 ? path.dirname(which.stdout.trim()) : undefined;
}

export function postgresAvailable(): boolean {
  return binDir() !== undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * `durable`: the server's default fsync and commit settings (benchmarks); tests turn them off for speed.
 * `ssl`: TLS on, with a self-signed certificate for 127.0.0.1 made by openssl (plain connections are accepted too).
 */
export async function startCluster(opts: { durable?: boolean; ssl?: boolean } = {}): Promise<Cluster> {
  const bin = binDir();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const asRoot = process.getuid?.() === 0;
  let owner: { uid: number; gid: number } | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-pg-'));
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  fs.writeFileSync(path.join(dir, 'pwfile'), password + '\n');
  if (asRoot) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0)
      throw new Error(
        'running as root, and there is no postgres user to run the server (apt-get install postgresql creates it)',
      );
    const uid = Number(id.stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    for (const f of [dir, path.join(dir, 'pwfile')]) fs.chownSync(f, uid, gid);
    owner = { uid, gid };
  }
  let tls = '';
  if (opts.ssl) {
    const [key, crt] = [path.join(dir, 'server.key'), path.join(dir, 'server.crt')];
    const r = spawnSync(
      'openssl',
      [
        'req',
        '-new',
        '-x509',
        '-days',
        '2',
        '-nodes',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        crt,
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`openssl could not make a test certificate: ${r.stderr}`);
    fs.chmodSync(key, 0o600);
    if (owner) for (const f of [key, crt]) fs.chownSync(f, owner.uid, owner.gid);
    tls = ` -c ssl=on -c ssl_cert_file=${crt} -c ssl_key_file=${key}`;
  }
  const run = (tool: string, args: string[]) => {
    const cmd = asRoot
      ? ['runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]]
      : [path.join(bin, tool), args];
    const r = spawnSync(cmd[0] as string, cmd[1] as string[], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${tool} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  const data = path.join(dir, 'data');
  const port = await freePort();
  const user = 'pxp';
  run('initdb', [
    '-D',
    data,
    '-U',
    user,
    '--auth=scram-sha-256',
    `--pwfile=${path.join(dir, 'pwfile')}`,
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  const fast = opts.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c max_connections=60${fast}${tls}`;
  const start = () =>
    run('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
  const stopServer = (mode: string) => run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
  start();
  const database = 'pxp_test';
  const connect = async (db: string) => {
    const c = new pg.Client({ host: '127.0.0.1', port, user, password, database: db });
    await c.connect();
    return c;
  };
  const admin = await connect('postgres');
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = (o: { database?: string; sslmode?: string } = {}) =>
    `postgresql://${user}@127.0.0.1:${port}/${o.database ?? database}?sslmode=${o.sslmode ?? 'disable'}`;
  let stopped = false;
  return {
    port,
    user,
    password,
    database,
    ...(opts.ssl ? { caFile: path.join(dir, 'server.crt') } : {}),
    url,
    env: { ...process.env, PGPASSWORD: password },
    async restart(downMs) {
      stopServer('fast');
      await new Promise((r) => setTimeout(r, downMs));
      start();
    },
    async query(sql, params) {
      const c = await connect(database);
      try {
        return await c.query(sql, params);
      } finally {
        await c.end();
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        stopServer('immediate');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
