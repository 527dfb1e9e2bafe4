// A fresh ledger database per test file (or per test), cloned from the template
// that global setup built from init.sql: the five clients, balances at zero.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

const TEMPLATE_DATABASE = 'ledger_template';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    values?: unknown[],
  ): Promise<Row[]>;
  /** A dedicated connection, e.g. to hold a row lock in an open transaction. */
  connect(): Promise<pg.Client>;
  drop(): Promise<void>;
}

/** As the superuser, whose password global setup's server generated. */
function urlFor(database: string): string {
  const password = inject('postgresPassword');
  return `postgres://postgres:${password}@127.0.0.1:${inject('postgresPort')}/${database}`;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `ledger_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: urlFor('postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const url = urlFor(name);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  return {
    name,
    url,
    query: async (sql, values) => (await pool.query(sql, values)).rows,
    connect: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    },
    drop: async () => {
      await pool.end();
      const dropper = new pg.Client({ connectionString: urlFor('postgres') });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** A client's balance and how many transactions and idempotency keys it has. */
export interface ClientSnapshot {
  readonly balance: number;
  readonly transactions: number;
  readonly keys: number;
}

/** Two equal snapshots of a client mean nothing was written for it in between. */
export async function clientSnapshot(
  database: TestDatabase,
  clientId: number,
): Promise<ClientSnapshot> {
  const [row] = await database.query<{ balance: string; transactions: string; keys: string }>(
    `SELECT c.balance_cents AS balance,
            (SELECT count(*) FROM transactions t WHERE t.client_id = c.id) AS transactions,
            (SELECT count(*) FROM idempotency_keys k WHERE k.client_id = c.id) AS keys
       FROM clients c WHERE c.id = $1`,
    [clientId],
  );
  if (row === undefined) throw new Error(`client ${clientId} does not exist`);
  return {
    balance: Number(row.balance),
    transactions: Number(row.transactions),
    keys: Number(row.keys),
  };
}
