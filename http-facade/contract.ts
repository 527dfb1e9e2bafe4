// The Rinha HTTP contract (CONTRACT.md): the only module that speaks Portuguese.
// JSON schemas for the request body and the 200 responses, and the mapping
// between the Rinha vocabulary and the ledger's (valor↔amount, tipo↔kind,
// descricao↔description, saldo↔balance, limite↔limit, realizada_em↔created_at).
import type { Timestamp } from '../proto/generated/google/protobuf/Timestamp.js';
import type { GetStatementResponse } from '../proto/generated/ledger/v1/GetStatementResponse.js';
import type { PostTransactionRequestInput } from '../proto/generated/ledger/v1/PostTransactionRequest.js';
import type { PostTransactionResponse } from '../proto/generated/ledger/v1/PostTransactionResponse.js';
import {
  AMOUNT_CENTS_MAX,
  AMOUNT_CENTS_MIN,
  CLIENT_ID_MAX,
  DESCRIPTION_LENGTH_MAX,
  DESCRIPTION_LENGTH_MIN,
} from '../proto/rules.js';

export interface TransacaoBody {
  valor: number;
  tipo: 'c' | 'd';
  descricao: string;
}

/** Ajv counts maxLength in code points, as the contract does. Extra fields are ignored. */
export const TRANSACAO_BODY_SCHEMA = {
  type: 'object',
  required: ['valor', 'tipo', 'descricao'],
  properties: {
    valor: { type: 'integer', minimum: AMOUNT_CENTS_MIN, maximum: AMOUNT_CENTS_MAX },
    tipo: { type: 'string', enum: ['c', 'd'] },
    descricao: {
      type: 'string',
      minLength: DESCRIPTION_LENGTH_MIN,
      maxLength: DESCRIPTION_LENGTH_MAX,
    },
  },
} as const;

export const TRANSACAO_RESPONSE_SCHEMA = {
  description:
    'Applied (or, with Idempotency-Replayed, applied earlier): limit and balance after it.',
  type: 'object',
  required: ['limite', 'saldo'],
  properties: { limite: { type: 'integer' }, saldo: { type: 'integer' } },
} as const;

export const EXTRATO_RESPONSE_SCHEMA = {
  description: 'The balance, limit and latest 10 transactions, newest first.',
  type: 'object',
  required: ['saldo', 'ultimas_transacoes'],
  properties: {
    saldo: {
      type: 'object',
      required: ['total', 'data_extrato', 'limite'],
      properties: {
        total: { type: 'integer' },
        data_extrato: { type: 'string' },
        limite: { type: 'integer' },
      },
    },
    ultimas_transacoes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['valor', 'tipo', 'descricao', 'realizada_em'],
        properties: {
          valor: { type: 'integer' },
          tipo: { type: 'string' },
          descricao: { type: 'string' },
          realizada_em: { type: 'string' },
        },
      },
    },
  },
} as const;

export const ERROR_RESPONSE_SCHEMA = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

/**
 * The client id of a path, or null when it cannot name a client: ids are decimal
 * integers from 1 to the int32 maximum, without sign, leading zero or fraction.
 */
export function parseClientId(raw: string): number | null {
  if (!/^[1-9]\d{0,9}$/.test(raw)) return null;
  const id = Number(raw);
  return id <= CLIENT_ID_MAX ? id : null;
}

export function toPostTransactionRequest(
  clientId: number,
  body: TransacaoBody,
): PostTransactionRequestInput {
  return {
    clientId,
    amount: body.valor,
    kind: body.tipo === 'c' ? 'TRANSACTION_KIND_CREDIT' : 'TRANSACTION_KIND_DEBIT',
    description: body.descricao,
  };
}

export function toTransacaoResponse(response: PostTransactionResponse) {
  return { limite: response.limit, saldo: response.balance };
}

/** ISO 8601 in UTC with microseconds, as PostgreSQL would print it: 2024-01-17T02:34:41.217753Z. */
export function formatTimestamp(timestamp: Timestamp | null): string {
  const seconds = Number(timestamp?.seconds ?? 0);
  const micros = Math.floor((timestamp?.nanos ?? 0) / 1000);
  const whole = new Date(seconds * 1000).toISOString().slice(0, 19);
  return `${whole}.${String(micros).padStart(6, '0')}Z`;
}

export function toExtratoResponse(statement: GetStatementResponse) {
  return {
    saldo: {
      total: statement.balance,
      data_extrato: formatTimestamp(statement.statementTime),
      limite: statement.limit,
    },
    ultimas_transacoes: statement.latestTransactions.map((entry) => ({
      valor: entry.amount,
      tipo: entry.kind === 'TRANSACTION_KIND_CREDIT' ? 'c' : 'd',
      descricao: entry.description,
      realizada_em: formatTimestamp(entry.createdAt),
    })),
  };
}
