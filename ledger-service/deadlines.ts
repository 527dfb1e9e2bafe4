// The one owner of callers' deadlines inside the ledger: the scope every operation runs
// in, the margin kept before a deadline, and the refusals that say "nothing was written"
// because the work never reached the database. Every module asks here; none computes
// a margin of its own.

/** Lets the ledger skip work for a call whose caller has gone or whose deadline passed. */
export interface CallScope {
  readonly isCancelled: () => boolean;
  /** The caller's deadline in epoch milliseconds; Infinity when it set none. */
  readonly deadlineMs: number;
  /** The id of the HTTP request this call serves (x-request-id), for log lines. */
  readonly requestId?: string | undefined;
}

/** The caller cancelled, or left, before the work was sent to the database. */
export class CallCancelledError extends Error {
  override name = 'CallCancelledError';
}

/** The caller's deadline came before the work could be done; nothing was written. */
export class DeadlineExceededError extends Error {
  override name = 'DeadlineExceededError';
}

// A refusal must reach the caller before its deadline, so the database's own waits end
// this much earlier: a fifth of what is left, at most 100 ms (a few round trips).
const DEADLINE_MARGIN_SHARE = 0.2;
const DEADLINE_MARGIN_MAX_MS = 100;
/** PostgreSQL's lock_timeout counts whole milliseconds; 0 would mean "wait forever". */
const LOCK_WAIT_MIN_MS = 1;

/** What is left of a deadline for database work, the margin kept aside. */
export function workTimeLeftMs(deadlineMs: number, nowMs: number = Date.now()): number {
  const remainingMs = deadlineMs - nowMs;
  return remainingMs - Math.min(DEADLINE_MARGIN_MAX_MS, remainingMs * DEADLINE_MARGIN_SHARE);
}

/**
 * Why work for this scope must not be sent to the database, or null when it may go: the
 * caller left, or too little of its deadline is left for even the shortest lock wait.
 */
export function refusalBeforeSending(scope: CallScope, nowMs: number = Date.now()): Error | null {
  if (workTimeLeftMs(scope.deadlineMs, nowMs) < LOCK_WAIT_MIN_MS) {
    return new DeadlineExceededError(
      'deadline reached before the work reached the database; nothing was written',
    );
  }
  if (scope.isCancelled()) {
    return new CallCancelledError('call cancelled before it reached the database');
  }
  return null;
}

/**
 * The longest a statement may wait for row locks in total: the configured cap, or less when the
 * scope's deadline is nearer, so a refusal (and the certainty that nothing was written)
 * reaches the caller before its deadline. Call refusalBeforeSending() first.
 */
export function lockWaitMs(
  scope: CallScope,
  lockTimeoutMs: number,
  nowMs: number = Date.now(),
): number {
  const leftMs = Math.floor(workTimeLeftMs(scope.deadlineMs, nowMs));
  return Math.max(LOCK_WAIT_MIN_MS, Math.min(lockTimeoutMs, leftMs));
}

/**
 * The scope of a batch of postings sent together: as patient as its most patient posting,
 * so a posting whose deadline is nearly spent never shortens the wait of the others, and
 * live while any of its callers is.
 */
export function batchScope(scopes: readonly CallScope[]): CallScope {
  let deadlineMs = Number.NEGATIVE_INFINITY;
  for (const scope of scopes) deadlineMs = Math.max(deadlineMs, scope.deadlineMs);
  return { deadlineMs, isCancelled: () => scopes.every((scope) => scope.isCancelled()) };
}
