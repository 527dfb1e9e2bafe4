// A closed-model load of POSTs for the crash tests: `concurrency` workers, each
// sending one transaction at a time on a new TCP connection and recording what it
// was told, until stopped. Every POST carries a unique 10-character description so
// the reconciliation (reconcile.ts) can find its row. The driver also counts the
// requests in flight, so a test can note how many raced the moment it broke something.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { PostAnswer, TransactionKindCode } from './reconcile.js';

export interface TimedAnswer extends PostAnswer {
  /** performance.now() when the request was created and when its outcome was known. */
  readonly sentAtMs: number;
  readonly answeredAtMs: number;
  readonly body: string;
}

export interface FaultLoadOptions {
  readonly httpUrl: string;
  readonly concurrency: number;
  /** A request without an answer after this long counts as hung (status 0). */
  readonly requestTimeoutMs: number;
}

export interface FaultLoad {
  readonly answers: readonly TimedAnswer[];
  inFlightCount(): number;
  /** Stops sending and resolves once every request in flight has its outcome. */
  stop(): Promise<void>;
}

const DESCRIPTION_LENGTH = 10;
const CREDIT_AMOUNT_MAX_CENTS = 10_000;
// Debits larger than credits on average, so balances reach their limits and 422s occur.
const DEBIT_AMOUNT_MAX_CENTS = 30_000;
const CLIENT_COUNT = 5;
const RESPONSE_BODY_BYTES_MAX = 4096;

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

interface Outcome {
  status: number;
  refused: boolean;
  body: string;
}

/** One POST on its own connection; never rejects. */
export function postOnce(
  url: URL,
  clientId: number,
  payload: string,
  timeoutMs: number,
): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: `/clientes/${clientId}/transacoes`,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
        agent: false,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (body.length < RESPONSE_BODY_BYTES_MAX) body += chunk;
        });
        response.on('end', () =>
          settle({ status: response.statusCode ?? 0, refused: false, body }),
        );
        response.on('error', () => settle({ status: 0, refused: false, body: '' }));
      },
    );
    request.setTimeout(timeoutMs, () => request.destroy(new Error('timeout')));
    request.on('error', (error: NodeJS.ErrnoException) =>
      settle({ status: 0, refused: error.code === 'ECONNREFUSED', body: '' }),
    );
    request.end(payload);
  });
}

export function startFaultLoad(options: FaultLoadOptions): FaultLoad {
  const url = new URL(options.httpUrl);
  const answers: TimedAnswer[] = [];
  let running = true;
  let inFlight = 0;

  const worker = async () => {
    while (running) {
      const kind: TransactionKindCode = Math.random() < 0.5 ? 'c' : 'd';
      const amountCents = randomInteger(
        kind === 'c' ? CREDIT_AMOUNT_MAX_CENTS : DEBIT_AMOUNT_MAX_CENTS,
      );
      const clientId = randomInteger(CLIENT_COUNT);
      const description = uniqueDescription();
      const payload = JSON.stringify({ valor: amountCents, tipo: kind, descricao: description });
      const sentAtMs = performance.now();
      inFlight++;
      const outcome = await postOnce(url, clientId, payload, options.requestTimeoutMs);
      inFlight--;
      answers.push({
        description,
        clientId,
        amountCents,
        kind,
        ...outcome,
        sentAtMs,
        answeredAtMs: performance.now(),
      });
      // A refused connection answers at once: pause so a dead port is not spun on.
      if (outcome.status === 0 || outcome.status >= 500) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  };
  const workers = Array.from({ length: options.concurrency }, worker);
  return {
    answers,
    inFlightCount: () => inFlight,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
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
