// Goal: every rule of the ledger's gRPC API holds at its exact boundary, and every
// refused request leaves the ledger exactly as it was.
// Method: the real ledger server on loopback, a real PostgreSQL database cloned from
// init.sql, a real grpc-js client; balances and rows are read back from the database.
// Everything runs twice: over the unary RPCs and over the Pipeline stream.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostTransactionRequestInput } from '../proto/generated/ledger/v1/PostTransactionRequest.js';
import { clientSnapshot, createTestDatabase, type TestDatabase } from './support/database.js';
import { appliedPosting, startTestLedger, type TestLedger } from './support/ledger.js';
import { waitForDatabaseIdle } from './support/lock-waits.js';

const TIMEOUT_MS = 5000;
const CREDIT = 'TRANSACTION_KIND_CREDIT';
const DEBIT = 'TRANSACTION_KIND_DEBIT';

describe.each(['pipeline', 'unary'] as const)('over the %s transport', (transport) => {
  let database: TestDatabase;
  let ledger: TestLedger;

  beforeAll(async () => {
    database = await createTestDatabase();
    ledger = await startTestLedger(database.url, {}, transport);
  });

  afterAll(async () => {
    await ledger?.stop();
    await database?.drop();
  });

  const snapshot = (clientId: number) => clientSnapshot(database, clientId);

  function post(request: PostTransactionRequestInput) {
    return ledger.client.postTransaction(request, TIMEOUT_MS);
  }

  describe('PostTransaction', () => {
    it('applies a credit and returns the limit and the new balance', async () => {
      const reply = await post({ clientId: 1, amount: 1000, kind: CREDIT, description: 'salary' });
      expect(reply).toEqual({ ok: true, value: appliedPosting(100000, 1000) });
      expect(await snapshot(1)).toEqual({ balance: 1000, transactions: 1, keys: 0 });
    });

    it('lets a debit reach exactly minus the limit and refuses one cent more', async () => {
      // Client 2: limit 80000, balance 0.
      const exact = await post({ clientId: 2, amount: 80000, kind: DEBIT, description: 'all in' });
      expect(exact).toEqual({ ok: true, value: appliedPosting(80000, -80000) });

      const before = await snapshot(2);
      const beyond = await post({ clientId: 2, amount: 1, kind: DEBIT, description: 'one more' });
      expect(beyond).toMatchObject({ ok: false, code: grpc.status.FAILED_PRECONDITION });
      expect(await snapshot(2)).toEqual(before);
      expect(before).toEqual({ balance: -80_000, transactions: 1, keys: 0 });
    });

    it('answers NOT_FOUND for a client that does not exist, and writes nothing', async () => {
      const reply = await post({ clientId: 6, amount: 1, kind: CREDIT, description: 'ghost' });
      expect(reply).toEqual({
        ok: false,
        code: grpc.status.NOT_FOUND,
        details: 'client 6 not found',
      });
      const [row] = await database.query<{ count: string }>(
        'SELECT count(*) FROM transactions WHERE client_id = 6',
      );
      expect(row?.count).toBe('0');
    });

    it('accepts descriptions of 10 code points with accents and emoji, stored verbatim', async () => {
      for (const description of ['ação ação!', '😀😀😀😀😀😀😀😀😀😀', "'; DROP --", 'a']) {
        const reply = await post({ clientId: 5, amount: 1, kind: CREDIT, description });
        expect(reply.ok, description).toBe(true);
      }
      const rows = await database.query<{ description: string }>(
        'SELECT description FROM transactions WHERE client_id = 5 ORDER BY id',
      );
      expect(rows.map((row) => row.description)).toEqual([
        'ação ação!',
        '😀😀😀😀😀😀😀😀😀😀',
        "'; DROP --",
        'a',
      ]);
    });

    const valid = { clientId: 3, amount: 10, kind: CREDIT, description: 'ok' } as const;
    const invalidCases: Array<[string, PostTransactionRequestInput, string]> = [
      ['client id 0', { ...valid, clientId: 0 }, 'client_id'],
      ['negative client id', { ...valid, clientId: -1 }, 'client_id'],
      ['amount 0', { ...valid, amount: 0 }, 'amount'],
      ['negative amount', { ...valid, amount: -5 }, 'amount'],
      ['amount one past the int32 cap', { ...valid, amount: 2147483648 }, 'amount'],
      ['huge int64 amount', { ...valid, amount: '9223372036854775807' }, 'amount'],
      ['unspecified kind', { ...valid, kind: 'TRANSACTION_KIND_UNSPECIFIED' }, 'kind'],
      ['unknown kind number', { ...valid, kind: 7 as never }, 'kind'],
      ['empty description', { ...valid, description: '' }, 'description'],
      ['11 code points', { ...valid, description: 'ação ação!!' }, 'description'],
      ['NUL in description', { ...valid, description: 'a\u0000b' }, 'description'],
    ];

    it.each(invalidCases)(
      'refuses %s with INVALID_ARGUMENT naming the field',
      async (_, request, field) => {
        const before = await snapshot(3);
        const reply = await post(request);
        expect(reply).toMatchObject({ ok: false, code: grpc.status.INVALID_ARGUMENT });
        expect(reply.ok ? '' : reply.details).toMatch(new RegExp(`^${field}: `));
        expect(await snapshot(3)).toEqual(before);
      },
    );

    it('accepts the largest amount, 2147483647 cents', async () => {
      const reply = await post({
        clientId: 4,
        amount: 2147483647,
        kind: CREDIT,
        description: 'max',
      });
      expect(reply).toEqual({ ok: true, value: appliedPosting(10000000, 2147483647) });
    });
  });

  describe('GetStatement', () => {
    it('lists the 10 latest transactions newest first, with the total of all of them', async () => {
      const statementDb = await createTestDatabase();
      const statementLedger = await startTestLedger(statementDb.url, {}, transport);
      try {
        for (let index = 1; index <= 12; index++) {
          const kind = index % 3 === 0 ? DEBIT : CREDIT;
          const reply = await statementLedger.client.postTransaction(
            { clientId: 1, amount: index, kind, description: `t${index}` },
            TIMEOUT_MS,
          );
          expect(reply.ok).toBe(true);
        }
        const reply = await statementLedger.client.getStatement(1, TIMEOUT_MS);
        if (!reply.ok) throw new Error(reply.details);
        const statement = reply.value;
        // Credits 1+2+4+5+7+8+10+11 = 48, debits 3+6+9+12 = 30.
        expect(statement.balance).toBe(18);
        expect(statement.limit).toBe(100000);
        expect(statement.latestTransactions.map((entry) => entry.description)).toEqual([
          't12',
          't11',
          't10',
          't9',
          't8',
          't7',
          't6',
          't5',
          't4',
          't3',
        ]);
        expect(statement.latestTransactions[0]).toMatchObject({ amount: 12, kind: DEBIT });
        const times = statement.latestTransactions.map(
          (entry) => Number(entry.createdAt?.seconds) * 1e6 + Number(entry.createdAt?.nanos) / 1e3,
        );
        expect([...times].sort((a, b) => b - a)).toEqual(times);
        const statementSeconds = Number(statement.statementTime?.seconds);
        expect(Math.abs(statementSeconds - Date.now() / 1000)).toBeLessThan(60);
      } finally {
        await statementLedger.stop();
        await statementDb.drop();
      }
    });

    it('shows an empty list and a zero balance for a client with no transactions', async () => {
      // Client 3 only ever receives refused requests in this file.
      const reply = await ledger.client.getStatement(3, TIMEOUT_MS);
      expect(reply).toMatchObject({
        ok: true,
        value: { balance: 0, limit: 1000000, latestTransactions: [] },
      });
    });

    it('answers NOT_FOUND for client 6 and INVALID_ARGUMENT for client 0', async () => {
      expect(await ledger.client.getStatement(6, TIMEOUT_MS)).toEqual({
        ok: false,
        code: grpc.status.NOT_FOUND,
        details: 'client 6 not found',
      });
      expect(await ledger.client.getStatement(0, TIMEOUT_MS)).toMatchObject({
        ok: false,
        code: grpc.status.INVALID_ARGUMENT,
      });
    });
  });

  describe('deadlines and availability', () => {
    it("honours the caller's deadline while a row lock is held, and then writes nothing", async () => {
      const locker = await database.connect();
      try {
        await locker.query('BEGIN');
        await locker.query('SELECT * FROM clients WHERE id = 4 FOR UPDATE');
        const before = await snapshot(4);
        const reply = await ledger.client.postTransaction(
          { clientId: 4, amount: 1, kind: CREDIT, description: 'late' },
          300,
        );
        expect(reply).toEqual({
          ok: false,
          code: grpc.status.DEADLINE_EXCEEDED,
          details: 'deadline reached while waiting for the account lock; nothing was written',
        });
        // These details come from the server, so its answer beat the caller's own deadline.
        await locker.query('COMMIT');
        // Were the lock wait not bounded, the posting would still be waiting and would
        // write now that the row is free: wait until no session is busy, then look.
        await waitForDatabaseIdle(database);
        expect(await snapshot(4)).toEqual(before);
      } finally {
        await locker.end();
      }
    });

    it('answers UNAVAILABLE, fast, and reports NOT_SERVING when the database is unreachable', async () => {
      const unreachable = await startTestLedger(
        'postgres://postgres:postgres@127.0.0.1:9/ledger',
        { LEDGER_POOL_WAIT_MS: '500' },
        transport,
      );
      try {
        const reply = await unreachable.client.postTransaction(
          { clientId: 1, amount: 1, kind: CREDIT, description: 'x' },
          TIMEOUT_MS,
        );
        expect(reply).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
        expect(await unreachable.client.isServing(TIMEOUT_MS)).toBe(false);
      } finally {
        await unreachable.stop();
      }
    });

    it('reports SERVING through the standard health service when the database answers', async () => {
      expect(await ledger.client.isServing(TIMEOUT_MS)).toBe(true);
    });
  });
});
