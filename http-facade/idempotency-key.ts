// The Idempotency-Key request header (the IETF httpapi draft): read in the draft's
// quoted form, a structured-field string ("abc", with \" and \\ as its only escapes),
// or as a bare token, and held to the ledger's own rule for a key (proto/rules.ts).
import { describeInvalidIdempotencyKey, IDEMPOTENCY_KEY_LENGTH_MAX } from '../proto/rules.js';

/** Node lowercases header names; this is the name a request carries the key under. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Set to "true" on an answer that repeats the recorded outcome of an earlier request. */
export const IDEMPOTENCY_REPLAYED_HEADER = 'idempotency-replayed';
/** The ledger's id of the posting, on a keyed request's 200: what the caller reconciles by. */
export const TRANSACTION_ID_HEADER = 'transaction-id';

export type ParsedIdempotencyKey =
  | { readonly ok: true; readonly key: string }
  | { readonly ok: false; readonly message: string };

const QUOTE = '"';
const BACKSLASH = '\\';

/**
 * The key of a structured-field string, or null when the quoted text is not one: a
 * backslash may only escape a quote or a backslash, and a quote only ends the string.
 */
function unquote(quoted: string): string | null {
  if (quoted.length < 2 || !quoted.endsWith(QUOTE)) return null;
  let key = '';
  for (let index = 1; index < quoted.length - 1; index++) {
    const character = quoted.charAt(index);
    if (character === QUOTE) return null;
    if (character === BACKSLASH) {
      const escaped = quoted.charAt(++index);
      if (index >= quoted.length - 1 || (escaped !== QUOTE && escaped !== BACKSLASH)) return null;
      key += escaped;
    } else {
      key += character;
    }
  }
  return key;
}

function refusal(detail: string): ParsedIdempotencyKey {
  return { ok: false, message: `Idempotency-Key: ${detail}` };
}

/**
 * The key a request's header value names. A value that opens with a quote is the
 * quoted form and must be a whole structured-field string; anything else is a bare
 * token. Repeated headers arrive joined by ", " (or as a list) and are refused.
 */
export function parseIdempotencyKey(value: string | readonly string[]): ParsedIdempotencyKey {
  if (typeof value !== 'string') return refusal('must be given once');
  const key = value.startsWith(QUOTE) ? unquote(value) : value;
  if (key === null) {
    return refusal('a quoted key must be one string, "like-this", escaping only \\" and \\\\');
  }
  const problem = describeInvalidIdempotencyKey(key);
  return problem === null ? { ok: true, key } : refusal(problem);
}

/**
 * The header's values in the OpenAPI document, as a pattern: a bare token that does
 * not open with a quote, or a quoted string of 1 to 64 characters after unescaping.
 */
export const IDEMPOTENCY_KEY_PATTERN = `^(?:[!#-~][!-~]{0,${IDEMPOTENCY_KEY_LENGTH_MAX - 1}}|"(?:[!#-\\[\\]-~]|\\\\["\\\\]){1,${IDEMPOTENCY_KEY_LENGTH_MAX}}")$`;
