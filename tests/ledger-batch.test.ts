// Goal: group commit keeps the promises of a single posting: a batch waits for row
// locks no longer than its lock-wait budget in total (not per posting), and when it
// gives up nothing of it is written; a graceful shutdown finishes the operations a
// pipeline stream has, refuses new ones as UNAVAILABLE, and ends the stream cleanly.
// Method: post_transactions() called directly on a real database while test
// transactions hold client rows; the real ledger for the drain.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startTestLedger } from './support/ledger.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

async function holdRow(clientId: number, forMs: number) {
  const holder = await database.connect();
  await holder.query('BEGIN');
  await holder.query('SELECT * FROM clients WHERE id = $1 FOR UPDATE', [clientId]);
  const released = new Promise<void>((resolve) =>
    setTimeout(() => {
      void holder
        .query('COMMIT')
        .then(() => holder.end())
        .then(() => resolve());
    }, forMs),
  );
  return released;
}

it('gives a batch its lock-wait budget in total, and writes nothing when it runs out', async () => {
  // Each wait alone fits in 800 ms; together (700 + 700 more) they do not.
  const first = holdRow(1, 700);
  const second = holdRow(2, 1400);
  const startedAt = Date.now();
  await expect(
    database.query(`SELECT * FROM post_transactions('{1,2}', '{5,5}', '{c,c}', '{a,b}', 800)`),
  ).rejects.toMatchObject({ code: '55P03' });
  expect(Date.now() - startedAt).toBeLessThan(1300);
  await Promise.all([first, second]);
  const rows = await database.query<{ count: string }>('SELECT count(*) FROM transactions');
  expect(rows[0]?.count).toBe('0');
});

it('applies a batch in order and answers each posting, per client balances included', async () => {
  const rows = await database.query<{ outcome: string; balance_cents: string }>(
    `SELECT * FROM post_transactions('{3,3,2,3}', '{10,5,80001,1}', '{c,d,d,d}', '{a,b,c,d}', 1000)`,
  );
  expect(rows.map((row) => [row.outcome, row.balance_cents])).toEqual([
    ['applied', '10'],
    ['applied', '5'],
    ['limit_exceeded', '0'],
    ['applied', '4'],
  ]);
});

it('drains pipeline streams on shutdown: in-flight finish, new ones get UNAVAILABLE', async () => {
  const ledger = await startTestLedger(database.url);
  try {
    const released = holdRow(4, 300);
    const inFlight = ledger.client.postTransaction(
      { clientId: 4, amount: 7, kind: 'TRANSACTION_KIND_CREDIT', description: 'in flight' },
      5000,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    ledger.drainPipelines();
    const refused = await ledger.client.postTransaction(
      { clientId: 5, amount: 7, kind: 'TRANSACTION_KIND_CREDIT', description: 'too late' },
      5000,
    );
    expect(refused).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
    await released;
    expect(await inFlight).toEqual({ ok: true, value: { limit: 10000000, balance: 7 } });
    const late = await database.query<{ count: string }>(
      "SELECT count(*) FROM transactions WHERE description = 'too late'",
    );
    expect(late[0]?.count).toBe('0');
  } finally {
    await ledger.stop();
  }
});
