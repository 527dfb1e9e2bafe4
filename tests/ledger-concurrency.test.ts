// Goal: under hundreds of concurrent requests on one client, the invariant holds:
// every balance equals credits minus debits of its recorded transactions, never goes
// below minus the limit, and exactly as many debits are accepted as the limit allows.
// Method: real ledger over gRPC, real PostgreSQL; concurrent calls through several
// channels; then the auditor (ledger-service/audit.ts) recomputes everything from
// the transactions table on its own.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLedgerClient, type LedgerClient } from '../http-facade/ledger-client.js';
import { judgeAudit } from '../ledger-service/audit.js';
import { auditDatabase } from '../ledger-service/db.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startTestLedger, type TestLedger } from './support/ledger.js';

const TIMEOUT_MS = 20_000;
const CHANNEL_COUNT = 4;

let database: TestDatabase;
let ledger: TestLedger;
let clients: LedgerClient[];

beforeAll(async () => {
  database = await createTestDatabase();
  ledger = await startTestLedger(database.url, { LEDGER_POOL_SIZE: '10' });
  clients = Array.from({ length: CHANNEL_COUNT }, () => createLedgerClient(ledger.address));
});

afterAll(async () => {
  for (const client of clients ?? []) client.close();
  await ledger?.stop();
  await database?.drop();
});

it('accepts exactly limit / amount of 400 concurrent debits, and the audit is clean', async () => {
  // Client 2: limit 80000. 400 debits of 1000 cents: exactly 80 fit.
  const replies = await Promise.all(
    Array.from({ length: 400 }, (_, index) =>
      clients[index % CHANNEL_COUNT]?.postTransaction(
        { clientId: 2, amount: 1000, kind: 'TRANSACTION_KIND_DEBIT', description: `d${index}` },
        TIMEOUT_MS,
      ),
    ),
  );
  const accepted = replies.filter((reply) => reply?.ok);
  const refused = replies.filter((reply) => reply?.ok === false);
  expect(accepted.length).toBe(80);
  expect(
    refused.every((reply) => reply?.ok === false && reply.code === grpc.status.FAILED_PRECONDITION),
  ).toBe(true);
  // Each accepted debit saw a distinct balance: they were serialised, none lost.
  const balances = accepted
    .map((reply) => (reply?.ok ? reply.value.balance : 0))
    .sort((a, b) => a - b);
  expect(balances).toEqual(Array.from({ length: 80 }, (_, index) => -80000 + index * 1000));

  const verdict = judgeAudit(await auditDatabase(database.url));
  expect(verdict.violations).toEqual([]);
  expect(verdict.clients.find((client) => client.clientId === 2)).toMatchObject({
    balanceCents: -80000,
    recomputedBalanceCents: -80000,
    transactionCount: 80,
  });
});

it('keeps every balance equal to its history under 600 mixed concurrent credits and debits', async () => {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const requests = Array.from({ length: 600 }, (_, index) => ({
    clientId: 1 + (index % 5),
    amount: 1 + Math.floor(random() * 100_000),
    kind:
      random() < 0.6 ? ('TRANSACTION_KIND_DEBIT' as const) : ('TRANSACTION_KIND_CREDIT' as const),
    description: `m${index}`,
  }));
  const replies = await Promise.all(
    requests.map((request, index) =>
      clients[index % CHANNEL_COUNT]?.postTransaction(request, TIMEOUT_MS),
    ),
  );
  // Every answer is either applied or a limit refusal: nothing else under load.
  for (const reply of replies) {
    if (reply?.ok === false) expect(reply.code).toBe(grpc.status.FAILED_PRECONDITION);
  }
  const verdict = judgeAudit(await auditDatabase(database.url));
  expect(verdict.violations).toEqual([]);
  // And what clients were told adds up: the audit counts exactly the acknowledged ones.
  const acknowledged = replies.filter((reply) => reply?.ok).length;
  const recorded = verdict.clients.reduce((sum, client) => sum + client.transactionCount, 0);
  expect(recorded).toBe(acknowledged + 80);
});

it('the auditor catches a balance that disagrees with its history', async () => {
  await database.query('UPDATE clients SET balance_cents = balance_cents + 1 WHERE id = 3');
  const verdict = judgeAudit(await auditDatabase(database.url));
  expect(verdict.ok).toBe(false);
  expect(verdict.violations).toEqual([
    expect.stringMatching(/^client 3: balance -?\d+ but its transactions sum to -?\d+$/),
  ]);
  await database.query('UPDATE clients SET balance_cents = balance_cents - 1 WHERE id = 3');
});
