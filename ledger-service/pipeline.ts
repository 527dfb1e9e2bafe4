// The Pipeline stream: many operations over one long-lived call, each with its own
// id, deadline and status, answered as each completes. It runs the very operations
// the unary RPCs run; only the envelope differs. A message on an open stream costs a
// fraction of a unary call's CPU in grpc-js, which is why the facades use it.
//
// What one stream may hold is bounded both ways: operations in flight (refused beyond
// PIPELINE_OPERATIONS_IN_FLIGHT_MAX), and answers not yet sent: when the caller stops
// reading, grpc-js queues our writes without limit, so the stream stops reading
// requests as soon as a write reports a backlog and resumes on 'drain'. Requests then
// wait in HTTP/2 flow control on the caller's side, and the answers held here are at
// most those of the operations already in flight.
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import type { GetStatementRequest } from '../proto/generated/ledger/v1/GetStatementRequest.js';
import type { PipelineResponseInput } from '../proto/generated/ledger/v1/PipelineResponse.js';
import type { PostTransactionRequest } from '../proto/generated/ledger/v1/PostTransactionRequest.js';
import {
  type Decoded,
  MalformedRequest,
  type PipelineEnvelope,
  type RequestId,
} from '../proto/request-decoding.js';
import type { CallScope } from './deadlines.js';
import type { GrpcMethod, LedgerMetrics } from './metrics.js';
import type { LedgerOperations, Reply } from './operations.js';

export const PIPELINE_TIMEOUT_MAX_MS = 60_000;
/**
 * Operations in flight on one stream beyond which new ones are refused at once with
 * RESOURCE_EXHAUSTED. Twice the facade's PIPELINE_OPERATIONS_AWAITED_MAX
 * (http-facade/ledger-pipeline.ts): a facade refuses beyond its own bound first, and
 * operations it stopped awaiting (its timer answered DEADLINE_EXCEEDED) may still be
 * in flight here, so this bound never refuses a facade's work; it limits other callers.
 */
export const PIPELINE_OPERATIONS_IN_FLIGHT_MAX = 2048;

type PipelineCall = grpc.ServerDuplexStream<Decoded<PipelineEnvelope>, PipelineResponseInput>;

const METHODS: Readonly<Record<string, GrpcMethod>> = {
  postTransaction: 'PostTransaction',
  getStatement: 'GetStatement',
};

function failure(requestId: RequestId, code: grpc.status, message: string): PipelineResponseInput {
  return { requestId, statusCode: code, statusMessage: message };
}

function toResponse<T>(
  requestId: RequestId,
  reply: Reply<T>,
  field: 'postTransaction' | 'getStatement',
): PipelineResponseInput {
  if (!reply.ok) {
    const refused = failure(requestId, reply.code, reply.details);
    return reply.replayed === true ? { ...refused, replayed: true } : refused;
  }
  return { requestId, statusCode: grpc.status.OK, statusMessage: '', [field]: reply.value };
}

/** Why an operation is answered before it runs, or null when it may run. */
function refusal(
  envelope: PipelineEnvelope,
  inFlight: number,
  draining: boolean,
): PipelineResponseInput | null {
  const id = envelope.requestId;
  if (draining) {
    return failure(id, grpc.status.UNAVAILABLE, 'the ledger is shutting down; nothing was written');
  }
  const timeoutMs = envelope.timeoutMs;
  if (timeoutMs < 1 || timeoutMs > PIPELINE_TIMEOUT_MAX_MS) {
    const details = `timeout_ms: must be 1 to ${PIPELINE_TIMEOUT_MAX_MS}`;
    return failure(id, grpc.status.INVALID_ARGUMENT, details);
  }
  if (inFlight > PIPELINE_OPERATIONS_IN_FLIGHT_MAX) {
    const details = 'too many operations in flight on this stream';
    return failure(id, grpc.status.RESOURCE_EXHAUSTED, details);
  }
  const request = envelope.operation === undefined ? undefined : envelope[envelope.operation];
  if (request === undefined) {
    const details = 'operation: one of post_transaction, get_statement is required';
    return failure(id, grpc.status.INVALID_ARGUMENT, details);
  }
  if (request instanceof MalformedRequest) {
    return failure(id, grpc.status.INVALID_ARGUMENT, request.details);
  }
  return null;
}

/** One open Pipeline call: its operations in flight, its backlog, how it ends. */
class PipelineStream {
  /** Until the call finishes or is cancelled: nothing is written after. */
  private open = true;
  /** Once the caller or a shutdown ended the stream: it ends when nothing is in flight. */
  private ended = false;
  private endCalled = false;
  private inFlight = 0;
  private paused = false;
  /** The status the stream ends with once its operations are answered; OK unless set. */
  private endStatus: Partial<grpc.StatusObject> | undefined;

  constructor(
    private readonly call: PipelineCall,
    private readonly operations: LedgerOperations,
    private readonly isDraining: () => boolean,
    private readonly metrics: LedgerMetrics,
    onClose: () => void,
  ) {
    call.on('data', (message: Decoded<PipelineEnvelope>) => this.receive(message));
    call.on('drain', () => this.resumeReading());
    call.on('end', () => this.finish());
    const close = () => {
      this.open = false;
      onClose();
    };
    call.on('cancelled', close);
    call.on('error', close);
    call.on('finish', close);
  }

  /** Takes no new operation, answers those in flight, then ends. */
  finish(): void {
    this.ended = true;
    this.endIfDone();
  }

  private receive(message: Decoded<PipelineEnvelope>): void {
    if (this.endStatus !== undefined) return; // the stream is refused (below)
    if (message instanceof MalformedRequest) {
      // Without an id nothing can be answered by id: the stream itself is refused.
      this.endStatus = { code: grpc.status.INVALID_ARGUMENT, details: message.details };
      this.call.pause();
      this.finish();
      return;
    }
    this.inFlight++;
    const startMs = performance.now();
    const method = METHODS[message.operation ?? ''] ?? 'unknown';
    const refused = refusal(message, this.inFlight, this.isDraining());
    if (refused !== null) this.send(refused, method, startMs);
    else this.run(message, method, startMs);
  }

  private run(envelope: PipelineEnvelope, method: GrpcMethod, startMs: number): void {
    const id = envelope.requestId;
    const deadlineMs = Date.now() + envelope.timeoutMs;
    const scope: CallScope = {
      deadlineMs,
      isCancelled: () => !this.open || Date.now() >= deadlineMs,
      requestId: envelope.requestTag,
    };
    if (envelope.operation === 'postTransaction') {
      void this.operations
        .postTransaction(envelope.postTransaction as PostTransactionRequest, scope)
        .then((reply) => this.send(toResponse(id, reply, 'postTransaction'), method, startMs));
    } else {
      void this.operations
        .getStatement(envelope.getStatement as GetStatementRequest, scope)
        .then((reply) => this.send(toResponse(id, reply, 'getStatement'), method, startMs));
    }
  }

  private send(response: PipelineResponseInput, method: GrpcMethod, startMs: number): void {
    this.metrics.operationFinished(method, 'pipeline', response.statusCode ?? 0, startMs);
    this.inFlight--;
    if (this.open && !this.endCalled && !this.call.write(response) && !this.paused) {
      this.paused = true;
      this.call.pause();
    }
    this.endIfDone();
  }

  private resumeReading(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.endStatus === undefined) this.call.resume();
  }

  private endIfDone(): void {
    if (!this.ended || this.inFlight > 0 || !this.open || this.endCalled) return;
    this.endCalled = true;
    // grpc-js ends a server stream with the status of an 'error' event, OK on end().
    if (this.endStatus === undefined) this.call.end();
    else this.call.emit('error', this.endStatus);
  }
}

export interface Pipeline {
  readonly handler: grpc.handleBidiStreamingCall<Decoded<PipelineEnvelope>, PipelineResponseInput>;
  /**
   * For a graceful shutdown: every open stream refuses new operations (UNAVAILABLE, so
   * the caller knows nothing was written), finishes the ones it has, then ends, which a
   * caller sees as a clean end of stream rather than a cut.
   */
  drain(): void;
}

export function createPipeline(operations: LedgerOperations, metrics: LedgerMetrics): Pipeline {
  let draining = false;
  const streams = new Set<PipelineStream>();
  return {
    handler(call) {
      const stream: PipelineStream = new PipelineStream(
        call,
        operations,
        () => draining,
        metrics,
        () => streams.delete(stream),
      );
      streams.add(stream);
    },
    drain() {
      draining = true;
      for (const stream of streams) stream.finish();
    },
  };
}
