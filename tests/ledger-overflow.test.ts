// Goal: a credit that would take a balance past 2^53 - 1 (the largest amount of cents a
// JavaScript number holds exactly) is refused with its own honest status, OUT_OF_RANGE,
// not as a limit breach, and writes nothing; a credit to exactly 2^53 - 1 is applied.
// Method: the real ledger on a real database, over both transports. Reaching that
// balance through postings would take over four million credits of the largest amount,
// so the test sets the client's balance directly in the database first.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSnapshot, createTestDatabase, type TestDatabase } from './support/database.js';
import { appliedPosting, startTestLedger, type TestLedger } from './support/ledger.js';

const BALANCE_MAX_CENTS = Number.MAX_SAFE_INTEGER;
const TIMEOUT_MS = 5000;

describe.each(['pipeline', 'unary'] as const)('over the %s transport', (transport) => {
  let database: TestDatabase;
  let ledger: TestLedger;

  beforeAll(async () => {
    database = await createTestDatabase();
    ledger = await startTestLedger(database.url, {}, transport);
    await database.query('UPDATE clients SET balance_cents = $1 WHERE id = 4', [
      BALANCE_MAX_CENTS - 5,
    ]);
  });

  afterAll(async () => {
    await ledger?.stop();
    await database?.drop();
  });

  const snapshot = () => clientSnapshot(database, 4);

  function credit(amount: number) {
    return ledger.client.postTransaction(
      { clientId: 4, amount, kind: 'TRANSACTION_KIND_CREDIT', description: 'big' },
      TIMEOUT_MS,
    );
  }

  it('refuses one cent past 2^53 - 1 as OUT_OF_RANGE and applies a credit to exactly it', async () => {
    const before = await snapshot();
    expect(await credit(6)).toEqual({
      ok: false,
      code: grpc.status.OUT_OF_RANGE,
      details: 'credit refused: the balance would exceed 2^53 - 1',
    });
    expect(await snapshot()).toEqual(before);

    expect(await credit(5)).toEqual({
      ok: true,
      value: appliedPosting(10_000_000, BALANCE_MAX_CENTS),
    });
    expect(await snapshot()).toEqual({ balance: BALANCE_MAX_CENTS, transactions: 1, keys: 0 });
    // The statement reads it back exactly.
    expect(await ledger.client.getStatement(4, TIMEOUT_MS)).toMatchObject({
      ok: true,
      value: { balance: BALANCE_MAX_CENTS },
    });
  });
});
