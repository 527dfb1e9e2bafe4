// The reliability tests' loads of POSTs, built on the load test's own HTTP client
// (loadtest/http-client.ts) and open-model dispatcher (loadtest/open-load.ts), so there
// is one way to send a request and time it. Two shapes: a closed model for the crash
// and shutdown tests (`concurrency` workers, one transaction at a time each, on a new
// TCP connection, until stopped; the driver counts the requests in flight, so a test
// can note how many raced the moment it broke something), and an open-model blast of
// credits over keep-alive connections for the overload test. Every POST carries a
// unique 10-character description so the reconciliation (reconcile.ts) finds its row.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { transactionPath, transactionPayload } from '../../loadtest/contest.js';
import {
  CONNECTION_REFUSED,
  type HttpTarget,
  parseTarget,
  sendRequest,
} from '../../loadtest/http-client.js';
import { dispatchArrivals } from '../../loadtest/open-load.js';
import { segmentArrivalsS } from '../../loadtest/schedule.js';
import type { PostAnswer, TransactionKindCode } from './reconcile.js';

export interface TimedAnswer extends PostAnswer {
  /** performance.now() when the request was created and when its outcome was known. */
  readonly sentAtMs: number;
  readonly answeredAtMs: number;
  readonly body: string;
}

const DESCRIPTION_LENGTH = 10;
const CREDIT_AMOUNT_MAX_CENTS = 10_000;
// Debits larger than credits on average, so balances reach their limits and 422s occur.
const DEBIT_AMOUNT_MAX_CENTS = 30_000;
const CLIENT_COUNT = 5;

// Unique within this process: a random prefix per process, then a counter.
const PROCESS_PREFIX = randomBytes(4).toString('hex').slice(0, 3);
let descriptionCounter = 0;

export function uniqueDescription(): string {
  const suffix = (descriptionCounter++).toString(36);
  const description = PROCESS_PREFIX + suffix.padStart(DESCRIPTION_LENGTH - 3, '0');
  if (description.length !== DESCRIPTION_LENGTH) throw new Error('description counter overflow');
  return description;
}

function randomInteger(max: number): number {
  return 1 + Math.floor(Math.random() * max);
}

/** A posting as the load plans it, before it is sent (perhaps more than once). */
interface PlannedPosting {
  readonly clientId: number;
  readonly amountCents: number;
  readonly kind: TransactionKindCode;
  readonly description: string;
  /** Sent as Idempotency-Key: retries of this posting can never apply it twice. */
  readonly idempotencyKey?: string;
}

function planPosting(kind: TransactionKindCode, keyed: boolean): PlannedPosting {
  const description = uniqueDescription();
  return {
    clientId: randomInteger(CLIENT_COUNT),
    amountCents: randomInteger(kind === 'c' ? CREDIT_AMOUNT_MAX_CENTS : DEBIT_AMOUNT_MAX_CENTS),
    kind,
    description,
    // The description is unique in this process; the key only needs to be unique per client.
    ...(keyed ? { idempotencyKey: `fault-${description}` } : {}),
  };
}

/** One POST of a planned posting; never rejects. */
async function postTransaction(
  target: HttpTarget,
  posting: PlannedPosting,
  agent: http.Agent | false,
  timeoutMs: number,
): Promise<TimedAnswer> {
  const { clientId, amountCents, kind, description, idempotencyKey } = posting;
  const outcome = await sendRequest(
    target,
    {
      method: 'POST',
      path: transactionPath(clientId),
      body: transactionPayload(amountCents, kind, description),
      ...(idempotencyKey === undefined ? {} : { headers: { 'idempotency-key': idempotencyKey } }),
    },
    agent,
    timeoutMs,
  );
  return {
    description,
    clientId,
    amountCents,
    kind,
    status: outcome.status,
    refused: outcome.error === CONNECTION_REFUSED,
    body: outcome.body,
    sentAtMs: outcome.sentAtMs,
    answeredAtMs: outcome.sentAtMs + outcome.durationMs,
  };
}

/** An answer that settles a posting: applied, or refused for good. */
const isDefinite = (answer: TimedAnswer) => answer.status >= 200 && answer.status < 500;
// A keyed caller in doubt retries with the same key, backing off, for this long at most.
const RETRY_BACKOFF_MIN_MS = 20;
const RETRY_BACKOFF_MAX_MS = 500;
const RETRY_WINDOW_MS = 60_000;

/**
 * Sends a keyed posting until it gets a definite answer, the way a careful client
 * would after a 503, a 504 or a cut connection; the answer kept is the last one, timed
 * from the first attempt.
 */
async function postUntilDefinite(
  target: HttpTarget,
  posting: PlannedPosting,
  timeoutMs: number,
): Promise<TimedAnswer & { readonly attempts: number }> {
  const first = await postTransaction(target, posting, false, timeoutMs);
  let last = first;
  let attempts = 1;
  for (let backoffMs = RETRY_BACKOFF_MIN_MS; !isDefinite(last); attempts++) {
    if (performance.now() - first.sentAtMs > RETRY_WINDOW_MS) break;
    await new Promise((resolve) => setTimeout(resolve, backoffMs));
    backoffMs = Math.min(RETRY_BACKOFF_MAX_MS, backoffMs * 2);
    last = await postTransaction(target, posting, false, timeoutMs);
  }
  return { ...last, sentAtMs: first.sentAtMs, attempts };
}

export interface FaultLoadOptions {
  readonly httpUrl: string;
  readonly concurrency: number;
  /** A request without an answer after this long counts as hung (status 0). */
  readonly requestTimeoutMs: number;
  /**
   * Every POST carries an Idempotency-Key and is retried with it until a definite
   * answer: nothing should then be left in doubt.
   */
  readonly keyed?: boolean;
}

export interface FaultLoad {
  readonly answers: readonly TimedAnswer[];
  /** Requests sent beyond the first for the same posting (keyed loads only). */
  retryCount(): number;
  inFlightCount(): number;
  /** Stops sending and resolves once every request in flight has its outcome. */
  stop(): Promise<void>;
}

/** A dead port answers at once: a worker pauses this long so it is not spun on. */
const PAUSE_AFTER_ERROR_MS = 5;

export function startFaultLoad(options: FaultLoadOptions): FaultLoad {
  const target = parseTarget(options.httpUrl);
  const answers: TimedAnswer[] = [];
  let running = true;
  let inFlight = 0;

  let retries = 0;

  const worker = async () => {
    while (running) {
      const posting = planPosting(Math.random() < 0.5 ? 'c' : 'd', options.keyed === true);
      inFlight++;
      const { attempts, ...answer } =
        posting.idempotencyKey === undefined
          ? {
              attempts: 1,
              ...(await postTransaction(target, posting, false, options.requestTimeoutMs)),
            }
          : await postUntilDefinite(target, posting, options.requestTimeoutMs);
      inFlight--;
      retries += attempts - 1;
      answers.push(answer);
      if (answer.status === 0 || answer.status >= 500) {
        await new Promise((resolve) => setTimeout(resolve, PAUSE_AFTER_ERROR_MS));
      }
    }
  };
  const workers = Array.from({ length: options.concurrency }, worker);
  return {
    answers,
    inFlightCount: () => inFlight,
    retryCount: () => retries,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

export interface BlastOptions {
  readonly httpUrl: string;
  readonly ratePerS: number;
  readonly durationMs: number;
  /** Arrivals due while this many are in flight are skipped (counted), never queued. */
  readonly outstandingMax: number;
  readonly requestTimeoutMs: number;
}

export interface BlastResult {
  readonly answers: readonly TimedAnswer[];
  readonly skippedCount: number;
}

/**
 * An open-model blast of credits at a fixed rate whatever the answers. Keep-alive keeps
 * the generator's CPU per request low, so on a small machine it can push the stack,
 * not itself, past capacity.
 */
export async function blastCredits(options: BlastOptions): Promise<BlastResult> {
  const target = parseTarget(options.httpUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.outstandingMax });
  const offsetsMs = segmentArrivalsS(
    options.ratePerS,
    options.ratePerS,
    options.durationMs / 1000,
    0,
  ).map((offsetS) => offsetS * 1000);
  const answers: TimedAnswer[] = [];
  try {
    const { skippedCount } = await dispatchArrivals({
      offsetsMs,
      startMs: performance.now(),
      nowMs: () => performance.now(),
      outstandingMax: options.outstandingMax,
      send: async () => {
        const posting = planPosting('c', false);
        answers.push(await postTransaction(target, posting, agent, options.requestTimeoutMs));
      },
    });
    return { answers, skippedCount };
  } finally {
    agent.destroy();
  }
}

/** Resolves once `predicate` holds, polling; rejects with `what` after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadlineMs = performance.now() + timeoutMs;
  while (!(await predicate())) {
    if (performance.now() > deadlineMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
