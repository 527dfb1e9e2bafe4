// The two Rinha routes, translated into ledger calls. A posting that carries an
// Idempotency-Key takes a path of its own (the key checked, passed to the ledger,
// resent on UNAVAILABLE, replays marked in a header); one without a key takes exactly
// the path it always took, at no extra cost but one header lookup.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeInvalidDescription } from '../proto/rules.js';
import type { FacadeConfig } from './config.js';
import {
  EXTRATO_RESPONSE_SCHEMA,
  parseClientId,
  TRANSACAO_BODY_SCHEMA,
  TRANSACAO_RESPONSE_SCHEMA,
  type TransacaoBody,
  toExtratoResponse,
  toPostTransactionRequest,
  toTransacaoResponse,
} from './contract.js';
import { sendError, sendLedgerFailure } from './error-reply.js';
import { errorResponseSchemas, POSTING_ONLY_ERRORS } from './error-responses.js';
import { HTTP_ERRORS } from './http-errors.js';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_REPLAYED_HEADER,
  parseIdempotencyKey,
  TRANSACTION_ID_HEADER,
} from './idempotency-key.js';
import { postKeyedTransaction } from './keyed-posting.js';
import type { LedgerClient } from './ledger-client.js';

export const TRANSACOES_PATH = '/clientes/:id/transacoes';
export const EXTRATO_PATH = '/clientes/:id/extrato';

type PostingRequest = FastifyRequest<{ Params: { id: string }; Body: TransacaoBody }>;

// A path id that cannot name a client is a 404 before the body is even read.
function clientIdHook(request: FastifyRequest, reply: FastifyReply, done: () => void) {
  const { id } = request.params as { id: string };
  if (parseClientId(id) === null) {
    sendError(reply, HTTP_ERRORS.clientNotFound, `client ${JSON.stringify(id)} not found`);
  } else {
    done();
  }
}

async function postKeyed(
  request: PostingRequest,
  reply: FastifyReply,
  header: string | string[],
  config: FacadeConfig,
  ledger: LedgerClient,
) {
  const parsed = parseIdempotencyKey(header);
  if (!parsed.ok) return sendError(reply, HTTP_ERRORS.invalidIdempotencyKey, parsed.message);
  const descriptionProblem = describeInvalidDescription(request.body.descricao);
  if (descriptionProblem !== null) {
    return sendError(reply, HTTP_ERRORS.invalidTransaction, `descricao ${descriptionProblem}`);
  }
  const clientId = parseClientId(request.params.id) as number;
  const result = await postKeyedTransaction(
    ledger,
    { ...toPostTransactionRequest(clientId, request.body), idempotencyKey: parsed.key },
    config.ledgerTimeoutMs,
    request.id,
  );
  if (!result.ok) {
    if (result.replayed === true) reply.header(IDEMPOTENCY_REPLAYED_HEADER, 'true');
    return sendLedgerFailure(reply, result);
  }
  if (result.value.replayed) reply.header(IDEMPOTENCY_REPLAYED_HEADER, 'true');
  reply.header(TRANSACTION_ID_HEADER, String(result.value.transactionId));
  return reply.code(200).send(toTransacaoResponse(result.value));
}

function addPostingRoute(app: FastifyInstance, config: FacadeConfig, ledger: LedgerClient) {
  app.post<{ Params: { id: string }; Body: TransacaoBody }>(
    TRANSACOES_PATH,
    {
      onRequest: clientIdHook,
      schema: {
        body: TRANSACAO_BODY_SCHEMA,
        response: { 200: TRANSACAO_RESPONSE_SCHEMA, ...errorResponseSchemas() },
      },
    },
    async (request, reply) => {
      const keyHeader = request.headers[IDEMPOTENCY_KEY_HEADER];
      if (keyHeader !== undefined) return postKeyed(request, reply, keyHeader, config, ledger);
      const clientId = parseClientId(request.params.id) as number;
      const descriptionProblem = describeInvalidDescription(request.body.descricao);
      if (descriptionProblem !== null) {
        return sendError(reply, HTTP_ERRORS.invalidTransaction, `descricao ${descriptionProblem}`);
      }
      const result = await ledger.postTransaction(
        toPostTransactionRequest(clientId, request.body),
        config.ledgerTimeoutMs,
        request.id,
      );
      if (!result.ok) return sendLedgerFailure(reply, result);
      return reply.code(200).send(toTransacaoResponse(result.value));
    },
  );
}

export function addRinhaRoutes(app: FastifyInstance, config: FacadeConfig, ledger: LedgerClient) {
  addPostingRoute(app, config, ledger);
  app.get<{ Params: { id: string } }>(
    EXTRATO_PATH,
    {
      onRequest: clientIdHook,
      schema: {
        response: {
          200: EXTRATO_RESPONSE_SCHEMA,
          ...errorResponseSchemas(POSTING_ONLY_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const clientId = parseClientId(request.params.id) as number;
      const result = await ledger.getStatement(clientId, config.ledgerTimeoutMs, request.id);
      if (!result.ok) return sendLedgerFailure(reply, result);
      return reply.code(200).send(toExtratoResponse(result.value));
    },
  );
}
