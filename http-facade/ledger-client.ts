// The facade's one long-lived gRPC channel to the ledger, with promise-returning
// calls that always carry a deadline and resolve to a value or a status (never
// reject), so routes switch on the outcome. Operations travel over the Pipeline
// stream by default (a fraction of a unary call's CPU), or as unary calls.
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import type { GetStatementResponse } from '../proto/generated/ledger/v1/GetStatementResponse.js';
import type { LedgerServiceClient } from '../proto/generated/ledger/v1/LedgerService.js';
import type { PostTransactionRequestInput } from '../proto/generated/ledger/v1/PostTransactionRequest.js';
import type { PostTransactionResponse } from '../proto/generated/ledger/v1/PostTransactionResponse.js';
import type { ProtoGrpcType } from '../proto/generated/ledger.js';
import { loadLedgerPackageDefinition } from '../proto/loader.js';
import { LedgerPipeline } from './ledger-pipeline.js';

/** The canonical gRPC status codes, for modules that map them without importing grpc-js. */
export const LedgerStatus = grpc.status;
export type LedgerStatus = grpc.status;

/**
 * A call's outcome. A failure marked `replayed` is the recorded refusal of an earlier
 * posting with the same idempotency key (an OK replay says so in its value).
 */
export type LedgerReply<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly code: grpc.status;
      readonly details: string;
      readonly replayed?: boolean;
    };

/** The unary PostTransaction's trailer marking a replayed refusal (ledger.proto). */
const REPLAYED_TRAILER = 'idempotency-replayed';
/** The request id on a unary call (ledger.proto); on the stream, PipelineRequest.request_tag. */
export const REQUEST_ID_METADATA = 'x-request-id';

export interface LedgerClient {
  /** `requestId` (the HTTP request's id) goes with the operation, for the ledger's logs. */
  postTransaction(
    request: PostTransactionRequestInput,
    timeoutMs: number,
    requestId?: string,
  ): Promise<LedgerReply<PostTransactionResponse>>;
  getStatement(
    clientId: number,
    timeoutMs: number,
    requestId?: string,
  ): Promise<LedgerReply<GetStatementResponse>>;
  /** True when the ledger reports SERVING through the standard health service. */
  isServing(timeoutMs: number): Promise<boolean>;
  close(): void;
}

const KEEPALIVE_TIME_MS = 10_000;
const KEEPALIVE_TIMEOUT_MS = 5_000;
// Reconnect quickly after a ledger restart instead of grpc-js's default 1 s..120 s backoff.
const RECONNECT_BACKOFF_INITIAL_MS = 100;
const RECONNECT_BACKOFF_MAX_MS = 1_000;

export const LEDGER_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
  'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': RECONNECT_BACKOFF_INITIAL_MS,
  'grpc.max_reconnect_backoff_ms': RECONNECT_BACKOFF_MAX_MS,
  'grpc.max_receive_message_length': 64 * 1024,
};

interface HealthCheckClient extends grpc.Client {
  check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: grpc.requestCallback<{ status: string }>,
  ): grpc.ClientUnaryCall;
}

function settle<T>(resolve: (reply: LedgerReply<T>) => void) {
  return (error: grpc.ServiceError | null, value?: T) => {
    if (error === null) {
      resolve({ ok: true, value: value as T });
    } else if (error.metadata?.get(REPLAYED_TRAILER)[0] === 'true') {
      resolve({ ok: false, code: error.code, details: error.details, replayed: true });
    } else {
      resolve({ ok: false, code: error.code, details: error.details });
    }
  };
}

export type LedgerTransport = 'pipeline' | 'unary';

/** A unary call's options: its deadline, and the request id as `x-request-id` metadata. */
function callOptions(timeoutMs: number, requestId: string | undefined) {
  const deadline = Date.now() + timeoutMs;
  if (requestId === undefined) return { deadline };
  const metadata = new grpc.Metadata();
  metadata.set(REQUEST_ID_METADATA, requestId);
  return { deadline, metadata };
}

export function createLedgerClient(
  address: string,
  transport: LedgerTransport = 'pipeline',
): LedgerClient {
  const proto = grpc.loadPackageDefinition(
    loadLedgerPackageDefinition(),
  ) as unknown as ProtoGrpcType;
  const client: LedgerServiceClient = new proto.ledger.v1.LedgerService(
    address,
    grpc.credentials.createInsecure(),
    LEDGER_CHANNEL_OPTIONS,
  );
  // The health client shares the ledger client's channel: one connection per process.
  const HealthClient = grpc.makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
  const health = new HealthClient(address, grpc.credentials.createInsecure(), {
    channelOverride: client.getChannel(),
  }) as unknown as HealthCheckClient;

  const isServing = (timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      health.check({ service: '' }, { deadline: Date.now() + timeoutMs }, (error, reply) => {
        resolve(error === null && reply?.status === 'SERVING');
      });
    });

  // Connect now rather than on the first request.
  client.getChannel().getConnectivityState(true);
  if (transport === 'pipeline') {
    const pipeline = new LedgerPipeline(client);
    return {
      postTransaction: (request, timeoutMs, requestId) =>
        pipeline.call('postTransaction', request, timeoutMs, requestId),
      getStatement: (clientId, timeoutMs, requestId) =>
        pipeline.call('getStatement', { clientId }, timeoutMs, requestId),
      isServing,
      close: () => {
        pipeline.close();
        client.close();
      },
    };
  }
  return {
    postTransaction: (request, timeoutMs, requestId) =>
      new Promise((resolve) => {
        const options = callOptions(timeoutMs, requestId);
        if (options.metadata === undefined)
          client.PostTransaction(request, options, settle(resolve));
        else client.PostTransaction(request, options.metadata, options, settle(resolve));
      }),
    getStatement: (clientId, timeoutMs, requestId) =>
      new Promise((resolve) => {
        const options = callOptions(timeoutMs, requestId);
        if (options.metadata === undefined)
          client.GetStatement({ clientId }, options, settle(resolve));
        else client.GetStatement({ clientId }, options.metadata, options, settle(resolve));
      }),
    isServing,
    close: () => client.close(),
  };
}
