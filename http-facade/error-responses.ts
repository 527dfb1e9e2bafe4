// The error answers of each route, for its response schemas (and so for the OpenAPI
// document): every status in the one error table, each with the error codes it
// carries, derived from http-errors.ts so that a new code cannot go undocumented.
import { ERROR_RESPONSE_SCHEMA } from './contract.js';
import { HTTP_ERRORS, type HttpError, LEDGER_STATUS_TO_HTTP } from './http-errors.js';
import { LedgerStatus } from './ledger-client.js';

/** Codes only a posting can get: the statement route never answers them. */
export const POSTING_ONLY_ERRORS: ReadonlySet<string> = new Set([
  HTTP_ERRORS.invalidTransaction.error,
  HTTP_ERRORS.invalidIdempotencyKey.error,
  LEDGER_STATUS_TO_HTTP[LedgerStatus.FAILED_PRECONDITION].error,
  LEDGER_STATUS_TO_HTTP[LedgerStatus.OUT_OF_RANGE].error,
  LEDGER_STATUS_TO_HTTP[LedgerStatus.ALREADY_EXISTS].error,
]);

const ALL_ERRORS: readonly HttpError[] = [
  ...Object.values(HTTP_ERRORS),
  ...Object.values(LEDGER_STATUS_TO_HTTP),
];

/** The error codes answered at each status, sorted, without the excluded ones. */
function codesByStatus(excluded: ReadonlySet<string>): Map<number, string[]> {
  const byStatus = new Map<number, Set<string>>();
  for (const { statusCode, error } of ALL_ERRORS) {
    if (excluded.has(error)) continue;
    const codes = byStatus.get(statusCode) ?? new Set<string>();
    codes.add(error);
    byStatus.set(statusCode, codes);
  }
  const sorted = [...byStatus.entries()].sort(([left], [right]) => left - right);
  return new Map(sorted.map(([status, codes]) => [status, [...codes].sort()]));
}

/** A response schema per error status: the {error, message} body, `error` one of its codes. */
export function errorResponseSchemas(excluded: ReadonlySet<string> = new Set()) {
  const schemas: Record<number, object> = {};
  for (const [status, codes] of codesByStatus(excluded)) {
    schemas[status] = {
      ...ERROR_RESPONSE_SCHEMA,
      description: `Refused; \`error\` is one of: ${codes.join(', ')}.`,
      properties: {
        ...ERROR_RESPONSE_SCHEMA.properties,
        error: { type: 'string', enum: codes },
      },
    };
  }
  return schemas;
}
