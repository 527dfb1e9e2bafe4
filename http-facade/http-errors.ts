// Every error the facade answers, in one table: the ledger's gRPC statuses and the
// HTTP layer's own refusals, each with its HTTP status and a stable error code. The
// body is always {"error": code, "message": text}, whichever layer writes it.
import { STATUS_CODES } from 'node:http';
import { LedgerStatus } from './ledger-client.js';

export interface HttpError {
  readonly statusCode: number;
  readonly error: string;
}

const unavailable: HttpError = { statusCode: 503, error: 'ledger_unavailable' };
const badGateway: HttpError = { statusCode: 502, error: 'ledger_failed' };

export const LEDGER_STATUS_TO_HTTP: Readonly<Record<LedgerStatus, HttpError>> = {
  [LedgerStatus.OK]: badGateway, // never an error; here so the table is total
  [LedgerStatus.INVALID_ARGUMENT]: { statusCode: 422, error: 'invalid_transaction' },
  [LedgerStatus.NOT_FOUND]: { statusCode: 404, error: 'client_not_found' },
  [LedgerStatus.FAILED_PRECONDITION]: { statusCode: 422, error: 'limit_exceeded' },
  // A credit that would take the balance beyond 2^53-1: refused, nothing written.
  [LedgerStatus.OUT_OF_RANGE]: { statusCode: 422, error: 'balance_overflow' },
  [LedgerStatus.UNAVAILABLE]: unavailable,
  [LedgerStatus.CANCELLED]: unavailable,
  [LedgerStatus.RESOURCE_EXHAUSTED]: unavailable,
  [LedgerStatus.DEADLINE_EXCEEDED]: { statusCode: 504, error: 'ledger_timeout' },
  [LedgerStatus.UNKNOWN]: badGateway,
  // An idempotency key sent again with a different request: refused, nothing written.
  [LedgerStatus.ALREADY_EXISTS]: { statusCode: 422, error: 'idempotency_key_reused' },
  [LedgerStatus.PERMISSION_DENIED]: badGateway,
  [LedgerStatus.ABORTED]: unavailable,
  [LedgerStatus.UNIMPLEMENTED]: badGateway,
  [LedgerStatus.INTERNAL]: badGateway,
  [LedgerStatus.DATA_LOSS]: badGateway,
  [LedgerStatus.UNAUTHENTICATED]: badGateway,
};

export const HTTP_ERRORS = {
  clientNotFound: { statusCode: 404, error: 'client_not_found' },
  routeNotFound: { statusCode: 404, error: 'not_found' },
  invalidTransaction: { statusCode: 422, error: 'invalid_transaction' },
  invalidJson: { statusCode: 400, error: 'invalid_json' },
  invalidIdempotencyKey: { statusCode: 400, error: 'invalid_idempotency_key' },
  badRequest: { statusCode: 400, error: 'bad_request' },
  badUrl: { statusCode: 400, error: 'bad_url' },
  missingHost: { statusCode: 400, error: 'missing_host' },
  requestTimeout: { statusCode: 408, error: 'request_timeout' },
  unsupportedMediaType: { statusCode: 415, error: 'unsupported_media_type' },
  bodyTooLarge: { statusCode: 413, error: 'body_too_large' },
  urlTooLong: { statusCode: 414, error: 'url_too_long' },
  headersTooLarge: { statusCode: 431, error: 'headers_too_large' },
  internal: { statusCode: 500, error: 'internal_error' },
} as const satisfies Record<string, HttpError>;

/** The facade's own error codes, for refusals raised inside Fastify's request cycle. */
export const FACADE_ERROR_CODES = {
  invalidUtf8: 'FACADE_ERR_INVALID_UTF8',
} as const;

/** Fastify's (and the facade's) error codes for requests refused before any route runs. */
export const FASTIFY_CODE_TO_HTTP: Readonly<Record<string, HttpError>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: HTTP_ERRORS.unsupportedMediaType,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: HTTP_ERRORS.invalidJson,
  FST_ERR_CTP_EMPTY_JSON_BODY: HTTP_ERRORS.invalidJson,
  FST_ERR_CTP_INVALID_JSON_BODY: HTTP_ERRORS.invalidJson,
  FST_ERR_CTP_BODY_TOO_LARGE: HTTP_ERRORS.bodyTooLarge,
  FST_ERR_CTP_INVALID_TYPE: HTTP_ERRORS.unsupportedMediaType,
  FST_ERR_BAD_URL: HTTP_ERRORS.badUrl,
  FST_ERR_MAX_PARAM_LENGTH: HTTP_ERRORS.urlTooLong,
  [FACADE_ERROR_CODES.invalidUtf8]: HTTP_ERRORS.invalidJson,
};

/** Node's codes for connections it refuses before Fastify sees a request. */
export const CLIENT_ERROR_CODE_TO_HTTP: Readonly<Record<string, HttpError>> = {
  ERR_HTTP_REQUEST_TIMEOUT: HTTP_ERRORS.requestTimeout,
  HPE_HEADER_OVERFLOW: HTTP_ERRORS.headersTooLarge,
};

export function errorBody(error: HttpError, message: string): string {
  return JSON.stringify({ error: error.error, message });
}

/** A whole response written straight to a socket, which closes after it. */
export function rawErrorResponse(error: HttpError, message: string): string {
  const body = errorBody(error, message);
  return [
    `HTTP/1.1 ${error.statusCode} ${STATUS_CODES[error.statusCode] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}
