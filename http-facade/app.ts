// Builds the facade's Fastify app without listening, so tests build the real thing:
// the two Rinha routes translated into ledger gRPC calls, health endpoints for the
// load balancer, and every refusal answered with a JSON error from one table.
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from 'fastify';
import type { Logger } from '../common/logger.js';
import { describeInvalidDescription } from '../proto/rules.js';
import type { FacadeConfig } from './config.js';
import {
  ERROR_RESPONSE_SCHEMA,
  EXTRATO_RESPONSE_SCHEMA,
  parseClientId,
  TRANSACAO_BODY_SCHEMA,
  TRANSACAO_RESPONSE_SCHEMA,
  type TransacaoBody,
  toExtratoResponse,
  toPostTransactionRequest,
  toTransacaoResponse,
} from './contract.js';
import {
  FASTIFY_CODE_TO_HTTP,
  HTTP_ERRORS,
  type HttpError,
  LEDGER_STATUS_TO_HTTP,
} from './http-errors.js';
import type { LedgerClient, LedgerReply } from './ledger-client.js';

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';
const READY_CHECK_TIMEOUT_MS = 500;

export interface FacadeDependencies {
  readonly config: FacadeConfig;
  readonly ledger: LedgerClient;
  readonly logger: Logger;
}

function sendError(reply: FastifyReply, error: HttpError, message: string) {
  return reply.code(error.statusCode).send({ error: error.error, message });
}

function sendLedgerFailure(
  reply: FastifyReply,
  failure: Extract<LedgerReply<unknown>, { ok: false }>,
) {
  return sendError(reply, LEDGER_STATUS_TO_HTTP[failure.code], failure.details);
}

const errorResponses = {
  '4xx': ERROR_RESPONSE_SCHEMA,
  '5xx': ERROR_RESPONSE_SCHEMA,
};

export function buildApp({ config, ledger, logger }: FacadeDependencies): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // No log line per request: at thousands per second they would cost more than the work.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs * 2,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    return503OnClosing: true,
    // Strict input: no type coercion ("100" stays a string and fails), nothing removed.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  // Only JSON bodies are accepted; text/plain would otherwise be parsed too.
  app.removeContentTypeParser('text/plain');

  // Node's requestTimeout does not cut a body that keeps trickling in (on Node 20 such a
  // sender held a connection ~70 s against a 1 s timeout): cap the body's arrival here.
  app.addHook('onRequest', async (request, reply) => {
    if (request.raw.complete) return;
    const timer = setTimeout(() => request.raw.destroy(), config.requestTimeoutMs);
    const clear = () => clearTimeout(timer);
    request.raw.once('end', clear);
    request.raw.once('close', clear);
    // Answered before the body was read (413, 415): the connection must not be cut later.
    reply.raw.once('finish', clear);
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, HTTP_ERRORS.routeNotFound, `no route for ${request.method} ${request.url}`),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return sendError(reply, HTTP_ERRORS.invalidTransaction, error.message);
    }
    const known = FASTIFY_CODE_TO_HTTP[error.code];
    if (known) return sendError(reply, known, error.message);
    const statusCode = error.statusCode ?? 500;
    if (statusCode >= 400 && statusCode < 500) {
      return sendError(
        reply,
        { statusCode, error: statusCode === 400 ? 'invalid_json' : 'bad_request' },
        error.message,
      );
    }
    request.log.error({ err: error }, 'unexpected failure');
    return sendError(reply, HTTP_ERRORS.internal, 'internal error');
  });

  // A path id that cannot name a client is a 404 before the body is even looked at.
  const clientIdHook = async (request: { params: unknown }, reply: FastifyReply) => {
    const { id } = request.params as { id: string };
    if (parseClientId(id) === null) {
      return sendError(reply, HTTP_ERRORS.clientNotFound, `client ${JSON.stringify(id)} not found`);
    }
  };

  app.post<{ Params: { id: string }; Body: TransacaoBody }>(
    '/clientes/:id/transacoes',
    {
      preValidation: clientIdHook,
      schema: {
        body: TRANSACAO_BODY_SCHEMA,
        response: { 200: TRANSACAO_RESPONSE_SCHEMA, ...errorResponses },
      },
    },
    async (request, reply) => {
      const clientId = parseClientId(request.params.id) as number;
      const descriptionProblem = describeInvalidDescription(request.body.descricao);
      if (descriptionProblem !== null) {
        return sendError(reply, HTTP_ERRORS.invalidTransaction, `descricao ${descriptionProblem}`);
      }
      const result = await ledger.postTransaction(
        toPostTransactionRequest(clientId, request.body),
        config.ledgerTimeoutMs,
      );
      if (!result.ok) return sendLedgerFailure(reply, result);
      return reply.code(200).send(toTransacaoResponse(result.value));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/clientes/:id/extrato',
    {
      preValidation: clientIdHook,
      schema: { response: { 200: EXTRATO_RESPONSE_SCHEMA, ...errorResponses } },
    },
    async (request, reply) => {
      const clientId = parseClientId(request.params.id) as number;
      const result = await ledger.getStatement(clientId, config.ledgerTimeoutMs);
      if (!result.ok) return sendLedgerFailure(reply, result);
      return reply.code(200).send(toExtratoResponse(result.value));
    },
  );

  // The pid tells which process answered: round robin is visible from outside.
  app.get(HEALTH_PATH, async () => ({ status: 'ok', pid: process.pid }));

  app.get(READY_PATH, async (_request, reply) => {
    const serving = await ledger.isServing(READY_CHECK_TIMEOUT_MS);
    return reply
      .code(serving ? 200 : 503)
      .send({ status: serving ? 'ready' : 'ledger not serving' });
  });

  return app;
}
