// Builds the ledger's gRPC server (without binding it): the LedgerService (two unary
// RPCs and the pipeline stream, over the same operations), the standard health
// service and server reflection. Unary handlers go through one adapter that awaits
// the operation, whose reply always carries an explicit status, and calls back once.
// Requests are decoded by proto/request-decoding.ts, which never throws: a caller's
// malformed bytes or invalid UTF-8 reach the handlers as a MalformedRequest, answered
// INVALID_ARGUMENT (grpc-js would answer a throwing deserializer INTERNAL).
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { LedgerServiceDefinition } from '../proto/generated/ledger/v1/LedgerService.js';
import type { ProtoGrpcType } from '../proto/generated/ledger.js';
import { loadLedgerPackageDefinition } from '../proto/loader.js';
import {
  createPipelineRequestDecoder,
  type Decoded,
  guardGetStatement,
  guardPostTransaction,
  MalformedRequest,
} from '../proto/request-decoding.js';
import { isValidRequestTag } from '../proto/rules.js';
import type { CallScope } from './deadlines.js';
import { type GrpcMethod, type LedgerMetrics, NO_LEDGER_METRICS } from './metrics.js';
import {
  createLedgerOperations,
  type Failure,
  type LedgerDependencies,
  type LedgerOperations,
  type Reply,
} from './operations.js';
import { createPipeline, type Pipeline } from './pipeline.js';
import { createReflectionService } from './reflection.js';

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

function deadlineMs(deadline: grpc.Deadline): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/** A refusal replayed from an idempotency key's record says so in its trailers. */
function trailersOf(failure: Failure): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (failure.replayed === true) metadata.set(IDEMPOTENCY_REPLAYED_TRAILER, 'true');
  return metadata;
}

export const IDEMPOTENCY_REPLAYED_TRAILER = 'idempotency-replayed';
/** The caller's request id on a unary call (on the Pipeline: request_tag per operation). */
export const REQUEST_ID_METADATA = 'x-request-id';

function requestIdOf(metadata: grpc.Metadata): string | undefined {
  const value = metadata.get(REQUEST_ID_METADATA)[0];
  return isValidRequestTag(value) ? value : undefined;
}

/**
 * Adapts an operation to a grpc-js unary handler: one callback, an explicit status,
 * each call counted and timed.
 */
function unary<Request, Response>(
  method: GrpcMethod,
  operation: (request: Request, scope: CallScope) => Promise<Reply<Response>>,
  metrics: LedgerMetrics,
): grpc.handleUnaryCall<Decoded<Request>, Response> {
  return (call, callback) => {
    const startMs = performance.now();
    const request = call.request;
    if (request instanceof MalformedRequest) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: request.details });
      metrics.operationFinished(method, 'unary', grpc.status.INVALID_ARGUMENT, startMs);
      return;
    }
    const scope: CallScope = {
      isCancelled: () => call.cancelled,
      deadlineMs: deadlineMs(call.getDeadline()),
      requestId: requestIdOf(call.metadata),
    };
    void operation(request, scope).then((reply) => {
      if (reply.ok) callback(null, reply.value);
      else callback({ code: reply.code, details: reply.details, metadata: trailersOf(reply) });
      metrics.operationFinished(method, 'unary', reply.ok ? grpc.status.OK : reply.code, startMs);
    });
  };
}

/** The service as generated, with request decoders that never throw. */
function guardedLedgerService(definition: LedgerServiceDefinition): grpc.ServiceDefinition {
  const { PostTransaction, GetStatement, Pipeline } = definition;
  const decodePostTransaction = guardPostTransaction(PostTransaction.requestDeserialize);
  const decodeGetStatement = guardGetStatement(GetStatement.requestDeserialize);
  return {
    PostTransaction: { ...PostTransaction, requestDeserialize: decodePostTransaction },
    GetStatement: { ...GetStatement, requestDeserialize: decodeGetStatement },
    Pipeline: {
      ...Pipeline,
      requestDeserialize: createPipelineRequestDecoder(decodePostTransaction, decodeGetStatement),
    },
  };
}

function createLedgerHandlers(
  operations: LedgerOperations,
  pipeline: Pipeline,
  metrics: LedgerMetrics,
): grpc.UntypedServiceImplementation {
  return {
    PostTransaction: unary(
      'PostTransaction',
      (request, scope) => operations.postTransaction(request, scope),
      metrics,
    ),
    GetStatement: unary(
      'GetStatement',
      (request, scope) => operations.getStatement(request, scope),
      metrics,
    ),
    Pipeline: pipeline.handler,
  };
}

export interface LedgerServer {
  readonly server: grpc.Server;
  readonly health: HealthImplementation;
  /** Ends the pipeline streams gracefully; call before server.tryShutdown(). */
  drainPipelines(): void;
}

export function buildLedgerServer(dependencies: LedgerDependencies): LedgerServer {
  const server = new grpc.Server(LEDGER_SERVER_OPTIONS);
  const proto = grpc.loadPackageDefinition(
    loadLedgerPackageDefinition(),
  ) as unknown as ProtoGrpcType;
  const metrics = dependencies.metrics ?? NO_LEDGER_METRICS;
  const operations = createLedgerOperations(dependencies);
  const pipeline = createPipeline(operations, metrics);
  server.addService(
    guardedLedgerService(proto.ledger.v1.LedgerService.service),
    createLedgerHandlers(operations, pipeline, metrics),
  );
  // Not serving until the health monitor has seen the database answer.
  const health = new HealthImplementation({
    '': 'NOT_SERVING',
    [LEDGER_SERVICE_NAME]: 'NOT_SERVING',
  });
  health.addToServer(server);
  createReflectionService().addToServer(server);
  return { server, health, drainPipelines: () => pipeline.drain() };
}
