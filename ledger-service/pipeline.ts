// The Pipeline stream: many operations over one long-lived call, each with its own
// id, deadline and status, answered as each completes. It runs the very operations
// the unary RPCs run; only the envelope differs. A message on an open stream costs a
// fraction of a unary call's CPU in grpc-js, which is why the facades use it.
import * as grpc from '@grpc/grpc-js';
import type { PipelineRequest } from '../proto/generated/ledger/v1/PipelineRequest.js';
import type { PipelineResponse } from '../proto/generated/ledger/v1/PipelineResponse.js';
import type { CallScope } from './ledger.js';
import type { LedgerOperations, Reply } from './operations.js';

export const PIPELINE_TIMEOUT_MS_MAX = 60_000;
/** Operations in flight on one stream beyond which new ones are refused at once. */
export const PIPELINE_PENDING_MAX = 2048;

function failure(requestId: number, code: grpc.status, message: string): PipelineResponse {
  return { requestId, statusCode: code, statusMessage: message };
}

function toResponse<T>(
  requestId: number,
  reply: Reply<T>,
  field: 'postTransaction' | 'getStatement',
): PipelineResponse {
  if (!reply.ok) return failure(requestId, reply.code, reply.details);
  return {
    requestId,
    statusCode: grpc.status.OK,
    statusMessage: '',
    [field]: reply.value,
    result: field,
  };
}

export interface Pipeline {
  readonly handler: grpc.handleBidiStreamingCall<PipelineRequest, PipelineResponse>;
  /**
   * For a graceful shutdown: every open stream refuses new operations (UNAVAILABLE, so
   * the caller knows nothing was written), finishes the ones it has, then ends, which a
   * caller sees as a clean end of stream rather than a cut.
   */
  drain(): void;
}

export function createPipeline(operations: LedgerOperations): Pipeline {
  let draining = false;
  const drainers = new Set<() => void>();
  const handler: Pipeline['handler'] = (call) => {
    let open = true;
    let ended = false;
    let pending = 0;
    let paused = false;
    const finishIfDone = () => {
      if (ended && pending === 0 && open) call.end();
    };
    const send = (response: PipelineResponse) => {
      pending--;
      if (open && !call.write(response) && !paused) {
        paused = true;
        call.pause();
      }
      finishIfDone();
    };
    call.on('drain', () => {
      if (paused) {
        paused = false;
        call.resume();
      }
    });

    const drainThis = () => {
      ended = true;
      finishIfDone();
    };
    drainers.add(drainThis);

    call.on('data', (request: PipelineRequest) => {
      pending++;
      const id = request.requestId;
      if (draining) {
        send(
          failure(id, grpc.status.UNAVAILABLE, 'the ledger is shutting down; nothing was written'),
        );
        return;
      }
      const timeoutMs = request.timeoutMs;
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > PIPELINE_TIMEOUT_MS_MAX) {
        send(
          failure(
            id,
            grpc.status.INVALID_ARGUMENT,
            `timeout_ms: must be 1 to ${PIPELINE_TIMEOUT_MS_MAX}`,
          ),
        );
        return;
      }
      if (pending > PIPELINE_PENDING_MAX) {
        send(
          failure(
            id,
            grpc.status.RESOURCE_EXHAUSTED,
            'too many operations in flight on this stream',
          ),
        );
        return;
      }
      const deadlineMs = Date.now() + timeoutMs;
      const scope: CallScope = { deadlineMs, isCancelled: () => !open || Date.now() >= deadlineMs };
      if (request.operation === 'postTransaction' && request.postTransaction) {
        void operations
          .postTransaction(request.postTransaction, scope)
          .then((reply) => send(toResponse(id, reply, 'postTransaction')));
      } else if (request.operation === 'getStatement' && request.getStatement) {
        void operations
          .getStatement(request.getStatement, scope)
          .then((reply) => send(toResponse(id, reply, 'getStatement')));
      } else {
        send(
          failure(
            id,
            grpc.status.INVALID_ARGUMENT,
            'operation: one of post_transaction, get_statement is required',
          ),
        );
      }
    });
    call.on('end', drainThis);
    const close = () => {
      open = false;
      drainers.delete(drainThis);
    };
    call.on('cancelled', close);
    call.on('error', close);
    call.on('finish', close);
  };
  return {
    handler,
    drain() {
      draining = true;
      for (const drainThis of drainers) drainThis();
    },
  };
}
