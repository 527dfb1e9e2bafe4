// The ledger's two operations as the wire sees them, shared by the unary RPCs and the
// pipeline stream: validate, run (postings through the group-commit batcher this layer
// owns, statements straight to the store), and map every outcome and every error to an
// explicit canonical status, in one table each.
import { AssertionError } from 'node:assert';
import { status } from '@grpc/grpc-js';
import { sampledWarn } from '../common/log-sampler.js';
import type { Logger } from '../common/logger.js';
import type { Timestamp } from '../proto/generated/google/protobuf/Timestamp.js';
import type { GetStatementRequest } from '../proto/generated/ledger/v1/GetStatementRequest.js';
import type { GetStatementResponse } from '../proto/generated/ledger/v1/GetStatementResponse.js';
import type { PostTransactionRequest } from '../proto/generated/ledger/v1/PostTransactionRequest.js';
import type { PostTransactionResponse } from '../proto/generated/ledger/v1/PostTransactionResponse.js';
import { CallCancelledError, type CallScope, DeadlineExceededError } from './deadlines.js';
import {
  DatabaseUnavailableError,
  type LedgerStore,
  type PostTransactionOutcome,
  type Statement,
} from './ledger.js';
import { type LedgerMetrics, NO_LEDGER_METRICS, type PostingOutcome } from './metrics.js';
import { PostBatcher, type PostBatcherLimits } from './post-batcher.js';
import { validateGetStatement, validatePostTransaction } from './validation.js';

export interface Failure {
  readonly ok: false;
  readonly code: status;
  readonly details: string;
  /** A refusal answered again from an idempotency key's record, not decided anew. */
  readonly replayed?: boolean;
}

export type Reply<T> = { readonly ok: true; readonly value: T } | Failure;

const fail = (code: status, details: string, replayed = false): Failure =>
  replayed ? { ok: false, code, details, replayed } : { ok: false, code, details };

/** The one table from a posting outcome to the wire. */
function postReply(
  outcome: PostTransactionOutcome,
  clientId: number,
): Reply<PostTransactionResponse> {
  switch (outcome.type) {
    case 'applied':
      return {
        ok: true,
        value: {
          limit: outcome.limitCents,
          balance: outcome.balanceCents,
          transactionId: outcome.transactionId,
          createdAt: toTimestamp(outcome.createdAtMicros),
          replayed: outcome.replayed,
        },
      };
    case 'client_not_found':
      return fail(status.NOT_FOUND, `client ${clientId} not found`);
    case 'limit_exceeded':
      return fail(
        status.FAILED_PRECONDITION,
        `debit refused: the balance ${outcome.balanceCents} may not go below -${outcome.limitCents}`,
        outcome.replayed,
      );
    case 'balance_overflow':
      // Not the limit: the balance would leave the range money is kept in.
      return fail(
        status.OUT_OF_RANGE,
        'credit refused: the balance would exceed 2^53 - 1',
        outcome.replayed,
      );
    case 'key_reused':
      return fail(
        status.ALREADY_EXISTS,
        'idempotency_key: already used for a different request on this account; nothing was written',
      );
  }
}

/** The metrics' name for a decided posting: a replayed answer counts as `replayed`. */
function outcomeLabel(outcome: PostTransactionOutcome): PostingOutcome {
  return 'replayed' in outcome && outcome.replayed === true ? 'replayed' : outcome.type;
}

function toTimestamp(micros: number): Timestamp {
  const seconds = Math.floor(micros / 1_000_000);
  return { seconds, nanos: (micros - seconds * 1_000_000) * 1000 };
}

function statementReply(
  statement: Statement | null,
  clientId: number,
): Reply<GetStatementResponse> {
  if (statement === null) return fail(status.NOT_FOUND, `client ${clientId} not found`);
  return {
    ok: true,
    value: {
      balance: statement.balanceCents,
      limit: statement.limitCents,
      statementTime: toTimestamp(statement.statementTimeMicros),
      latestTransactions: statement.latestTransactions.map((entry) => ({
        amount: entry.amountCents,
        kind: entry.kind === 'credit' ? 'TRANSACTION_KIND_CREDIT' : 'TRANSACTION_KIND_DEBIT',
        description: entry.description,
        createdAt: toTimestamp(entry.createdAtMicros),
      })),
    },
  };
}

export interface LedgerOperations {
  postTransaction(
    request: PostTransactionRequest,
    scope: CallScope,
  ): Promise<Reply<PostTransactionResponse>>;
  getStatement(
    request: GetStatementRequest,
    scope: CallScope,
  ): Promise<Reply<GetStatementResponse>>;
}

const UNAVAILABLE_LOG_INTERVAL_MS = 1000;

export interface LedgerDependencies {
  readonly store: LedgerStore;
  readonly logger: Logger;
  /** Group commit's bounds: concurrent postings share a round trip and a commit. */
  readonly batching: PostBatcherLimits;
  /** Counted and timed here; NO_LEDGER_METRICS (the default) when metrics are off. */
  readonly metrics?: LedgerMetrics | undefined;
}

export function createLedgerOperations({
  store,
  logger,
  batching,
  metrics = NO_LEDGER_METRICS,
}: LedgerDependencies): LedgerOperations {
  const batcher = new PostBatcher(store, batching, metrics);
  metrics.sources.queueDepth = () => batcher.queueLength;
  const warnUnavailable = sampledWarn(logger, UNAVAILABLE_LOG_INTERVAL_MS);

  /** Operating errors become explicit statuses; a broken assertion also crashes the process. */
  function failureFor(method: string, error: unknown, requestId: string | undefined): Failure {
    if (error instanceof DatabaseUnavailableError) {
      warnUnavailable({ method, requestId, reason: error.message }, 'database unavailable');
      return fail(status.UNAVAILABLE, 'database unavailable, retry later');
    }
    if (error instanceof DeadlineExceededError)
      return fail(status.DEADLINE_EXCEEDED, error.message);
    if (error instanceof CallCancelledError) return fail(status.CANCELLED, error.message);
    logger.error({ method, requestId, err: error }, 'unexpected failure');
    // A bug: crash after answering, so the supervisor restarts a clean process.
    if (error instanceof AssertionError) {
      setImmediate(() => {
        throw error;
      });
    }
    return fail(status.INTERNAL, 'internal error');
  }

  return {
    async postTransaction(request, scope) {
      const validated = validatePostTransaction(request);
      if (!validated.ok) {
        metrics.postingDecided('invalid');
        return fail(status.INVALID_ARGUMENT, `${validated.field}: ${validated.reason}`);
      }
      try {
        const outcome = await batcher.submit(validated.value, scope);
        metrics.postingDecided(outcomeLabel(outcome));
        return postReply(outcome, validated.value.clientId);
      } catch (error) {
        metrics.postingDecided('failed');
        return failureFor('PostTransaction', error, scope.requestId);
      }
    },
    async getStatement(request, scope) {
      const validated = validateGetStatement(request);
      if (!validated.ok)
        return fail(status.INVALID_ARGUMENT, `${validated.field}: ${validated.reason}`);
      try {
        return statementReply(await store.getStatement(validated.value, scope), validated.value);
      } catch (error) {
        return failureFor('GetStatement', error, scope.requestId);
      }
    },
  };
}
