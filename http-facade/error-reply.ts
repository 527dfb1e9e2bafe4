// Writes the contract's error body, {"error": code, "message": text}, on a reply.
import type { FastifyReply } from 'fastify';
import { type HttpError, LEDGER_STATUS_TO_HTTP } from './http-errors.js';
import type { LedgerReply } from './ledger-client.js';

export function sendError(reply: FastifyReply, error: HttpError, message: string) {
  return reply.code(error.statusCode).send({ error: error.error, message });
}

export function sendLedgerFailure(
  reply: FastifyReply,
  failure: Extract<LedgerReply<unknown>, { ok: false }>,
) {
  return sendError(reply, LEDGER_STATUS_TO_HTTP[failure.code], failure.details);
}
