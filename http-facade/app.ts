// Builds the facade's Fastify app without listening, so tests build the real thing:
// the two Rinha routes translated into ledger gRPC calls, health endpoints for the
// load balancer, and every refusal answered with a JSON error from one table.
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from '../common/logger.js';
import { describeInvalidDescription } from '../proto/rules.js';
import { answerClientError, refuseConnect } from './client-errors.js';
import type { FacadeConfig } from './config.js';
import { inConnectionOrder } from './connection-order.js';
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
import { parseJsonStrictly, refuseUnreadableRequest } from './json-body.js';
import type { LedgerClient, LedgerReply } from './ledger-client.js';

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';
const READY_CHECK_TIMEOUT_MS = 500;
/**
 * How often Node looks for requests past their timeout, as a fraction of it: Node's
 * default (every 30 s) let a header slowloris hold a connection 9-31 s against 5 s.
 */
const TIMEOUT_CHECKS_PER_TIMEOUT = 5;
const TIMEOUT_CHECK_INTERVAL_MIN_MS = 50;

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

function createFastify(config: FacadeConfig, logger: Logger): FastifyInstance {
  const timeoutCheckIntervalMs = Math.max(
    TIMEOUT_CHECK_INTERVAL_MIN_MS,
    Math.floor(config.requestTimeoutMs / TIMEOUT_CHECKS_PER_TIMEOUT),
  );
  return Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // No log line per request: at thousands per second they would cost more than the work.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    // The whole request (headers and body) must arrive within the request timeout.
    http: {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: timeoutCheckIntervalMs,
      // Checked in a hook instead, to answer with the contract's JSON (Node's is empty).
      requireHostHeader: false,
    },
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs * 2,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
    frameworkErrors: (error, _request, reply) => sendFastifyError(reply, error),
    // Strict input: no type coercion ("100" stays a string and fails), nothing removed.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
}

function sendFastifyError(reply: FastifyReply, error: FastifyError, request?: FastifyRequest) {
  if (error.validation) {
    return sendError(reply, HTTP_ERRORS.invalidTransaction, error.message);
  }
  const known = FASTIFY_CODE_TO_HTTP[error.code];
  if (known) return sendError(reply, known, error.message);
  const statusCode = error.statusCode ?? 500;
  if (statusCode >= 400 && statusCode < 500) {
    return sendError(reply, { ...HTTP_ERRORS.badRequest, statusCode }, error.message);
  }
  request?.log.error({ err: error }, 'unexpected failure');
  return sendError(reply, HTTP_ERRORS.internal, 'internal error');
}

/** Every refusal before a route's handler answers with the contract's JSON error. */
function addRefusals(app: FastifyInstance, config: FacadeConfig): void {
  // Only JSON bodies are accepted; text/plain would otherwise be parsed too.
  app.removeContentTypeParser('text/plain');
  parseJsonStrictly(app, config.bodyLimitBytes);
  refuseConnect(app.server);
  // First: a later request on a connection waits here for the earlier ones.
  app.addHook('onRequest', inConnectionOrder);
  app.addHook('onRequest', refuseUnreadableRequest(sendError));
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, HTTP_ERRORS.routeNotFound, `no route for ${request.method} ${request.url}`),
  );
  app.setErrorHandler((error: FastifyError, request, reply) =>
    sendFastifyError(reply, error, request),
  );
}

// A path id that cannot name a client is a 404 before the body is even read.
function clientIdHook(request: FastifyRequest, reply: FastifyReply, done: () => void) {
  const { id } = request.params as { id: string };
  if (parseClientId(id) === null) {
    sendError(reply, HTTP_ERRORS.clientNotFound, `client ${JSON.stringify(id)} not found`);
  } else {
    done();
  }
}

function addRinhaRoutes(app: FastifyInstance, config: FacadeConfig, ledger: LedgerClient): void {
  app.post<{ Params: { id: string }; Body: TransacaoBody }>(
    '/clientes/:id/transacoes',
    {
      onRequest: clientIdHook,
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
      onRequest: clientIdHook,
      schema: { response: { 200: EXTRATO_RESPONSE_SCHEMA, ...errorResponses } },
    },
    async (request, reply) => {
      const clientId = parseClientId(request.params.id) as number;
      const result = await ledger.getStatement(clientId, config.ledgerTimeoutMs);
      if (!result.ok) return sendLedgerFailure(reply, result);
      return reply.code(200).send(toExtratoResponse(result.value));
    },
  );
}

export function buildApp({ config, ledger, logger }: FacadeDependencies): FastifyInstance {
  const app = createFastify(config, logger);
  addRefusals(app, config);
  addRinhaRoutes(app, config, ledger);

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
