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
import { type FacadeMetrics, UNMATCHED_ROUTE } from './metrics.js';
import { addOpenApi, addOpenApiRoute } from './openapi.js';
import { REQUEST_ID_HEADER, REQUEST_ID_LOG_FIELD, requestIdOf } from './request-id.js';
import { addRinhaRoutes } from './rinha-routes.js';

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';
/** The status counted for a request whose caller closed the connection before the answer. */
export const CLIENT_CLOSED_REQUEST_STATUS = 499;
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
  /** Absent when metrics are off: then nothing is recorded at all. */
  readonly metrics?: FacadeMetrics | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** performance.now() when the request was received, for the duration histogram. */
    metricsStartMs: number;
  }
}

function createFastify(config: FacadeConfig, logger: Logger): FastifyInstance {
  const timeoutCheckIntervalMs = Math.max(
    TIMEOUT_CHECK_INTERVAL_MIN_MS,
    Math.floor(config.requestTimeoutMs / TIMEOUT_CHECKS_PER_TIMEOUT),
  );
  return Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // No log line per request: at thousands per second they would cost more than the work.
    // Our own id (request-id.ts), logged as requestId by request.log on every line.
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: REQUEST_ID_LOG_FIELD,
    }),
    requestIdHeader: false,
    genReqId: requestIdOf,
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

/**
 * The request id goes back in every response; with metrics on, each request is also
 * counted and timed from here to onResponse (one clock read at each end).
 */
function addRequestTracking(app: FastifyInstance, metrics: FacadeMetrics | undefined): void {
  if (metrics === undefined) {
    app.addHook('onRequest', (request, reply, done) => {
      reply.header(REQUEST_ID_HEADER, request.id);
      done();
    });
    return;
  }
  app.decorateRequest('metricsStartMs', 0);
  app.addHook('onRequest', (request, reply, done) => {
    request.metricsStartMs = metrics.requestStarted();
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  const finish = (request: FastifyRequest, status: number) => {
    // Once only: a request the caller left may still see its response fail later.
    if (request.metricsStartMs < 0) return;
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    metrics.requestFinished(route, request.method, status, request.metricsStartMs);
    request.metricsStartMs = -1;
  };
  app.addHook('onResponse', (request, reply, done) => {
    finish(request, reply.statusCode);
    done();
  });
  // Left before its answer: never an onResponse, so counted here, as nginx's 499.
  app.addHook('onRequestAbort', (request, done) => {
    finish(request, CLIENT_CLOSED_REQUEST_STATUS);
    done();
  });
}

export function buildApp({ config, ledger, logger, metrics }: FacadeDependencies): FastifyInstance {
  const app = createFastify(config, logger);
  // First, so that even a refusal carries the request id and is counted.
  addRequestTracking(app, metrics);
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
