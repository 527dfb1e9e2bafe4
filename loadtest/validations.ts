// The validation phase of the official simulation, in its order: 25 concurrent debits of
// 1 on client 1 and the statement showing -25, 25 concurrent credits and the statement
// back at 0; then at once the per-client checks of the five clients and the 404 of
// client 6. Each phase starts on the next tick once the one before has finished, and
// every user has its own connections, as Gatling's virtual users do.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CheckResult,
  checkCredit,
  checkStatementMatches,
  checkStatusIn,
  failure,
  parseTransactionBody,
} from './checks.js';
import {
  CLIENTS,
  CONCURRENT_STATEMENT_COUNT,
  CONCURRENT_TRANSACTION_COUNT,
  type ContestClient,
  INVALID_PAYLOADS,
  statementPath,
  transactionPath,
  transactionPayload,
  UNKNOWN_CLIENT_ID,
} from './contest.js';
import { exchangeChecked, type RunContext } from './exchange.js';
import type { HttpExchange } from './http-client.js';
import { nextTickMs } from './schedule.js';

export interface PhaseContext extends RunContext {
  readonly tickMs: number;
}

/** Connections a validation user may open at once (Gatling's default per host). */
const USER_CONNECTIONS_MAX = 6;

async function sleepUntilElapsed(context: PhaseContext, targetMs: number): Promise<void> {
  const remainingMs = targetMs - context.recorder.elapsedMs(performance.now());
  if (remainingMs > 0) await sleep(remainingMs);
}

async function startNextPhase(context: PhaseContext): Promise<void> {
  const elapsedMs = context.recorder.elapsedMs(performance.now());
  await sleepUntilElapsed(context, nextTickMs(elapsedMs, context.tickMs));
}

/** One validation request on the user's agent. */
function validate(
  context: PhaseContext,
  name: string,
  request: HttpExchange,
  agent: http.Agent | false,
  check: (status: number, body: string) => CheckResult,
) {
  return exchangeChecked(context, { group: 'validations', name, request, agent, check });
}

async function concurrentTransactions(context: PhaseContext, kind: 'c' | 'd'): Promise<void> {
  const request: HttpExchange = {
    method: 'POST',
    path: transactionPath(1),
    body: transactionPayload(1, kind, 'validacao'),
  };
  const name = `concurrent ${kind === 'd' ? 'debit' : 'credit'} of 1`;
  const users = Array.from({ length: CONCURRENT_TRANSACTION_COUNT }, () =>
    validate(context, name, request, false, (status) => checkStatusIn(status, [200])),
  );
  await Promise.all(users);
}

async function concurrencyStatement(context: PhaseContext, totalCents: number): Promise<void> {
  const request: HttpExchange = { method: 'GET', path: statementPath(1) };
  await validate(context, `statement total ${totalCents}`, request, false, (status, body) =>
    checkStatementMatches(status, body, { totalCents }),
  );
}

/** Phase 1 and 2: 25 debits at once then total -25; 25 credits at once then total 0. */
export async function runConcurrencyValidations(context: PhaseContext): Promise<void> {
  await concurrentTransactions(context, 'd');
  await startNextPhase(context);
  await concurrencyStatement(context, -CONCURRENT_TRANSACTION_COUNT);
  await startNextPhase(context);
  await concurrentTransactions(context, 'c');
  await startNextPhase(context);
  await concurrencyStatement(context, 0);
  await startNextPhase(context);
}

/** The 14 requests one client's validation user makes, on its own connections. */
async function validateClient(context: PhaseContext, client: ContestClient): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: USER_CONNECTIONS_MAX });
  const label = `client ${client.id}`;
  const statement: HttpExchange = { method: 'GET', path: statementPath(client.id) };
  const credit = (description: string): HttpExchange => ({
    method: 'POST',
    path: transactionPath(client.id),
    body: transactionPayload(1, 'c', description),
  });
  try {
    await validate(context, `${label} initial statement`, statement, agent, (status, body) =>
      checkStatementMatches(status, body, { limitCents: client.limitCents, totalCents: 0 }),
    );
    await validate(context, `${label} credit "toma"`, credit('toma'), agent, checkCredit);
    const debit: HttpExchange = {
      method: 'POST',
      path: transactionPath(client.id),
      body: transactionPayload(1, 'd', 'devolve'),
    };
    await validate(context, `${label} debit "devolve"`, debit, agent, checkCredit);
    const latestEntries = [
      { description: 'devolve', kind: 'd', amountCents: 1 },
      { description: 'toma', kind: 'c', amountCents: 1 },
    ] as const;
    await validate(context, `${label} statement after toma, devolve`, statement, agent, (s, b) =>
      checkStatementMatches(s, b, { latestEntries }),
    );
    await validateDanada(context, client, agent, credit('danada'), statement);
    for (const body of INVALID_PAYLOADS) {
      const invalid: HttpExchange = { method: 'POST', path: transactionPath(client.id), body };
      await validate(context, `${label} invalid payload`, invalid, agent, (status) =>
        checkStatusIn(status, [422, 400]),
      );
    }
  } finally {
    agent.destroy();
  }
}

/** A credit "danada", then 4 statements at once that must all show it and its balance. */
async function validateDanada(
  context: PhaseContext,
  client: ContestClient,
  agent: http.Agent,
  credit: HttpExchange,
  statement: HttpExchange,
): Promise<void> {
  const label = `client ${client.id}`;
  const { outcome } = await validate(
    context,
    `${label} credit "danada"`,
    credit,
    agent,
    checkCredit,
  );
  const applied = outcome.status === 200 ? parseTransactionBody(outcome.body) : null;
  const check =
    applied === null
      ? () => failure('no balance from the "danada" credit to compare with')
      : (status: number, body: string) =>
          checkStatementMatches(status, body, {
            latestEntries: [{ description: 'danada', kind: 'c', amountCents: 1 }],
            limitCents: applied.limitCents,
            totalCents: applied.balanceCents,
          });
  const name = `${label} statement after danada`;
  await Promise.all(
    Array.from({ length: CONCURRENT_STATEMENT_COUNT }, () =>
      validate(context, name, statement, agent, check),
    ),
  );
}

/** The statement of client 6 must be a 404. */
async function validateUnknownClient(context: PhaseContext): Promise<void> {
  const request: HttpExchange = { method: 'GET', path: statementPath(UNKNOWN_CLIENT_ID) };
  await validate(context, `client ${UNKNOWN_CLIENT_ID} statement`, request, false, (status) =>
    checkStatusIn(status, [404]),
  );
}

/**
 * Phase 3: the per-client validations and the 404 check start together. Resolves
 * `unknownClient` once the 404 check answered (the load starts on the next tick after
 * it) and `clients` once all five users finished.
 */
export function startClientValidations(context: PhaseContext): {
  readonly unknownClient: Promise<void>;
  readonly clients: Promise<void>;
} {
  const clients = Promise.all(CLIENTS.map((client) => validateClient(context, client))).then(
    () => undefined,
  );
  const unknownClient = validateUnknownClient(context).then(() => startNextPhase(context));
  return { unknownClient, clients };
}
