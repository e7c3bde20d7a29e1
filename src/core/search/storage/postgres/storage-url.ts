/**
 * `--storage postgresql://user@host:port/db?sslmode=…`: the database a shared study lives in. The URL never holds a
 * password (it would show in logs, run.json, process lists and the editor's settings): the password comes from
 * PGPASSWORD or ~/.pgpass (password.ts), as for psql. sslmode takes libpq's values and meanings.
 */
import os from 'node:os';
import { badInput } from '../../../errors';

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** URL parameters we read; libpq's others would be silently ignored, so they are refused. */
const PARAMS = ['sslmode', 'sslrootcert', 'application_name', 'connect_timeout'] as const;

export interface StorageUrl {
  host: string;
  port: number;
  database: string;
  user: string;
  sslmode: SslMode;
  /** A CA file for verify-ca / verify-full (libpq's sslrootcert). */
  sslrootcert?: string;
  applicationName: string;
  /** Seconds to wait for a connection (libpq's connect_timeout; default 10). */
  connectTimeout: number;
  /** The URL as it may be shown: no password (there is none), the ssl mode when not the default. */
  display: string;
}

const HINT = 'give --storage postgresql://USER@HOST:PORT/DATABASE (the password in PGPASSWORD or ~/.pgpass)';

export function isDatabaseUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text);
}

/** The parts of a PostgreSQL URL; a bad-input error naming what is wrong (and never echoing a password). */
export function parseStorageUrl(text: string): StorageUrl {
  if (!isDatabaseUrl(text))
    throw badInput(`--storage ${shown(text)}: not a PostgreSQL URL (it must start with postgresql://)`, HINT);
  let url: URL;
  try {
    url = new URL(text.replace(/^postgres(ql)?:/i, 'http:'));
  } catch {
    throw badInput(`--storage ${shown(text)}: not a valid URL`, HINT);
  }
  if (url.password)
    throw badInput(
      `--storage ${shown(text)}: the URL holds a password, which would be logged and recorded`,
      'remove it from the URL and put it in PGPASSWORD or ~/.pgpass (a line host:port:database:user:password, mode 0600)',
    );
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database || database.includes('/'))
    throw badInput(`--storage ${shown(text)}: no database name after the host`, HINT);
  const port = url.port ? Number(url.port) : 5432;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw badInput(`--storage ${shown(text)}: port ${url.port} is not a port`, HINT);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const unknown = [...url.searchParams.keys()].filter((k) => !(PARAMS as readonly string[]).includes(k));
  if (unknown.length)
    throw badInput(
      `--storage ${shown(text)}: unknown parameter ${unknown.join(', ')}`,
      `PXP reads ${PARAMS.join(', ')}`,
    );
  const sslmode = url.searchParams.get('sslmode') ?? 'prefer';
  if (!(SSL_MODES as readonly string[]).includes(sslmode))
    throw badInput(
      `--storage: sslmode=${sslmode} is not an ssl mode`,
      `use one of ${SSL_MODES.join(', ')} (libpq's meanings; default prefer)`,
    );
  const timeoutText = url.searchParams.get('connect_timeout');
  const connectTimeout = timeoutText === null ? 10 : Number(timeoutText);
  if (!Number.isFinite(connectTimeout) || connectTimeout <= 0)
    throw badInput(
      `--storage: connect_timeout=${timeoutText} is not a number of seconds`,
      'give connect_timeout=10, say',
    );
  const user = decodeURIComponent(url.username) || process.env.PGUSER || os.userInfo().username;
  const display = `postgresql://${encodeURIComponent(user)}@${host.includes(':') ? `[${host}]` : host}:${port}/${encodeURIComponent(database)}${sslmode !== 'prefer' ? `?sslmode=${sslmode}` : ''}`;
  return {
    host,
    port,
    database,
    user,
    sslmode: sslmode as SslMode,
    sslrootcert: url.searchParams.get('sslrootcert') ?? undefined,
    applicationName: url.searchParams.get('application_name') ?? 'pxp',
    connectTimeout,
    display,
  };
}

/** A URL for messages: any password (user:PASSWORD@ or password=) replaced, so an error never repeats one. */
function shown(text: string): string {
  return text.replace(/^([a-z]+:\/\/[^:@/?#]*):[^?#]*@/i, '$1:***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
}
