// Waiting on what the database itself shows, instead of sleeping: a test that holds a
// row lock waits until the call under test is seen queued behind it in pg_locks, and a
// test that checks "nothing was written" waits until no other session is still busy.
import { performance } from 'node:perf_hooks';
import type { TestDatabase } from './database.js';

/** Long enough for a loaded 2-core machine; a condition that never comes fails the test. */
const CONDITION_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 10;

async function pollUntil(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadlineMs = performance.now() + CONDITION_TIMEOUT_MS;
  while (!(await condition())) {
    if (performance.now() > deadlineMs) {
      throw new Error(`not seen within ${CONDITION_TIMEOUT_MS} ms: ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** Sessions of this database waiting for a lock (pg_locks rows not granted). */
export async function lockWaiterCount(database: TestDatabase): Promise<number> {
  const rows = await database.query<{ count: string }>(
    `SELECT count(DISTINCT l.pid) AS count
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE NOT l.granted AND a.datname = current_database()`,
  );
  return Number(rows[0]?.count ?? 0);
}

/** Resolves once at least `count` sessions of this database wait for a lock. */
export function waitForLockWaiters(database: TestDatabase, count = 1): Promise<void> {
  return pollUntil(
    async () => (await lockWaiterCount(database)) >= count,
    `${count} session(s) waiting for a lock`,
  );
}

/**
 * Resolves once no other session of this database runs a statement or holds a
 * transaction open: whatever the ledger sent has committed or rolled back by then.
 */
export function waitForDatabaseIdle(database: TestDatabase): Promise<void> {
  return pollUntil(async () => {
    const rows = await database.query<{ count: string }>(
      `SELECT count(*) AS count FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`,
    );
    return rows[0]?.count === '0';
  }, 'no other session of the database busy');
}
