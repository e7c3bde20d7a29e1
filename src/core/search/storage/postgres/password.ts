/**
 * The database password, looked up only when the server asks for one, where psql looks: PGPASSWORD, then the
 * password file (PGPASSFILE or ~/.pgpass; lines host:port:database:user:password, `*` matches anything, `\` escapes
 * `:` and `\`; ignored, as libpq does, when group or others may read it). Never from a flag, so it is never logged.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { badInput } from '../../../errors';
import type { StorageUrl } from './storage-url';

/** The fields of one .pgpass line, escapes undone. */
export function pgpassFields(line: string): string[] {
  const fields: string[] = [''];
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) fields[fields.length - 1] += line[++i];
    else if (c === ':' && fields.length < 5) fields.push('');
    else fields[fields.length - 1] += c;
  }
  return fields;
}

/** The password of the first line of a .pgpass text that matches the connection; undefined when none does. */
export function pgpassLookup(
  text: string,
  url: Pick<StorageUrl, 'host' | 'port' | 'database' | 'user'>,
): string | undefined {
  const wanted = [url.host, String(url.port), url.database, url.user];
  for (const raw of text.split(/\r?\n/)) {
    if (!raw.trim() || raw.startsWith('#')) continue;
    const fields = pgpassFields(raw);
    if (fields.length !== 5) continue;
    if (wanted.every((w, i) => fields[i] === '*' || fields[i] === w)) return fields[4];
  }
  return undefined;
}

export function passwordFile(): string {
  return process.env.PGPASSFILE || path.join(os.homedir(), '.pgpass');
}

/** PGPASSWORD, else the password file's entry; a bad-input error saying where to put one when neither has it. */
export function databasePassword(url: StorageUrl, warn: (line: string) => void = () => {}): string {
  if (process.env.PGPASSWORD !== undefined) return process.env.PGPASSWORD;
  const file = passwordFile();
  if (fs.existsSync(file)) {
    const mode = fs.statSync(file).mode;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0)
      warn(
        `${file} is readable by group or others (mode ${(mode & 0o777).toString(8)}): ignored, as psql does; chmod 600 it`,
      );
    else {
      const found = pgpassLookup(fs.readFileSync(file, 'utf8'), url);
      if (found !== undefined) return found;
    }
  }
  throw badInput(
    `cannot connect to ${url.display}: the server asks for a password for user ${url.user}, and neither PGPASSWORD nor ${file} has one`,
    `set PGPASSWORD, or add the line ${url.host}:${url.port}:${url.database}:${url.user}:PASSWORD to ${file} (chmod 600)`,
  );
}
