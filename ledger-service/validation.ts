// Re-validates every field of a request, because internal services call the ledger
// directly, without the HTTP facade in front. Pure functions: a request in, a
// command or the first broken rule (naming the proto field) out.
import type { GetStatementRequest } from '../proto/generated/ledger/v1/GetStatementRequest.js';
import type { PostTransactionRequest } from '../proto/generated/ledger/v1/PostTransactionRequest.js';
import {
  AMOUNT_CENTS_MAX,
  AMOUNT_CENTS_MIN,
  CLIENT_ID_MAX,
  CLIENT_ID_MIN,
  describeInvalidDescription,
  describeInvalidIdempotencyKey,
} from '../proto/rules.js';
import type { PostTransactionCommand, TransactionKind } from './ledger.js';

export type Validated<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly field: string; readonly reason: string };

const invalid = (field: string, reason: string) => ({ ok: false, field, reason }) as const;

const KINDS: Readonly<Record<string, TransactionKind>> = {
  TRANSACTION_KIND_CREDIT: 'credit',
  TRANSACTION_KIND_DEBIT: 'debit',
};

function isClientId(value: unknown): value is number {
  return (
    Number.isInteger(value) &&
    (value as number) >= CLIENT_ID_MIN &&
    (value as number) <= CLIENT_ID_MAX
  );
}

export function validatePostTransaction(
  request: PostTransactionRequest,
): Validated<PostTransactionCommand> {
  if (!isClientId(request.clientId)) {
    return invalid('client_id', `must be a positive integer, got ${request.clientId}`);
  }
  const amount = request.amount;
  // int64 arrives as a JS number; anything beyond the int32 cap is refused, so the
  // rounding of huge values can never let one through.
  if (!Number.isSafeInteger(amount) || amount < AMOUNT_CENTS_MIN || amount > AMOUNT_CENTS_MAX) {
    return invalid(
      'amount',
      `must be an integer from ${AMOUNT_CENTS_MIN} to ${AMOUNT_CENTS_MAX} cents, got ${amount}`,
    );
  }
  const kind = KINDS[String(request.kind)];
  if (kind === undefined) {
    return invalid(
      'kind',
      `must be TRANSACTION_KIND_CREDIT or TRANSACTION_KIND_DEBIT, got ${request.kind}`,
    );
  }
  const descriptionProblem = describeInvalidDescription(request.description);
  if (descriptionProblem !== null) return invalid('description', descriptionProblem);
  // Empty means none: proto3 cannot tell an absent string from an empty one.
  const idempotencyKey = request.idempotencyKey === '' ? null : request.idempotencyKey;
  const keyProblem = idempotencyKey === null ? null : describeInvalidIdempotencyKey(idempotencyKey);
  if (keyProblem !== null) return invalid('idempotency_key', keyProblem);
  return {
    ok: true,
    value: {
      clientId: request.clientId,
      amountCents: amount,
      kind,
      description: request.description,
      idempotencyKey,
    },
  };
}

export function validateGetStatement(request: GetStatementRequest): Validated<number> {
  if (!isClientId(request.clientId)) {
    return invalid('client_id', `must be a positive integer, got ${request.clientId}`);
  }
  return { ok: true, value: request.clientId };
}
