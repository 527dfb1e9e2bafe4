// Goal: a posting keeps its promises when it has to wait for a client's row lock: it
// waits no longer than the ledger's lock-wait budget, and when it gives up nothing is
// written; postings to free rows meanwhile go through; a graceful shutdown finishes the
// operations a pipeline stream has, refuses new ones as UNAVAILABLE and ends cleanly.
// Method: the real ledger over gRPC on a real database (only its public behaviour, so
// the test holds whatever the posting path looks like inside); test transactions hold
// client rows, and every lock wait the test relies on is first seen in pg_locks.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { appliedPosting, startTestLedger } from './support/ledger.js';
import { waitForLockWaiters } from './support/lock-waits.js';

const CREDIT = 'TRANSACTION_KIND_CREDIT';
// Far beyond any lock wait below: a refusal can only come from the lock-wait budget.
const CALL_TIMEOUT_MS = 30_000;
// Long enough that a test polling pg_locks on a loaded machine still sees the waiter.
const LOCK_BUDGET_MS = 2000;

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

/** Holds a client's row lock; resolves once the lock is held. */
async function holdRow(clientId: number): Promise<{ release(): Promise<void> }> {
  const holder = await database.connect();
  await holder.query('BEGIN');
  await holder.query('SELECT * FROM clients WHERE id = $1 FOR UPDATE', [clientId]);
  return {
    async release() {
      try {
        await holder.query('COMMIT');
      } finally {
        await holder.end();
      }
    },
  };
}

async function transactionCount(description: string): Promise<string | undefined> {
  const rows = await database.query<{ count: string }>(
    'SELECT count(*) FROM transactions WHERE description = $1',
    [description],
  );
  return rows[0]?.count;
}

it('refuses a posting whose row stays locked beyond the budget, and writes nothing', async () => {
  const ledger = await startTestLedger(database.url, {
    LEDGER_LOCK_TIMEOUT_MS: String(LOCK_BUDGET_MS),
  });
  const first = await holdRow(1);
  const second = await holdRow(2);
  try {
    const blocked = [1, 2].map((clientId) =>
      ledger.client.postTransaction(
        { clientId, amount: 5, kind: CREDIT, description: 'blocked' },
        CALL_TIMEOUT_MS,
      ),
    );
    // The lock wait really happens: the ledger's session is queued behind a holder.
    await waitForLockWaiters(database);
    // A posting to a free row is not held up by the blocked ones.
    expect(
      await ledger.client.postTransaction(
        { clientId: 3, amount: 9, kind: CREDIT, description: 'free' },
        CALL_TIMEOUT_MS,
      ),
    ).toEqual({ ok: true, value: appliedPosting(1000000, 9) });
    for (const reply of await Promise.all(blocked)) {
      expect(reply).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
    }
  } finally {
    await first.release();
    await second.release();
    await ledger.stop();
  }
  // Every refused call has its answer, so its statement has ended: nothing of it is left.
  expect(await transactionCount('blocked')).toBe('0');
  const balances = await database.query<{ id: number; balance_cents: string }>(
    'SELECT id, balance_cents FROM clients WHERE id IN (1, 2) ORDER BY id',
  );
  expect(balances).toEqual([
    { id: 1, balance_cents: '0' },
    { id: 2, balance_cents: '0' },
  ]);
});

it('drains pipeline streams on shutdown: in-flight finish, new ones get UNAVAILABLE', async () => {
  // A budget no wait below reaches: the in-flight posting waits as long as the test holds.
  const ledger = await startTestLedger(database.url, {
    LEDGER_LOCK_TIMEOUT_MS: '60000',
    LEDGER_STATEMENT_TIMEOUT_MS: '60000',
  });
  const row = await holdRow(4);
  let released = false;
  try {
    const inFlight = ledger.client.postTransaction(
      { clientId: 4, amount: 7, kind: CREDIT, description: 'in flight' },
      CALL_TIMEOUT_MS,
    );
    // In flight for certain: its posting waits in the database for the held row.
    await waitForLockWaiters(database);
    ledger.drainPipelines();
    const refused = await ledger.client.postTransaction(
      { clientId: 5, amount: 7, kind: CREDIT, description: 'too late' },
      CALL_TIMEOUT_MS,
    );
    expect(refused).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
    await row.release();
    released = true;
    expect(await inFlight).toEqual({ ok: true, value: appliedPosting(10000000, 7) });
    expect(await transactionCount('too late')).toBe('0');
    expect(await transactionCount('in flight')).toBe('1');
  } finally {
    if (!released) await row.release();
    await ledger.stop();
  }
});
