// The request id that follows one request through every hop: taken from the caller's
// `x-request-id` when it is a sane one (proto/rules.ts: 1 to 128 visible ASCII
// characters, since it goes into log lines and gRPC metadata as it is), made up
// otherwise. It is returned in the response, passed to the ledger, and named
// `requestId` in every log line about the request.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isValidRequestTag } from '../proto/rules.js';

export const REQUEST_ID_HEADER = 'x-request-id';
/** The log field that carries it, on both sides of the gRPC hop. */
export const REQUEST_ID_LOG_FIELD = 'requestId';

/** Fastify's genReqId: the caller's id when valid, a new UUID otherwise. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return isValidRequestTag(given) ? given : randomUUID();
}
