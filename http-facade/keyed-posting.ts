// A posting with an idempotency key is safe to send again, so the facade itself sends
// it again when the ledger is UNAVAILABLE (restarting, or its database unreachable:
// nothing was written), with a short backoff, until the request's ledger deadline.
// A ledger restart is then invisible to keyed callers. Postings without a key are
// never resent here: the facade cannot tell a lost one from an applied one.
import type { PostTransactionRequestInput } from '../proto/generated/ledger/v1/PostTransactionRequest.js';
import type { PostTransactionResponse } from '../proto/generated/ledger/v1/PostTransactionResponse.js';
import { type LedgerClient, type LedgerReply, LedgerStatus } from './ledger-client.js';

/** Waits between attempts: short, since a restarting ledger is back within a second. */
export const KEYED_RETRY_BACKOFF_MS: readonly number[] = [50, 100, 200];
/** An attempt needs at least this long to be worth making; less and the last answer stands. */
const ATTEMPT_TIME_MIN_MS = 10;

const sleep = (delayMs: number) => new Promise((resolve) => setTimeout(resolve, delayMs));

function backoffMs(attempt: number): number {
  const last = KEYED_RETRY_BACKOFF_MS.length - 1;
  return KEYED_RETRY_BACKOFF_MS[Math.min(attempt, last)] ?? 0;
}

/**
 * Posts a keyed request, resending it on UNAVAILABLE until `timeoutMs` has passed in
 * all; each attempt gets what remains of it. Any other answer is final.
 */
export async function postKeyedTransaction(
  ledger: LedgerClient,
  request: PostTransactionRequestInput,
  timeoutMs: number,
  requestId?: string,
): Promise<LedgerReply<PostTransactionResponse>> {
  const deadlineMs = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const reply = await ledger.postTransaction(
      request,
      Math.max(1, deadlineMs - Date.now()),
      requestId,
    );
    if (reply.ok || reply.code !== LedgerStatus.UNAVAILABLE) return reply;
    const waitMs = backoffMs(attempt);
    if (deadlineMs - Date.now() - waitMs < ATTEMPT_TIME_MIN_MS) return reply;
    await sleep(waitMs);
  }
}
