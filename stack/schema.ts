// Prepares a database for the ledger: creates it if the server lacks it, and applies
// init.sql once, to a database that has no `clients` table yet. An existing ledger keeps
// its data (the data directory persists between runs); only its functions are replaced.
// Given the ledger's login, it also makes the ledger's role (ledger-role.sql) and sets
// its password and grants, so a database made by an earlier version gets them too.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { Login } from './postgres-credentials.js';

export interface LedgerRole {
  readonly login: Login;
  /** ledger-role.sql: its GRANTS section is applied here. */
  readonly sqlPath: string;
}

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

function section(sql: string, name: string, file: string): string {
  const start = sql.indexOf(`-- BEGIN ${name}`);
  const end = sql.indexOf(`-- END ${name}`);
  if (start < 0 || end < start) throw new Error(`${file} has no BEGIN/END ${name} markers`);
  return sql.slice(start, end);
}

/** The part of init.sql between its FUNCTIONS markers: CREATE OR REPLACE, re-appliable. */
export function functionsSection(initSql: string): string {
  return section(initSql, 'FUNCTIONS', 'init.sql');
}

/** Creates the ledger's role if missing, then sets its password and its grants. */
async function applyLedgerRole(client: pg.Client, role: LedgerRole): Promise<void> {
  const name = pg.escapeIdentifier(role.login.user);
  const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [
    role.login.user,
  ]);
  if (rowCount === 0) await client.query(`CREATE ROLE ${name} LOGIN`);
  await client.query(`ALTER ROLE ${name} PASSWORD ${pg.escapeLiteral(role.login.password)}`);
  await client.query(section(readFileSync(role.sqlPath, 'utf8'), 'GRANTS', role.sqlPath));
}

/**
 * Resolves with true when it applied init.sql, false when the schema was there; then
 * it still re-applies the functions, so an older database gets the current ones.
 */
export async function ensureSchema(
  databaseUrl: string,
  initSqlPath: string,
  ledgerRole?: LedgerRole,
): Promise<boolean> {
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
    const present = rows[0]?.present === true;
    await client.query(present ? functionsSection(initSql) : initSql);
    if (ledgerRole !== undefined) await applyLedgerRole(client, ledgerRole);
    return !present;
  } finally {
    await client.end();
  }
}
