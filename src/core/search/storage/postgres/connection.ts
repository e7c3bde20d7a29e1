/**
 * Connections to the study database: a node-postgres pool with libpq's sslmode semantics, errors at connect time
 * turned into one bad-input message each (refused, unknown host, wrong password, no database, TLS), and transactions
 * retried with backoff while the database is away (a restart, a failover), so workers go on where they were.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { PxpError, badInput } from '../../../errors';
import { databasePassword } from './password';
import type { StorageUrl } from './storage-url';

type PgError = Error & { code?: string; severity?: string };

/** Connection-level failures that a later try may not meet: the database restarting, a dropped connection. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '40001',
  '40P01',
]);
const TRANSIENT_MESSAGE =
  /Connection terminated|connection timeout|not queryable|server closed the connection|terminating connection|Client was closed/i;

export function isTransient(e: unknown): boolean {
  if (e instanceof PxpError) return false;
  const err = e as PgError;
  return (
    (err?.code !== undefined && (TRANSIENT_CODES.has(err.code) || err.code.startsWith('08'))) ||
    TRANSIENT_MESSAGE.test(err?.message ?? '')
  );
}

/** libpq's default CA file, read by verify-ca and verify-full (and by require, which then verifies the CA). */
const defaultRootCert = () => path.join(os.homedir(), '.postgresql', 'root.crt');

function readCa(url: StorageUrl, required: boolean): string | undefined {
  const file = url.sslrootcert ?? defaultRootCert();
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
  if (required && url.sslrootcert)
    throw badInput(
      `--storage: sslrootcert ${file} does not exist`,
      'give the CA certificate that signed the server certificate',
    );
  return undefined;
}

/** The TLS settings of one try: libpq's sslmode meanings (https://www.postgresql.org/docs/current/libpq-ssl.html). */
function sslOptions(url: StorageUrl, useSsl: boolean): false | ConnectionOptions {
  if (!useSsl) return false;
  switch (url.sslmode) {
    case 'verify-full':
      return {
        ca: readCa(url, true),
        rejectUnauthorized: true,
        ...(net.isIP(url.host) ? {} : { servername: url.host }),
      };
    case 'verify-ca':
      return { ca: readCa(url, true), rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'require': {
      // libpq: with a root certificate at hand, require verifies the CA as verify-ca does.
      const ca = readCa(url, false);
      return ca
        ? { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined }
        : { rejectUnauthorized: false };
    }
    default:
      return { rejectUnauthorized: false };
  }
}

/** The tries sslmode allows, in order: prefer tries TLS then plain, allow plain then TLS. */
function sslTries(mode: StorageUrl['sslmode']): boolean[] {
  return mode === 'disable' ? [false] : mode === 'allow' ? [false, true] : mode === 'prefer' ? [true, false] : [true];
}

function poolConfig(url: StorageUrl, ssl: false | ConnectionOptions, warn: (line: string) => void): pg.PoolConfig {
  return {
    host: url.host,
    port: url.port,
    database: url.database,
    user: url.user,
    password: () => databasePassword(url, warn),
    ssl,
    application_name: url.applicationName,
    connectionTimeoutMillis: url.connectTimeout * 1000,
    max: 4,
    idleTimeoutMillis: 30_000,
  };
}

/** One clear bad-input error for a connection that failed before any work began. */
export function connectError(e: unknown, url: StorageUrl): PxpError {
  if (e instanceof PxpError) return e;
  const err = e as PgError;
  const at = url.display;
  const msg = err?.message ?? String(e);
  switch (err?.code) {
    case 'ECONNREFUSED':
      return badInput(
        `cannot connect to ${at}: connection refused`,
        `is PostgreSQL running and listening on ${url.host}:${url.port}? (pg_isready -h ${url.host} -p ${url.port})`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return badInput(`cannot connect to ${at}: host ${url.host} not found`, 'check the host name of --storage');
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return badInput(
        `cannot connect to ${at}: ${url.host} does not answer (${err.code})`,
        'check the host, the port and any firewall between',
      );
    case '28P01':
      return badInput(
        `cannot connect to ${at}: password authentication failed for user ${url.user}`,
        'check PGPASSWORD or the matching line of ~/.pgpass',
      );
    case '28000':
      return badInput(
        `cannot connect to ${at}: the server refuses this connection (${msg})`,
        url.sslmode === 'disable' || url.sslmode === 'allow'
          ? 'the server may require TLS: try sslmode=require, or ask for a pg_hba.conf entry'
          : 'ask the database administrator for a pg_hba.conf entry for this user, database and host',
      );
    case '3D000':
      return badInput(
        `cannot connect to ${at}: database ${url.database} does not exist`,
        `create it first (createdb -h ${url.host} -p ${url.port} -U ${url.user} ${url.database})`,
      );
  }
  if (/does not support SSL/i.test(msg))
    return badInput(
      `cannot connect to ${at}: sslmode=${url.sslmode} asks for TLS and the server does not support it`,
      'enable ssl on the server, or use sslmode=prefer (TLS when offered) or sslmode=disable',
    );
  if (/certificate|self.signed|altname|CERT_|unable to verify/i.test(msg) || /CERT|ALTNAME/.test(err?.code ?? ''))
    return badInput(
      `cannot connect to ${at}: the server's certificate fails sslmode=${url.sslmode} (${msg})`,
      'give the CA that signed it with sslrootcert=FILE (or ~/.postgresql/root.crt), or a weaker sslmode',
    );
  if (/timeout/i.test(msg))
    return badInput(
      `cannot connect to ${at}: no answer within ${url.connectTimeout} s`,
      'check the host, the port and any firewall between (connect_timeout=S waits longer)',
    );
  if (/SASL|client password must be a string/i.test(msg))
    return badInput(
      `cannot connect to ${at}: the server asks user ${url.user} for a password and none was given`,
      'set PGPASSWORD, or add a line to ~/.pgpass',
    );
  return badInput(`cannot connect to ${at}: ${msg}`, 'check --storage and the server');
}

/**
 * A pool whose TLS setting is the first of sslmode's tries that connected; a bad-input error when none did. Each try
 * is one client whose socket is destroyed when it fails: a server left waiting for a password would otherwise hold
 * the process for its authentication timeout.
 */
export async function openPool(url: StorageUrl, warn: (line: string) => void): Promise<pg.Pool> {
  let last: unknown;
  for (const useSsl of sslTries(url.sslmode)) {
    const config = poolConfig(url, sslOptions(url, useSsl), warn);
    const probe = new pg.Client(config);
    try {
      await probe.connect();
      await probe.end();
      const pool = new pg.Pool(config);
      // An idle connection the server drops (a restart) must not bring the process down; the next query reconnects.
      pool.on('error', () => undefined);
      return pool;
    } catch (e) {
      last = e;
      (probe as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      const retryOther =
        (/does not support SSL/i.test((e as Error).message ?? '') && useSsl) ||
        ((e as PgError).code === '28000' && !useSsl);
      if (!retryOther) break;
    }
  }
  throw connectError(last, url);
}

export interface RetryOptions {
  /** Give up after this long without success (ms). */
  giveUpAfterMs: number;
  /** What is retried, for the note ("recording trial 7"). */
  what: string;
  note?: (line: string) => void;
}

/** Runs `op` until it succeeds, waiting 0.25 s, 0.5 s, … up to 5 s between tries while the failure is transient. */
export async function withRetry<T>(op: () => Promise<T>, o: RetryOptions): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (!isTransient(e)) throw e;
      const waited = Date.now() - started;
      if (waited > o.giveUpAfterMs)
        throw badInput(
          `the study database stayed unreachable for ${Math.round(waited / 1000)} s while ${o.what} (${(e as Error).message})`,
          'start the database again and rejoin the study with --join: finished trials are kept, and unfinished ones run again',
        );
      const delay = Math.min(5000, 250 * 2 ** attempt) * (0.75 + 0.5 * Math.random());
      o.note?.(
        `database unreachable while ${o.what} (${(e as Error).message}): trying again in ${(delay / 1000).toFixed(1)} s`,
      );
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/**
 * One transaction on a client of the pool, retried from the start after a transient failure. A connection lost
 * mid-transaction rolls it back on the server, so a retry never finds half of one.
 */
export async function transaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  o: RetryOptions,
): Promise<T> {
  return withRetry(async () => {
    const client = await pool.connect();
    let broken: unknown;
    // A connection dropping between two statements is reported as an event, not by a query.
    const onError = (e: unknown) => (broken = e);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      broken ??= isTransient(e) ? e : undefined;
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.off('error', onError);
      client.release(broken ? (broken as Error) : undefined);
    }
  }, o);
}
