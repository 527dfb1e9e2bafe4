// Goal: a posting with an idempotency key is applied at most once, whatever the caller
// retries: the same key and request get the original outcome (the same transaction id,
// the balance of that time, or the same refusal, marked as replayed); the same key with
// another request is ALREADY_EXISTS and writes nothing; hundreds of concurrent duplicates
// make exactly one posting; a key is scoped to its account; a bad key or a bad field is
// refused without recording the key; keys outlive a ledger restart and go once pruned.
// Method: the real ledger on a real database over both transports, the unary trailers
// read with a raw grpc-js client; every claim is checked against the rows in PostgreSQL.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../common/logger.js';
import { judgeAudit } from '../ledger-service/audit.js';
import { parseLedgerConfig } from '../ledger-service/config.js';
import { auditDatabase, createPostgresStore } from '../ledger-service/db.js';
import type { PostTransactionRequestInput } from '../proto/generated/ledger/v1/PostTransactionRequest.js';
import { clientSnapshot, createTestDatabase, type TestDatabase } from './support/database.js';
import { rawLedgerServiceClient, startTestLedger, type TestLedger } from './support/ledger.js';

const TIMEOUT_MS = 10_000;
const CREDIT = 'TRANSACTION_KIND_CREDIT' as const;
const DEBIT = 'TRANSACTION_KIND_DEBIT' as const;

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

  function post(request: PostTransactionRequestInput) {
    return ledger.client.postTransaction(request, TIMEOUT_MS);
  }

  const counts = (clientId: number) => clientSnapshot(database, clientId);

  it('answers a retry with the original outcome, not today’s balance, and posts once', async () => {
    const request = {
      clientId: 1,
      amount: 700,
      kind: CREDIT,
      description: 'rent',
      idempotencyKey: 'k-1',
    };
    const first = await post(request);
    expect(first).toMatchObject({
      ok: true,
      value: { limit: 100000, balance: 700, replayed: false },
    });
    if (!first.ok) return;
    expect(first.value.transactionId).toBeGreaterThan(0);
    expect(Number(first.value.createdAt?.seconds)).toBeGreaterThan(0);
    // The balance moves on; the retry still tells the balance right after the original.
    expect(
      await post({ clientId: 1, amount: 50, kind: CREDIT, description: 'other' }),
    ).toMatchObject({
      ok: true,
      value: { balance: 750, replayed: false },
    });
    const retry = await post(request);
    expect(retry).toEqual({ ok: true, value: { ...first.value, replayed: true } });
    expect(await counts(1)).toEqual({ balance: 750, transactions: 2, keys: 1 });
  });

  it('refuses the same key with a different request as ALREADY_EXISTS, writing nothing', async () => {
    const key = 'k-2';
    await post({
      clientId: 2,
      amount: 10,
      kind: CREDIT,
      description: 'first',
      idempotencyKey: key,
    });
    const before = await counts(2);
    for (const changed of [
      { amount: 11, kind: CREDIT, description: 'first' },
      { amount: 10, kind: DEBIT, description: 'first' },
      { amount: 10, kind: CREDIT, description: 'firsT' },
    ]) {
      expect(await post({ clientId: 2, idempotencyKey: key, ...changed })).toEqual({
        ok: false,
        code: grpc.status.ALREADY_EXISTS,
        details:
          'idempotency_key: already used for a different request on this account; nothing was written',
      });
    }
    expect(await counts(2)).toEqual(before);
  });

  it('replays a refusal for the limit as the same refusal, even once the debit would fit', async () => {
    const request = {
      clientId: 3,
      amount: 1_000_001,
      kind: DEBIT,
      description: 'too much',
      idempotencyKey: 'k-3',
    };
    const refused = await post(request);
    expect(refused).toMatchObject({ ok: false, code: grpc.status.FAILED_PRECONDITION });
    await post({ clientId: 3, amount: 5, kind: CREDIT, description: 'now fits' });
    // The facade's client surfaces the mark (PipelineResponse.replayed, the unary trailer).
    expect(await post(request)).toEqual({ ...refused, replayed: true });
    expect(await counts(3)).toEqual({ balance: 5, transactions: 1, keys: 1 });
  });

  it('makes exactly one posting of 200 concurrent duplicates, all told the same outcome', async () => {
    const request = {
      clientId: 4,
      amount: 3,
      kind: DEBIT,
      description: 'dup',
      idempotencyKey: 'k-4',
    };
    // A careful caller retries UNAVAILABLE (nothing written) with the same key; on starved
    // cores a few of 200 callers can wait past the pool's bound and be told so.
    const postUntilDefinite = async () => {
      let reply = await post(request);
      for (
        let retry = 0;
        retry < 20 && !reply.ok && reply.code === grpc.status.UNAVAILABLE;
        retry++
      ) {
        reply = await post(request);
      }
      return reply;
    };
    const replies = await Promise.all(Array.from({ length: 200 }, postUntilDefinite));
    const ids = new Set(
      replies.map((reply) => (reply.ok ? reply.value.transactionId : reply.code)),
    );
    expect(ids.size).toBe(1);
    expect(replies.filter((reply) => reply.ok && !reply.value.replayed)).toHaveLength(1);
    expect(replies.every((reply) => reply.ok && reply.value.balance === -3)).toBe(true);
    expect(await counts(4)).toEqual({ balance: -3, transactions: 1, keys: 1 });
  });

  it('scopes a key to its account: the same key on two clients posts on each', async () => {
    const key = `shared-${transport}`;
    const onFive = await post({
      clientId: 5,
      amount: 1,
      kind: CREDIT,
      description: 'a',
      idempotencyKey: key,
    });
    const onOne = await post({
      clientId: 1,
      amount: 1,
      kind: CREDIT,
      description: 'a',
      idempotencyKey: key,
    });
    expect(onFive).toMatchObject({ ok: true, value: { replayed: false } });
    expect(onOne).toMatchObject({ ok: true, value: { replayed: false } });
  });

  it('refuses a malformed key naming the field, and accepts both ends of the rule', async () => {
    const base = { clientId: 5, amount: 1, kind: CREDIT, description: 'keys' };
    const before = await counts(5);
    for (const bad of ['x'.repeat(65), 'has space', 'tab\there', 'ação', '\u007f']) {
      const reply = await post({ ...base, idempotencyKey: bad });
      expect(reply).toEqual({
        ok: false,
        code: grpc.status.INVALID_ARGUMENT,
        details: 'idempotency_key: must be 1 to 64 visible ASCII characters (0x21 to 0x7E)',
      });
    }
    expect(await counts(5)).toEqual(before);
    for (const good of ['~'.repeat(64), '!', '"quoted"']) {
      expect(await post({ ...base, idempotencyKey: good })).toMatchObject({ ok: true });
    }
  });

  it('does not record a key against a request refused for a bad field or an unknown client', async () => {
    const key = 'k-validation';
    const bad = await post({
      clientId: 5,
      amount: 0,
      kind: CREDIT,
      description: 'x',
      idempotencyKey: key,
    });
    expect(bad).toMatchObject({ ok: false, code: grpc.status.INVALID_ARGUMENT });
    const unknown = await post({
      clientId: 6,
      amount: 1,
      kind: CREDIT,
      description: 'x',
      idempotencyKey: key,
    });
    expect(unknown).toMatchObject({ ok: false, code: grpc.status.NOT_FOUND });
    // The key is still free for a valid request.
    expect(
      await post({ clientId: 5, amount: 2, kind: CREDIT, description: 'y', idempotencyKey: key }),
    ).toMatchObject({ ok: true, value: { replayed: false } });
  });
});

describe('keys across restarts, in the unary trailers, and pruning', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('replays after the ledger restarts, and says so in the unary trailers for a refusal', async () => {
    const request = {
      clientId: 2,
      amount: 90_000,
      kind: DEBIT,
      description: 'big',
      idempotencyKey: 'r-1',
    };
    const first = await startTestLedger(database.url, {}, 'unary');
    const refused = await first.client.postTransaction(request, TIMEOUT_MS);
    await first.stop();

    const second = await startTestLedger(database.url, {}, 'unary');
    const raw = rawLedgerServiceClient(second.address);
    try {
      const trailers = await new Promise<{ code: number; replayed: unknown }>((resolve) => {
        const call = raw.PostTransaction(request, { deadline: Date.now() + TIMEOUT_MS }, (error) =>
          resolve({
            code: error?.code ?? 0,
            replayed: error?.metadata.get('idempotency-replayed')[0],
          }),
        );
        void call;
      });
      expect(refused).toMatchObject({ ok: false, code: grpc.status.FAILED_PRECONDITION });
      expect(trailers).toEqual({ code: grpc.status.FAILED_PRECONDITION, replayed: 'true' });
    } finally {
      raw.close();
      await second.stop();
    }
  });

  it('prunes keys older than a cutoff in batches, after which the key posts anew', async () => {
    const ledger = await startTestLedger(database.url, {}, 'pipeline');
    const store = createPostgresStore(
      parseLedgerConfig({ DATABASE_URL: database.url }),
      createLogger('prune-test', 'silent'),
    );
    try {
      const request = {
        clientId: 1,
        amount: 1,
        kind: CREDIT,
        description: 'old',
        idempotencyKey: 'p-1',
      };
      expect(await ledger.client.postTransaction(request, TIMEOUT_MS)).toMatchObject({ ok: true });
      const [recorded] = await database.query<{ count: string }>(
        'SELECT count(*) FROM idempotency_keys',
      );
      expect(await store.pruneIdempotencyKeys(new Date(Date.now() - 60_000), 10)).toBe(0);
      // One batch of at most 1, then the rest: every key of this database is older than now.
      expect(await store.pruneIdempotencyKeys(new Date(Date.now() + 60_000), 1)).toBe(1);
      expect(await store.pruneIdempotencyKeys(new Date(Date.now() + 60_000), 10)).toBe(
        Number(recorded?.count) - 1,
      );
      expect(await ledger.client.postTransaction(request, TIMEOUT_MS)).toMatchObject({
        ok: true,
        value: { replayed: false, balance: 2 },
      });
    } finally {
      await store.close();
      await ledger.stop();
    }
  });

  it('has the auditor check that every key records exactly one matching transaction', async () => {
    const ledger = await startTestLedger(database.url, {}, 'pipeline');
    try {
      const keyed = { clientId: 3, amount: 9, kind: CREDIT, description: 'audited' };
      await ledger.client.postTransaction({ ...keyed, idempotencyKey: 'a-1' }, TIMEOUT_MS);
      await ledger.client.postTransaction({ ...keyed, idempotencyKey: 'a-2' }, TIMEOUT_MS);
      expect(judgeAudit(await auditDatabase(database.url)).violations).toEqual([]);
      // Two keys pointing at one transaction, and so one key with the wrong balance.
      await database.query(
        `UPDATE idempotency_keys SET transaction_id = (
           SELECT transaction_id FROM idempotency_keys WHERE client_id = 3 AND key = 'a-1')
          WHERE client_id = 3 AND key = 'a-2'`,
      );
      expect(judgeAudit(await auditDatabase(database.url)).violations).toEqual([
        'client 3: 2 idempotency keys disagree with the transaction they record',
      ]);
    } finally {
      await ledger.stop();
    }
  });
});
