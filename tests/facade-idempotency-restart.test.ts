// Goal: with an Idempotency-Key, a ledger restart is invisible to the HTTP caller: the
// facade resends the posting on UNAVAILABLE within its ledger deadline and the posting
// is applied exactly once; without a key the facade never resends (one attempt, 503).
// Method: buildApp + inject in front of a real ledger on a real PostgreSQL, through a
// LedgerClient wrapper that counts the attempts. The ledger is stopped; a keyed POST is
// sent; once it has been refused at least twice (polled, not slept), a new ledger is
// started on the same address, and the request must end 200 with one transaction row.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../common/logger.js';
import { buildApp } from '../http-facade/app.js';
import { parseFacadeConfig } from '../http-facade/config.js';
import { createLedgerClient, type LedgerClient } from '../http-facade/ledger-client.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startTestLedger, type TestLedger } from './support/ledger.js';

// Far above the ~1 s a restart takes here (the client's reconnect backoff is at most
// 1 s), so that only a facade that stops resending can fail the keyed request.
const LEDGER_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 20;

let database: TestDatabase;
let ledger: TestLedger | undefined;
let client: LedgerClient;
let attempts = 0;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  client?.close();
  await ledger?.stop();
  await database?.drop();
});

function counting(inner: LedgerClient): LedgerClient {
  return {
    ...inner,
    postTransaction: (request, timeoutMs) => {
      attempts++;
      return inner.postTransaction(request, timeoutMs);
    },
  };
}

async function transactionRows(clientId: number): Promise<number> {
  const [row] = await database.query<{ count: string }>(
    'SELECT count(*) FROM transactions WHERE client_id = $1',
    [clientId],
  );
  return Number(row?.count);
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
}

it('a keyed posting survives a ledger restart and is applied once; an unkeyed one is not resent', async () => {
  const first = await startTestLedger(database.url);
  const address = first.address;
  client = createLedgerClient(address);
  const config = parseFacadeConfig({
    LEDGER_ADDRESS: address,
    FACADE_LEDGER_TIMEOUT_MS: String(LEDGER_TIMEOUT_MS),
  });
  const app = buildApp({ config, ledger: counting(client), logger: createLogger('t', 'silent') });
  const body = { valor: 25, tipo: 'd', descricao: 'restart' };
  const posted = (key?: string) =>
    app.inject({
      method: 'POST',
      url: '/clientes/1/transacoes',
      headers: key === undefined ? {} : { 'idempotency-key': key },
      payload: body,
    });
  expect((await posted('warm-up')).statusCode).toBe(200);
  first.client.close();
  await first.forceStop();

  attempts = 0;
  const unkeyed = await posted();
  expect(unkeyed.statusCode).toBe(503);
  expect(attempts).toBe(1);

  attempts = 0;
  let settled = false;
  const keyed = posted('"restart-1"').finally(() => {
    settled = true;
  });
  // A facade that does not resend answers 503 at once: stop waiting and fail below.
  await until(() => attempts >= 2 || settled);
  expect(settled).toBe(false);
  ledger = await startTestLedger(database.url, { LEDGER_LISTEN_ADDRESS: address });
  const answer = await keyed;
  expect(answer.statusCode, answer.body).toBe(200);
  expect(answer.json()).toEqual({ limite: 100_000, saldo: -50 });
  expect(answer.headers['idempotency-replayed']).toBeUndefined();
  expect(await transactionRows(1)).toBe(2);
  // The retry of an applied posting is a replay, not a second posting.
  const again = await posted('restart-1');
  expect(again.json()).toEqual({ limite: 100_000, saldo: -50 });
  expect(again.headers['idempotency-replayed']).toBe('true');
  expect(await transactionRows(1)).toBe(2);
  await app.close();
});
