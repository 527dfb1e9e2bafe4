// Every error the facade answers, in one table: the ledger's gRPC statuses and the
// HTTP layer's own refusals, each with its HTTP status and a stable error code.
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
  [LedgerStatus.UNAVAILABLE]: unavailable,
  [LedgerStatus.CANCELLED]: unavailable,
  [LedgerStatus.RESOURCE_EXHAUSTED]: unavailable,
  [LedgerStatus.DEADLINE_EXCEEDED]: { statusCode: 504, error: 'ledger_timeout' },
  [LedgerStatus.UNKNOWN]: badGateway,
  [LedgerStatus.ALREADY_EXISTS]: badGateway,
  [LedgerStatus.PERMISSION_DENIED]: badGateway,
  [LedgerStatus.ABORTED]: unavailable,
  [LedgerStatus.OUT_OF_RANGE]: badGateway,
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
  unsupportedMediaType: { statusCode: 415, error: 'unsupported_media_type' },
  bodyTooLarge: { statusCode: 413, error: 'body_too_large' },
  internal: { statusCode: 500, error: 'internal_error' },
} as const satisfies Record<string, HttpError>;

/** Fastify's own error codes for requests it refuses before any route runs. */
export const FASTIFY_CODE_TO_HTTP: Readonly<Record<string, HttpError>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: HTTP_ERRORS.unsupportedMediaType,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: HTTP_ERRORS.invalidJson,
  FST_ERR_CTP_EMPTY_JSON_BODY: HTTP_ERRORS.invalidJson,
  FST_ERR_CTP_INVALID_JSON_BODY: HTTP_ERRORS.invalidJson,
  FST_ERR_CTP_BODY_TOO_LARGE: HTTP_ERRORS.bodyTooLarge,
  FST_ERR_CTP_INVALID_TYPE: HTTP_ERRORS.unsupportedMediaType,
};
