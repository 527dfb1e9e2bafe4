// Goal: ledger-role.sql does in compose what the native stack does: run by psql as
// PostgreSQL's docker-entrypoint-initdb.d runs it (after init.sql, as the superuser,
// with ON_ERROR_STOP), it creates a `ledger` role with LEDGER_DATABASE_PASSWORD that can
// post but cannot change a limit; without that variable it stops the initialisation.
// Method: the system's psql (15 or later, for \getenv; skipped when absent) on a fresh
// database of the test server, then real logins as the role it made.
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';

const PASSWORD = 'compose-secret';

function psqlMajor(): number {
  try {
    const version = execFileSync('psql', ['--version']).toString();
    return Number(/(\d+)\.\d+/.exec(version)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** As docker-entrypoint.sh's docker_process_sql runs an init file. */
function runAsEntrypoint(database: TestDatabase, environment: Record<string, string>) {
  const url = new URL(database.url);
  return execFileSync(
    'psql',
    ['-v', 'ON_ERROR_STOP=1', '--no-psqlrc', '--no-password', '-f', 'ledger-role.sql'],
    {
      env: {
        ...process.env,
        PGHOST: url.hostname,
        PGPORT: url.port,
        PGUSER: url.username,
        PGPASSWORD: decodeURIComponent(url.password),
        PGDATABASE: database.name,
        ...environment,
      },
      stdio: 'pipe',
    },
  );
}

describe.skipIf(psqlMajor() < 15)('ledger-role.sql under docker-entrypoint-initdb.d', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    // Roles belong to the whole server: leave none behind for other files.
    await database?.query('DROP OWNED BY ledger').catch(() => undefined);
    await database?.query('DROP ROLE IF EXISTS ledger');
    await database?.drop();
  });

  it('stops the initialisation when LEDGER_DATABASE_PASSWORD is not set', () => {
    expect(() => runAsEntrypoint(database, {})).toThrow(/syntax error at or near ":"/);
  });

  it('makes a role that posts but cannot change a limit', async () => {
    runAsEntrypoint(database, { LEDGER_DATABASE_PASSWORD: PASSWORD });
    const url = new URL(database.url);
    url.username = 'ledger';
    url.password = PASSWORD;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      const posted = await client.query(
        `SELECT outcome, balance_cents
           FROM post_transactions('{2}', '{5}', '{c}', '{compose}', '{compose-key}', 1000)`,
      );
      expect(posted.rows).toEqual([{ outcome: 'applied', balance_cents: '5' }]);
      await expect(client.query('UPDATE clients SET limit_cents = 0')).rejects.toMatchObject({
        code: '42501',
      });
      const { rows } = await client.query('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [
        'ledger',
      ]);
      expect(rows).toEqual([{ rolsuper: false }]);
    } finally {
      await client.end();
    }
  });
});
