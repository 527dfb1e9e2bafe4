// Builds the ledger's gRPC server (without binding it): the LedgerService, the
// standard health service and server reflection. Every handler goes through one
// adapter that awaits the work, maps outcomes and errors to explicit canonical
// statuses, and calls back exactly once.
import { AssertionError } from 'node:assert';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from '../common/logger.js';
import type { Timestamp } from '../proto/generated/google/protobuf/Timestamp.js';
import type { GetStatementResponse } from '../proto/generated/ledger/v1/GetStatementResponse.js';
import type { LedgerServiceHandlers } from '../proto/generated/ledger/v1/LedgerService.js';
import type { PostTransactionResponse } from '../proto/generated/ledger/v1/PostTransactionResponse.js';
import type { ProtoGrpcType } from '../proto/generated/ledger.js';
import { loadLedgerPackageDefinition } from '../proto/loader.js';
import {
  CallCancelledError,
  type CallScope,
  DatabaseUnavailableError,
  DeadlineExceededError,
  type LedgerStore,
  type PostTransactionOutcome,
  type Statement,
} from './ledger.js';
import { createReflectionService } from './reflection.js';
import { validateGetStatement, validatePostTransaction } from './validation.js';

export const LEDGER_SERVICE_NAME = 'ledger.v1.LedgerService';

// Requests are a few dozen bytes; anything near this is hostile.
const MESSAGE_LENGTH_MAX_BYTES = 64 * 1024;
const KEEPALIVE_TIME_MS = 30_000;
const KEEPALIVE_TIMEOUT_MS = 10_000;
// Callers (facades) may ping an idle connection this often without being cut off.
const KEEPALIVE_PERMIT_INTERVAL_MS = 5_000;
const CONCURRENT_STREAMS_MAX = 1000;

export const LEDGER_SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': MESSAGE_LENGTH_MAX_BYTES,
  'grpc.max_send_message_length': MESSAGE_LENGTH_MAX_BYTES,
  'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
  'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': KEEPALIVE_PERMIT_INTERVAL_MS,
  'grpc.max_concurrent_streams': CONCURRENT_STREAMS_MAX,
};

type Reply<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: grpc.status; readonly details: string };

const fail = (code: grpc.status, details: string) => ({ ok: false, code, details }) as const;

/** The one table from a posting outcome to the wire. */
function postReply(
  outcome: PostTransactionOutcome,
  clientId: number,
): Reply<PostTransactionResponse> {
  switch (outcome.type) {
    case 'applied':
      return { ok: true, value: { limit: outcome.limitCents, balance: outcome.balanceCents } };
    case 'client_not_found':
      return fail(grpc.status.NOT_FOUND, `client ${clientId} not found`);
    case 'limit_exceeded':
      return fail(
        grpc.status.FAILED_PRECONDITION,
        `debit refused: the balance ${outcome.balanceCents} may not go below -${outcome.limitCents}`,
      );
    case 'balance_overflow':
      return fail(
        grpc.status.FAILED_PRECONDITION,
        'credit refused: the balance would exceed 2^53 - 1',
      );
  }
}

function toTimestamp(micros: number): Timestamp {
  const seconds = Math.floor(micros / 1_000_000);
  return { seconds, nanos: (micros - seconds * 1_000_000) * 1000 };
}

function statementReply(
  statement: Statement | null,
  clientId: number,
): Reply<GetStatementResponse> {
  if (statement === null) return fail(grpc.status.NOT_FOUND, `client ${clientId} not found`);
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

function deadlineMs(deadline: grpc.Deadline): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/** Adapts an async handler to grpc-js: one callback, an explicit status for every outcome. */
function unary<Request, Response>(
  logger: Logger,
  method: string,
  handle: (request: Request, scope: CallScope) => Promise<Reply<Response>>,
): grpc.handleUnaryCall<Request, Response> {
  return (call, callback) => {
    const scope: CallScope = {
      isCancelled: () => call.cancelled,
      deadlineMs: deadlineMs(call.getDeadline()),
    };
    handle(call.request, scope).then(
      (reply) => {
        if (reply.ok) callback(null, reply.value);
        else callback({ code: reply.code, details: reply.details });
      },
      (error: unknown) => {
        if (error instanceof DatabaseUnavailableError) {
          logger.warn({ method, err: error }, 'database unavailable');
          callback({ code: grpc.status.UNAVAILABLE, details: 'database unavailable, retry later' });
        } else if (error instanceof DeadlineExceededError) {
          callback({ code: grpc.status.DEADLINE_EXCEEDED, details: error.message });
        } else if (error instanceof CallCancelledError) {
          callback({ code: grpc.status.CANCELLED, details: error.message });
        } else {
          logger.error({ method, err: error }, 'unexpected failure');
          callback({ code: grpc.status.INTERNAL, details: 'internal error' });
          // A broken assertion is a bug: crash, so the supervisor restarts a clean process.
          if (error instanceof AssertionError)
            setImmediate(() => {
              throw error;
            });
        }
      },
    );
  };
}

export function createLedgerHandlers(store: LedgerStore, logger: Logger): LedgerServiceHandlers {
  return {
    PostTransaction: unary(logger, 'PostTransaction', async (request, scope) => {
      const validated = validatePostTransaction(request);
      if (!validated.ok) {
        return fail(grpc.status.INVALID_ARGUMENT, `${validated.field}: ${validated.reason}`);
      }
      const outcome = await store.postTransaction(validated.value, scope);
      return postReply(outcome, validated.value.clientId);
    }),
    GetStatement: unary(logger, 'GetStatement', async (request, scope) => {
      const validated = validateGetStatement(request);
      if (!validated.ok) {
        return fail(grpc.status.INVALID_ARGUMENT, `${validated.field}: ${validated.reason}`);
      }
      const statement = await store.getStatement(validated.value, scope);
      return statementReply(statement, validated.value);
    }),
  };
}

export interface LedgerServer {
  readonly server: grpc.Server;
  readonly health: HealthImplementation;
}

export function buildLedgerServer(store: LedgerStore, logger: Logger): LedgerServer {
  const server = new grpc.Server(LEDGER_SERVER_OPTIONS);
  const proto = grpc.loadPackageDefinition(
    loadLedgerPackageDefinition(),
  ) as unknown as ProtoGrpcType;
  server.addService(proto.ledger.v1.LedgerService.service, createLedgerHandlers(store, logger));
  // Not serving until the health monitor has seen the database answer.
  const health = new HealthImplementation({
    '': 'NOT_SERVING',
    [LEDGER_SERVICE_NAME]: 'NOT_SERVING',
  });
  health.addToServer(server);
  createReflectionService().addToServer(server);
  return { server, health };
}
