// The client side of the ledger's Pipeline stream: operations multiplexed over one
// long-lived bidirectional call, each with its own id, deadline timer and status.
// Deadlines stay honest per operation: the ledger gets each timeout and refuses work
// past it, and the caller is answered DEADLINE_EXCEEDED by its own timer in any case.
// If the stream breaks, every pending operation is answered UNAVAILABLE (its outcome
// is unknown, as for a unary call cut off in flight) and the next one opens a new stream.
import * as grpc from '@grpc/grpc-js';
import type { LedgerServiceClient } from '../proto/generated/ledger/v1/LedgerService.js';
import type { PipelineRequestInput } from '../proto/generated/ledger/v1/PipelineRequest.js';
import type { PipelineResponse } from '../proto/generated/ledger/v1/PipelineResponse.js';

/**
 * Operations this process awaits on its stream beyond which new ones fail at once
 * (RESOURCE_EXHAUSTED, a fast 503). Half the ledger's per-stream
 * PIPELINE_OPERATIONS_IN_FLIGHT_MAX (ledger-service/pipeline.ts): operations this side
 * stopped awaiting (answered DEADLINE_EXCEEDED by its timer) may still be in flight
 * there, and the ledger's bound must never be the one that refuses a facade's work.
 */
export const PIPELINE_OPERATIONS_AWAITED_MAX = 1024;

export type PipelineReply<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly code: grpc.status;
      readonly details: string;
      /** The recorded refusal of an earlier posting with the same idempotency key. */
      readonly replayed?: boolean;
    };

type Operation = 'postTransaction' | 'getStatement';

interface Pending {
  readonly operation: Operation;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (reply: PipelineReply<unknown>) => void;
}

type PipelineStream = grpc.ClientDuplexStream<PipelineRequestInput, PipelineResponse>;

export class LedgerPipeline {
  private stream: PipelineStream | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextRequestId = 1;
  private closed = false;

  constructor(private readonly client: LedgerServiceClient) {}

  call<T>(
    operation: Operation,
    request: object,
    timeoutMs: number,
    requestTag?: string,
  ): Promise<PipelineReply<T>> {
    if (this.closed) {
      return Promise.resolve({
        ok: false,
        code: grpc.status.UNAVAILABLE,
        details: 'ledger client closed',
      });
    }
    if (this.pending.size >= PIPELINE_OPERATIONS_AWAITED_MAX) {
      return Promise.resolve({
        ok: false,
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: `more than ${PIPELINE_OPERATIONS_AWAITED_MAX} operations waiting on the ledger`,
      });
    }
    const stream = this.stream ?? this.open();
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(requestId)) {
          resolve({
            ok: false,
            code: grpc.status.DEADLINE_EXCEEDED,
            details: `the ledger did not answer within ${timeoutMs} ms`,
          });
        }
      }, timeoutMs);
      this.pending.set(requestId, { operation, timer, resolve: resolve as Pending['resolve'] });
      stream.write({ requestId, timeoutMs, requestTag: requestTag ?? '', [operation]: request });
    });
  }

  close(): void {
    this.closed = true;
    this.stream?.end();
  }

  private open(): PipelineStream {
    const stream = this.client.Pipeline();
    this.stream = stream;
    stream.on('data', (response: PipelineResponse) => this.settle(response));
    stream.on('error', (error: grpc.ServiceError) =>
      this.failAll(
        stream,
        grpc.status.UNAVAILABLE,
        `ledger stream failed: ${error.details || error.message}`,
      ),
    );
    stream.on('end', () => this.failAll(stream, grpc.status.UNAVAILABLE, 'ledger stream ended'));
    return stream;
  }

  private settle(response: PipelineResponse): void {
    const pending = this.pending.get(response.requestId);
    if (pending === undefined) return; // answered too late: its caller was told DEADLINE_EXCEEDED
    this.pending.delete(response.requestId);
    clearTimeout(pending.timer);
    if (response.statusCode === grpc.status.OK && response.result === pending.operation) {
      pending.resolve({ ok: true, value: response[pending.operation] });
    } else if (response.statusCode === grpc.status.OK) {
      pending.resolve({
        ok: false,
        code: grpc.status.INTERNAL,
        details: 'ledger answered with the wrong result',
      });
    } else if (response.replayed) {
      pending.resolve({
        ok: false,
        code: response.statusCode,
        details: response.statusMessage,
        replayed: true,
      });
    } else {
      pending.resolve({ ok: false, code: response.statusCode, details: response.statusMessage });
    }
  }

  private failAll(stream: PipelineStream, code: grpc.status, details: string): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.resolve({ ok: false, code, details });
    }
    this.pending.clear();
  }
}
