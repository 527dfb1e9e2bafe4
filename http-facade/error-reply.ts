// Writes the contract's error body, {"error": code, "message": text}, on a reply.
import type { FastifyReply } from 'fastify';
import { type HttpError, LEDGER_STATUS_TO_HTTP } from './http-errors.js';
import type { LedgerReply } from './ledger-client.js';

/**
 * A ledger failure answered 5xx is logged (with the request id, by reply.log) at most
 * this often per process: the ledger logs the cause under the same id, and during an
 * outage thousands a second would make the logs the next bottleneck.
 */
const LEDGER_FAILURE_LOG_INTERVAL_MS = 1000;
let ledgerFailureLoggedAtMs = Number.NEGATIVE_INFINITY;
let ledgerFailuresFolded = 0;

export function sendError(reply: FastifyReply, error: HttpError, message: string) {
  return reply.code(error.statusCode).send({ error: error.error, message });
}

export function sendLedgerFailure(
  reply: FastifyReply,
  failure: Extract<LedgerReply<unknown>, { ok: false }>,
) {
  const error = LEDGER_STATUS_TO_HTTP[failure.code];
  if (error.statusCode >= 500) {
    const nowMs = Date.now();
    if (nowMs - ledgerFailureLoggedAtMs >= LEDGER_FAILURE_LOG_INTERVAL_MS) {
      reply.log.warn(
        { code: failure.code, details: failure.details, foldedSinceLast: ledgerFailuresFolded },
        'ledger call failed',
      );
      ledgerFailureLoggedAtMs = nowMs;
      ledgerFailuresFolded = 0;
    } else {
      ledgerFailuresFolded++;
    }
  }
  return sendError(reply, error, failure.details);
}
