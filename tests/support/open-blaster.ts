// A bounded open-model load of credits over keep-alive connections, for overload
// tests: arrivals at a fixed rate whatever the answers, at most `outstandingMax` in
// flight (an arrival beyond that is counted as skipped, so the generator itself never
// queues without bound). Keep-alive keeps the generator's CPU per request low, so on
// a small machine it can push the stack, not itself, past capacity. Every credit has a
// unique description, so the answers can be reconciled against the database.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { type TimedAnswer, uniqueDescription } from './fault-load.js';

export interface BlastOptions {
  readonly httpUrl: string;
  readonly ratePerS: number;
  readonly durationMs: number;
  readonly outstandingMax: number;
  readonly requestTimeoutMs: number;
}

export interface BlastResult {
  readonly answers: readonly TimedAnswer[];
  readonly skippedCount: number;
  readonly durationMs: number;
}

const TICK_MS = 5;
const CLIENT_COUNT = 5;

export async function blast(options: BlastOptions): Promise<BlastResult> {
  const url = new URL(options.httpUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.outstandingMax });
  const answers: TimedAnswer[] = [];
  let outstanding = 0;
  let skippedCount = 0;
  let sentCount = 0;
  const startedAtMs = performance.now();

  const send = () => {
    const clientId = 1 + Math.floor(Math.random() * CLIENT_COUNT);
    const amountCents = 1 + Math.floor(Math.random() * 10_000);
    const description = uniqueDescription();
    const payload = JSON.stringify({ valor: amountCents, tipo: 'c', descricao: description });
    const sentAtMs = performance.now();
    outstanding++;
    const done = (status: number, body: string) => {
      outstanding--;
      answers.push({
        description,
        clientId,
        amountCents,
        kind: 'c',
        status,
        refused: false,
        body,
        sentAtMs,
        answeredAtMs: performance.now(),
      });
    };
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: `/clientes/${clientId}/transacoes`,
        headers: { 'content-type': 'application/json' },
        agent,
        timeout: options.requestTimeoutMs,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => done(response.statusCode ?? 0, body));
        response.on('error', () => done(0, ''));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => done(0, ''));
    request.end(payload);
  };

  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsedMs = performance.now() - startedAtMs;
      const dueCount = Math.floor(
        (Math.min(elapsedMs, options.durationMs) * options.ratePerS) / 1000,
      );
      while (sentCount < dueCount) {
        sentCount++;
        if (outstanding >= options.outstandingMax) skippedCount++;
        else send();
      }
      if (elapsedMs >= options.durationMs) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  const endedAtMs = performance.now();
  while (outstanding > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  agent.destroy();
  return { answers, skippedCount, durationMs: endedAtMs - startedAtMs };
}
