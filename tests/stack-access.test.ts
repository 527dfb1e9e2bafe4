// Goal: the embedded PostgreSQL admits nobody by a known password, and the ledger's role
// can do what the ledger does and nothing more; a data directory made by an earlier
// version (superuser password `postgres`, no credentials file, no ledger role) is
// upgraded at its next start and keeps its data.
// Method: a real server started by stack/postgres.ts and prepared by stack/schema.ts as
// `npm start` does, then real logins with the old password, the generated ones, and
// the ledger's role attempting what it must not do.
import { readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPostgres, startPostgres } from '../stack/postgres.js';
import {
  CREDENTIALS_FILE,
  LEGACY_SUPERUSER_PASSWORD,
  type Login,
} from '../stack/postgres-credentials.js';
import { ensureSchema } from '../stack/schema.js';
import { testPort } from './support/ports.js';
import { createDataDir } from './support/stack-process.js';

const INVALID_PASSWORD = '28P01';
const INSUFFICIENT_PRIVILEGE = '42501';

let dataDir: string;
let postgres: RunningPostgres;

async function prepare(server: RunningPostgres): Promise<void> {
  await ensureSchema(server.url('ledger'), 'init.sql', {
    login: server.credentials.ledger,
    sqlPath: 'ledger-role.sql',
  });
}

async function start(): Promise<RunningPostgres> {
  return startPostgres({ dataDir, port: testPort(), settings: { fsync: 'off' } });
}

/** Runs SQL on one connection; resolves with the rows or rejects with pg's error. */
async function asLogin(server: RunningPostgres, login: Login, sql: string) {
  const client = new pg.Client({ connectionString: server.url('ledger', login) });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  dataDir = createDataDir();
  postgres = await start();
  await prepare(postgres);
});

afterAll(async () => {
  await postgres?.stop();
  rmSync(path.dirname(dataDir), { recursive: true, force: true });
});

describe('embedded PostgreSQL access', () => {
  it('refuses the superuser with the old default password', async () => {
    const old = { user: 'postgres', password: LEGACY_SUPERUSER_PASSWORD };
    await expect(asLogin(postgres, old, 'SELECT 1')).rejects.toMatchObject({
      code: INVALID_PASSWORD,
    });
    const ledgerGuess = { user: 'ledger', password: 'ledger' };
    await expect(asLogin(postgres, ledgerGuess, 'SELECT 1')).rejects.toMatchObject({
      code: INVALID_PASSWORD,
    });
  });

  it('keeps the generated passwords in the data directory, readable by its owner only', () => {
    const file = path.join(postgres.dataDir, CREDENTIALS_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const kept = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Login>;
    expect(kept).toEqual(postgres.credentials);
    expect(kept.superuser?.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(kept.ledger?.password).not.toBe(kept.superuser?.password);
  });

  it('lets the ledger role post and read through the functions', async () => {
    const rows = await asLogin(
      postgres,
      postgres.credentials.ledger,
      `SELECT outcome, balance_cents
         FROM post_transactions('{1}', '{100}', '{c}', '{access}', '{access-key}', 1000)`,
    );
    expect(rows).toEqual([{ outcome: 'applied', balance_cents: '100' }]);
    const recorded = await asLogin(
      postgres,
      postgres.credentials.ledger,
      `SELECT amount_cents FROM transactions WHERE description = 'access'`,
    );
    expect(recorded).toEqual([{ amount_cents: '100' }]);
    // And prune keys past their retention, as its background pruner does.
    const pruned = await asLogin(
      postgres,
      postgres.credentials.ledger,
      `SELECT prune_idempotency_keys(now() + interval '1 minute', 10) AS deleted`,
    );
    expect(pruned).toEqual([{ deleted: 1 }]);
  });

  it.each([
    ['change a limit', 'UPDATE clients SET limit_cents = 0 WHERE id = 1'],
    ['delete a transaction', 'DELETE FROM transactions'],
    ['rewrite a transaction', 'UPDATE transactions SET amount_cents = 1'],
    ['drop a table', 'DROP TABLE transactions'],
    ['create a table', 'CREATE TABLE stray (id int)'],
    ['read the password hashes', 'SELECT rolpassword FROM pg_authid'],
    ['create a role', 'CREATE ROLE intruder'],
    [
      'replace a function',
      'CREATE OR REPLACE FUNCTION post_transactions() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql',
    ],
  ])('refuses the ledger role to %s', async (_what, sql) => {
    const before = await asLogin(
      postgres,
      postgres.credentials.superuser,
      'SELECT * FROM clients ORDER BY id',
    );
    const refusal = asLogin(postgres, postgres.credentials.ledger, sql);
    await expect(refusal).rejects.toMatchObject({ code: INSUFFICIENT_PRIVILEGE });
    expect(
      await asLogin(postgres, postgres.credentials.superuser, 'SELECT * FROM clients ORDER BY id'),
    ).toEqual(before);
  });

  it('upgrades a data directory that an earlier version made', async () => {
    // Make the earlier version's state: the old password, no file, no ledger role.
    const superuser = postgres.credentials.superuser;
    await asLogin(postgres, superuser, 'DROP OWNED BY ledger; DROP ROLE ledger');
    await asLogin(postgres, superuser, `ALTER ROLE postgres PASSWORD 'postgres'`);
    await postgres.stop();
    rmSync(path.join(postgres.dataDir, CREDENTIALS_FILE));

    postgres = await start();
    await prepare(postgres);
    expect(postgres.credentials.superuser.password).not.toBe(LEGACY_SUPERUSER_PASSWORD);
    const old = { user: 'postgres', password: LEGACY_SUPERUSER_PASSWORD };
    await expect(asLogin(postgres, old, 'SELECT 1')).rejects.toMatchObject({
      code: INVALID_PASSWORD,
    });
    const balance = await asLogin(
      postgres,
      postgres.credentials.ledger,
      'SELECT balance_cents FROM clients WHERE id = 1',
    );
    expect(balance).toEqual([{ balance_cents: '100' }]);
    const file = path.join(postgres.dataDir, CREDENTIALS_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
