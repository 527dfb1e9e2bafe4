// The fixed facts of the Rinha 2024/Q1 contest the load test reproduces: the clients
// and their limits, the validation payloads, the SLA and the fines. One place, so the
// scenario, the checks and the reports cannot disagree.

export interface ContestClient {
  readonly id: number;
  readonly limitCents: number;
}

export const CLIENTS: readonly ContestClient[] = Object.freeze([
  { id: 1, limitCents: 100_000 },
  { id: 2, limitCents: 80_000 },
  { id: 3, limitCents: 1_000_000 },
  { id: 4, limitCents: 10_000_000 },
  { id: 5, limitCents: 500_000 },
]);

export const UNKNOWN_CLIENT_ID = 6;

/** Concurrent debits (then credits) of 1 on client 1 in the first validation. */
export const CONCURRENT_TRANSACTION_COUNT = 25;

/** Statements sent at once right after the "danada" credit. */
export const CONCURRENT_STATEMENT_COUNT = 4;

/** Each must be refused with 422 or 400; sent verbatim, as the simulation does. */
export const INVALID_PAYLOADS: readonly string[] = Object.freeze([
  '{"valor": 1.2, "tipo": "d", "descricao": "devolve"}',
  '{"valor": 1, "tipo": "x", "descricao": "devolve"}',
  '{"valor": 1, "tipo": "c", "descricao": "123456789 e mais um pouco"}',
  '{"valor": 1, "tipo": "c", "descricao": ""}',
  '{"valor": 1, "tipo": "c", "descricao": null}',
]);

export const AMOUNT_CENTS_MAX = 10_000;
export const DESCRIPTION_LENGTH = 10;

export const SLA_RESPONSE_MS = 250;
export const SLA_OK_PERCENT_MIN = 98;
export const FINE_PER_PERCENT_USD = 1000;
export const FINE_PER_INCONSISTENCY_USD = 803.01;

export const READINESS_INTERVAL_MS = 2000;
export const READINESS_DEADLINE_MS = 40_000;

export function transactionPath(clientId: number): string {
  return `/clientes/${clientId}/transacoes`;
}

export function statementPath(clientId: number): string {
  return `/clientes/${clientId}/extrato`;
}

export function transactionPayload(amountCents: number, kind: 'c' | 'd', description: string) {
  return `{"valor": ${amountCents}, "tipo": "${kind}", "descricao": "${description}"}`;
}
