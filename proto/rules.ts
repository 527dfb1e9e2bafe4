// The field rules of the ledger API (ledger/v1/ledger.proto), in one place: the
// ledger enforces them for every caller and the HTTP facade builds its JSON schema
// from the same numbers. init.sql repeats them as database constraints.

export const AMOUNT_CENTS_MIN = 1;
/** The Rinha contract caps an amount at the int32 range. */
export const AMOUNT_CENTS_MAX = 2_147_483_647;

export const DESCRIPTION_LENGTH_MIN = 1;
/** Counted in Unicode code points: "ação" is 4, an emoji is 1. */
export const DESCRIPTION_LENGTH_MAX = 10;

/** Client ids are positive int32 values (the proto field is int32). */
export const CLIENT_ID_MIN = 1;
export const CLIENT_ID_MAX = 2_147_483_647;

/** The statement lists at most this many of the latest transactions. */
export const STATEMENT_TRANSACTIONS_MAX = 10;

export function countCodePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * Why a description is refused, or null when it is valid. PostgreSQL cannot store
 * NUL in text, and a lone UTF-16 surrogate could not be stored verbatim.
 */
export function describeInvalidDescription(text: string): string | null {
  const length = countCodePoints(text);
  if (length < DESCRIPTION_LENGTH_MIN || length > DESCRIPTION_LENGTH_MAX) {
    return `must be ${DESCRIPTION_LENGTH_MIN} to ${DESCRIPTION_LENGTH_MAX} characters, got ${length}`;
  }
  if (text.includes('\u0000')) return 'must not contain the NUL character';
  if (!text.isWellFormed()) return 'must be well-formed Unicode';
  return null;
}

/** An idempotency key: 1 to 64 visible ASCII characters (0x21 to 0x7E). */
export const IDEMPOTENCY_KEY_LENGTH_MAX = 64;
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,64}$/;

/** Why an idempotency key is refused, or null when it is valid. */
export function describeInvalidIdempotencyKey(key: string): string | null {
  if (IDEMPOTENCY_KEY_PATTERN.test(key)) return null;
  return `must be 1 to ${IDEMPOTENCY_KEY_LENGTH_MAX} visible ASCII characters (0x21 to 0x7E)`;
}

/**
 * A request id (the facade's x-request-id, the ledger's `x-request-id` metadata and
 * PipelineRequest.request_tag): 1 to 128 visible ASCII characters, so it can go into
 * log lines and headers as it is. The ledger ignores one that is not.
 */
export const REQUEST_TAG_LENGTH_MAX = 128;
const VALID_REQUEST_TAG = /^[\x21-\x7e]{1,128}$/;

export function isValidRequestTag(value: unknown): value is string {
  return typeof value === 'string' && VALID_REQUEST_TAG.test(value);
}
