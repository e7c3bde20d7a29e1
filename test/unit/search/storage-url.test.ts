import assert from 'node:assert/strict';
import { PxpError } from '../../../src/core/errors';
import { pgpassFields, pgpassLookup } from '../../../src/core/search/storage/postgres/password';
import { parseStorageUrl } from '../../../src/core/search/storage/postgres/storage-url';

const refused = (text: string, message: RegExp) =>
  assert.throws(
    () => parseStorageUrl(text),
    (e: unknown) => e instanceof PxpError && message.test(e.message) && !e.message.includes('s3cret'),
  );

describe('--storage postgresql:// URLs and the password file', () => {
  it('reads host, port, database, user and sslmode; shows the URL without defaults it does not need', () => {
    const u = parseStorageUrl(
      'postgresql://alice@db.example.org:6543/studies?sslmode=verify-full&sslrootcert=/etc/ca.pem',
    );
    assert.deepEqual(
      [u.host, u.port, u.database, u.user, u.sslmode, u.sslrootcert],
      ['db.example.org', 6543, 'studies', 'alice', 'verify-full', '/etc/ca.pem'],
    );
    assert.equal(u.display, 'postgresql://alice@db.example.org:6543/studies?sslmode=verify-full');
    const d = parseStorageUrl('postgres://bob@10.0.0.5/pxp');
    assert.deepEqual([d.port, d.sslmode, d.connectTimeout], [5432, 'prefer', 10]);
    assert.equal(d.display, 'postgresql://bob@10.0.0.5:5432/pxp');
  });

  it('refuses a password in the URL (without repeating it), a missing database, a bad port, an unknown parameter or sslmode', () => {
    refused('postgresql://alice:s3cret@host/db', /the URL holds a password/);
    refused('postgresql://alice@host:5432', /no database name/);
    refused('postgresql://alice@host:5432/', /no database name/);
    refused('postgresql://alice@host:0/db', /port 0 is not a port/);
    refused('postgresql://alice@host/db?password=s3cret', /unknown parameter password/);
    refused('postgresql://alice@host/db?sslmode=sometimes', /sslmode=sometimes is not an ssl mode/);
    refused('mysql://alice@host/db', /not a PostgreSQL URL/);
  });

  it('finds the first matching ~/.pgpass line, with * wildcards and \\ escapes', () => {
    const text = ['# comment', 'other:5432:*:alice:no', 'db:5432:pxp:alice:a\\:b\\\\c', '*:*:*:*:fallback'].join('\n');
    assert.deepEqual(pgpassFields('h:1:d:u:p\\:q'), ['h', '1', 'd', 'u', 'p:q']);
    assert.equal(pgpassLookup(text, { host: 'db', port: 5432, database: 'pxp', user: 'alice' }), 'a:b\\c');
    assert.equal(pgpassLookup(text, { host: 'db', port: 5433, database: 'pxp', user: 'alice' }), 'fallback');
    assert.equal(
      pgpassLookup('db:5432:pxp:alice:x', { host: 'db', port: 5432, database: 'pxp', user: 'carol' }),
      undefined,
    );
  });
});
