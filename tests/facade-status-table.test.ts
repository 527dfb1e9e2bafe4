// Goal: every gRPC status the ledger can answer becomes the HTTP status and error code
// the contract promises, with the ledger's details as the message and nothing else in
// the body, on both routes; the readiness endpoint follows the ledger's health.
// Method: buildApp + inject in front of a hand-written LedgerClient that fails every
// call with one status (the real ledger cannot be made to answer INTERNAL or
// RESOURCE_EXHAUSTED on demand). The expected table is written out here, not read
// from http-errors.ts, so a wrong row in the code fails this test.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../common/logger.js';
import { buildApp } from '../http-facade/app.js';
import { parseFacadeConfig } from '../http-facade/config.js';
import { LedgerStatus } from '../http-facade/ledger-client.js';
import { countingLedger, failingLedger, type StubLedger } from './support/stub-ledger.js';

const logger = createLogger('facade-test', 'silent');
const config = parseFacadeConfig({});

function appWith(ledger: StubLedger) {
  return buildApp({ config, ledger, logger });
}

const EXPECTED: ReadonlyArray<[keyof typeof LedgerStatus, number, string]> = [
  ['INVALID_ARGUMENT', 422, 'invalid_transaction'],
  ['NOT_FOUND', 404, 'client_not_found'],
  ['FAILED_PRECONDITION', 422, 'limit_exceeded'],
  ['OUT_OF_RANGE', 422, 'balance_overflow'],
  ['UNAVAILABLE', 503, 'ledger_unavailable'],
  ['CANCELLED', 503, 'ledger_unavailable'],
  ['RESOURCE_EXHAUSTED', 503, 'ledger_unavailable'],
  ['ABORTED', 503, 'ledger_unavailable'],
  ['DEADLINE_EXCEEDED', 504, 'ledger_timeout'],
  ['UNKNOWN', 502, 'ledger_failed'],
  ['ALREADY_EXISTS', 422, 'idempotency_key_reused'],
  ['PERMISSION_DENIED', 502, 'ledger_failed'],
  ['UNIMPLEMENTED', 502, 'ledger_failed'],
  ['INTERNAL', 502, 'ledger_failed'],
  ['DATA_LOSS', 502, 'ledger_failed'],
  ['UNAUTHENTICATED', 502, 'ledger_failed'],
];

describe('the gRPC to HTTP status table', () => {
  it('covers every status but OK', () => {
    const statuses = Object.keys(LedgerStatus).filter((name) => Number.isNaN(Number(name)));
    expect(EXPECTED.map(([name]) => name).sort()).toEqual(
      statuses.filter((name) => name !== 'OK').sort(),
    );
  });

  it.each(EXPECTED)('%s is %i %s on both routes', async (name, statusCode, error) => {
    const details = `the ledger said ${name}`;
    const ledger = failingLedger(LedgerStatus[name], details);
    const app = appWith(ledger);
    const posted = await app.inject({
      method: 'POST',
      url: '/clientes/1/transacoes',
      payload: { valor: 5, tipo: 'c', descricao: 'row' },
    });
    expect(posted.statusCode).toBe(statusCode);
    expect(posted.headers['content-type']).toMatch(/^application\/json/);
    expect(posted.json()).toEqual({ error, message: details });
    // The posting reached the ledger exactly once, translated.
    expect(ledger.postings).toEqual([
      { clientId: 1, amount: 5, kind: 'TRANSACTION_KIND_CREDIT', description: 'row' },
    ]);
    const statement = await app.inject({ method: 'GET', url: '/clientes/1/extrato' });
    expect(statement.statusCode).toBe(statusCode);
    expect(statement.json()).toEqual({ error, message: details });
    await app.close();
  });
});

describe('readiness', () => {
  it('is 200 when the ledger serves and 503 when it does not', async () => {
    const ready = appWith(countingLedger());
    expect((await ready.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
    const notReady = appWith(failingLedger(LedgerStatus.UNAVAILABLE, 'down'));
    const answer = await notReady.inject({ url: '/readyz' });
    expect(answer.statusCode).toBe(503);
    expect(answer.json()).toEqual({ status: 'ledger not serving' });
  });
});
