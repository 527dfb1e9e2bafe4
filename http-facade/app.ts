// Builds the facade's Fastify app without listening, so tests build the real thing:
// the two Rinha routes translated into ledger gRPC calls (rinha-routes.ts), health
// endpoints for the load balancer, the OpenAPI document at /openapi.json, and every
// refusal answered with a JSON error from one table.
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from '../common/logger.js';
import { answerClientError, refuseConnect } from './client-errors.js';
import type { FacadeConfig } from './config.js';
import { inConnectionOrder } from './connection-order.js';
import { sendError } from './error-reply.js';
import { FASTIFY_CODE_TO_HTTP, HTTP_ERRORS } from './http-errors.js';
import { parseJsonStrictly, refuseUnreadableRequest } from './json-body.js';
import type { LedgerClient } from './ledger-client.js';
import { addOpenApi, addOpenApiRoute } from './openapi.js';
import { addRinhaRoutes } from './rinha-routes.js';

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

export function buildApp({ config, ledger, logger }: FacadeDependencies): FastifyInstance {
  const app = createFastify(config, logger);
  addRefusals(app, config);
  addOpenApi(app);
  // Registered after the generator, so that its onRoute hook sees these routes.
  void app.register((scope, _options, done) => {
    addRinhaRoutes(scope, config, ledger);
    addOpenApiRoute(scope);
    done();
  });

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
