// Prepares a database for the ledger: creates it if the server lacks it, and applies
// init.sql once, to a database that has no `clients` table yet. An existing ledger keeps
// its data (the data directory persists between runs); only its functions are replaced.
import { readFileSync } from 'node:fs';
import pg from 'pg';

const INVALID_CATALOG_NAME = '3D000';

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  return client;
}

async function createDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = await connect(admin.toString());
  try {
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

/** The part of init.sql between its FUNCTIONS markers: CREATE OR REPLACE, re-appliable. */
export function functionsSection(initSql: string): string {
  const start = initSql.indexOf('-- BEGIN FUNCTIONS');
  const end = initSql.indexOf('-- END FUNCTIONS');
  if (start < 0 || end < start) throw new Error('init.sql has no BEGIN/END FUNCTIONS markers');
  return initSql.slice(start, end);
}

/**
 * Resolves with true when it applied init.sql, false when the schema was there; then
 * it still re-applies the functions, so an older database gets the current ones.
 */
export async function ensureSchema(databaseUrl: string, initSqlPath: string): Promise<boolean> {
  let client: pg.Client;
  try {
    client = await connect(databaseUrl);
  } catch (error) {
    if ((error as { code?: string }).code !== INVALID_CATALOG_NAME) throw error;
    await createDatabase(databaseUrl);
    client = await connect(databaseUrl);
  }
  try {
    const { rows } = await client.query<{ present: boolean }>(
      "SELECT to_regclass('public.clients') IS NOT NULL AS present",
    );
    const initSql = readFileSync(initSqlPath, 'utf8');
    if (rows[0]?.present) {
      await client.query(functionsSection(initSql));
      return false;
    }
    await client.query(initSql);
    return true;
  } finally {
    await client.end();
  }
}
