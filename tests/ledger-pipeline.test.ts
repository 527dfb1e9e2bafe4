// Goal: the Pipeline stream keeps each operation's own id, deadline and status: bad
// envelopes are refused by id, answers come back as each operation completes (not in
// request order), and a broken stream answers every pending operation UNAVAILABLE.
// Method: the real ledger on loopback and a real database; a raw grpc-js stream for
// the envelope rules, the facade's pipeline client for the rest; a row lock held in
// a test transaction to make one operation slow, its wait first seen in pg_locks.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PipelineResponse } from '../proto/generated/ledger/v1/PipelineResponse.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import {
  appliedPosting,
  rawLedgerServiceClient,
  startTestLedger,
  type TestLedger,
} from './support/ledger.js';
import { waitForLockWaiters } from './support/lock-waits.js';

// A lock-wait budget no wait below reaches: a held row keeps a posting waiting for as
// long as the test holds it, however slow the machine.
const LOCK_BUDGET_ENV = { LEDGER_LOCK_TIMEOUT_MS: '60000', LEDGER_STATEMENT_TIMEOUT_MS: '60000' };
const CALL_TIMEOUT_MS = 30_000;

let database: TestDatabase;
let ledger: TestLedger;

beforeAll(async () => {
  database = await createTestDatabase();
  ledger = await startTestLedger(database.url, LOCK_BUDGET_ENV);
});

afterAll(async () => {
  await ledger?.stop();
  await database?.drop();
});

function rawStream() {
  const client = rawLedgerServiceClient(ledger.address);
  const stream = client.Pipeline();
  const responses: PipelineResponse[] = [];
  stream.on('data', (response: PipelineResponse) => responses.push(response));
  const ended = new Promise<void>((resolve) => stream.on('end', () => resolve()));
  return { client, stream, responses, ended };
}

it('refuses a bad envelope by its id with INVALID_ARGUMENT, and ends when the caller ends', async () => {
  const { client, stream, responses, ended } = rawStream();
  stream.write({ requestId: 7, timeoutMs: 0, getStatement: { clientId: 1 } });
  stream.write({ requestId: 8, timeoutMs: 60_001, getStatement: { clientId: 1 } });
  stream.write({ requestId: 9, timeoutMs: 1000 });
  stream.write({ requestId: 10, timeoutMs: 1000, getStatement: { clientId: 6 } });
  stream.end();
  await ended;
  client.close();
  expect(
    responses.map(({ requestId, statusCode, statusMessage }) => ({
      requestId,
      statusCode,
      statusMessage,
    })),
  ).toEqual([
    {
      requestId: 7,
      statusCode: grpc.status.INVALID_ARGUMENT,
      statusMessage: 'timeout_ms: must be 1 to 60000',
    },
    {
      requestId: 8,
      statusCode: grpc.status.INVALID_ARGUMENT,
      statusMessage: 'timeout_ms: must be 1 to 60000',
    },
    {
      requestId: 9,
      statusCode: grpc.status.INVALID_ARGUMENT,
      statusMessage: 'operation: one of post_transaction, get_statement is required',
    },
    { requestId: 10, statusCode: grpc.status.NOT_FOUND, statusMessage: 'client 6 not found' },
  ]);
});

it('answers as each operation completes: a fast one is not stuck behind a slow one', async () => {
  const locker = await database.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('SELECT * FROM clients WHERE id = 1 FOR UPDATE');
    const slow = ledger.client.postTransaction(
      { clientId: 1, amount: 5, kind: 'TRANSACTION_KIND_CREDIT', description: 'slow' },
      CALL_TIMEOUT_MS,
    );
    // The slow one is in the database, waiting for the row, before the fast one is sent.
    await waitForLockWaiters(database);
    const fast = await ledger.client.postTransaction(
      { clientId: 2, amount: 7, kind: 'TRANSACTION_KIND_CREDIT', description: 'fast' },
      CALL_TIMEOUT_MS,
    );
    expect(fast).toEqual({ ok: true, value: appliedPosting(80000, 7) });
    await locker.query('COMMIT');
    expect(await slow).toEqual({ ok: true, value: appliedPosting(100000, 5) });
  } finally {
    await locker.end();
  }
});

it('answers every pending operation UNAVAILABLE when the stream breaks, and recovers', async () => {
  const own = await startTestLedger(database.url, LOCK_BUDGET_ENV);
  const locker = await database.connect();
  let stopped: Promise<void> | undefined;
  try {
    await locker.query('BEGIN');
    await locker.query('SELECT * FROM clients WHERE id = 3 FOR UPDATE');
    const pending = own.client.postTransaction(
      { clientId: 3, amount: 1, kind: 'TRANSACTION_KIND_CREDIT', description: 'cut off' },
      CALL_TIMEOUT_MS,
    );
    // Pending for certain: its posting waits in the database for the held row.
    await waitForLockWaiters(database);
    // The server's calls end at once; its pool closes once the held row lets go.
    stopped = own.forceStop();
    expect(await pending).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
  } finally {
    await locker.query('ROLLBACK');
    await locker.end();
    await stopped;
  }
  // The same client opens a new stream to a ledger that is back.
  const again = await startTestLedger(database.url, { LEDGER_LISTEN_ADDRESS: own.address });
  try {
    expect(await own.client.getStatement(3, 5000)).toMatchObject({ ok: true });
  } finally {
    own.client.close();
    await again.stop();
  }
});
