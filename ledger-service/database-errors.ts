// The one classification of the database's errors, for db.ts: an operating error
// (unreachable, overloaded, a wait cut short) becomes a domain error with its status;
// anything else is a bug and passes on as it is.
import { DeadlineExceededError } from './deadlines.js';
import { DatabaseUnavailableError } from './ledger.js';
import type { DatabaseErrorKind } from './metrics.js';

const LOCK_NOT_AVAILABLE = '55P03';

// SQLSTATE classes that mean "the database is not able to answer now", not "your
// request is wrong": connection exceptions, insufficient resources, operator
// intervention (shutdown, statement timeout), lock timeout, rollbacks to retry.
const UNAVAILABLE_SQLSTATE = /^(08|53|57|40|55P03)/;
const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Query read timeout|connection timeout/i;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The connection itself failed (no SQLSTATE, a socket code, or class 08). */
export function isConnectionError(error: unknown): boolean {
  const code = codeOf(error);
  return code === undefined || UNAVAILABLE_NODE_CODES.has(code) || code.startsWith('08');
}

/**
 * The one classification of database errors. A lock wait that the caller's deadline cut
 * short is DEADLINE_EXCEEDED (the statement rolled back: nothing was written); whatever
 * means "not able to answer now" is UNAVAILABLE; anything else is a bug, passed on as is.
 */
export function classifyDatabaseError(error: unknown, lockWaitCutByDeadline = false): unknown {
  const code = codeOf(error);
  if (code === LOCK_NOT_AVAILABLE && lockWaitCutByDeadline) {
    return new DeadlineExceededError(
      'deadline reached while waiting for the account lock; nothing was written',
    );
  }
  const unavailable =
    (code !== undefined &&
      (UNAVAILABLE_NODE_CODES.has(code) ||
        (code.length === 5 && UNAVAILABLE_SQLSTATE.test(code)))) ||
    (error instanceof Error && UNAVAILABLE_MESSAGE.test(error.message));
  return unavailable
    ? new DatabaseUnavailableError((error as Error).message, { cause: error })
    : error;
}

/** Told of every failed database call, classified (for the ledger's error counter). */
export type DatabaseErrorListener = (kind: DatabaseErrorKind) => void;

/** classifyDatabaseError, with the outcome reported to the listener. */
export function classifier(onError: DatabaseErrorListener | undefined) {
  return (error: unknown, lockWaitCutByDeadline = false): unknown => {
    const classified = classifyDatabaseError(error, lockWaitCutByDeadline);
    if (onError !== undefined) {
      if (classified instanceof DatabaseUnavailableError) onError('unavailable');
      else if (classified instanceof DeadlineExceededError) onError('lock_timeout');
      else onError('other');
    }
    return classified;
  };
}
export type Classify = ReturnType<typeof classifier>;
