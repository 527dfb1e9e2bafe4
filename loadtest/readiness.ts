// The official runner's readiness wait: poll the statement of client 1 every 2 s for up
// to 40 s, and start only once it answers 200. These polls are not part of the plan and
// are not recorded.

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { READINESS_DEADLINE_MS, READINESS_INTERVAL_MS, statementPath } from './contest.js';
import { type HttpTarget, sendRequest } from './http-client.js';

export interface Readiness {
  readonly ready: boolean;
  readonly attempts: number;
  readonly waitedMs: number;
  /** The last answer seen: a status or a transport error. */
  readonly lastAnswer: string;
}

export async function waitForReadiness(
  target: HttpTarget,
  onAttempt: (attempt: number, answer: string) => void = () => {},
  deadlineMs = READINESS_DEADLINE_MS,
  intervalMs = READINESS_INTERVAL_MS,
): Promise<Readiness> {
  const startMs = performance.now();
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const outcome = await sendRequest(
      target,
      { method: 'GET', path: statementPath(1) },
      false,
      intervalMs,
    );
    const answer = outcome.error ?? `status ${outcome.status}`;
    onAttempt(attempts, answer);
    const waitedMs = performance.now() - startMs;
    if (outcome.status === 200) return { ready: true, attempts, waitedMs, lastAnswer: answer };
    if (waitedMs + intervalMs > deadlineMs) {
      return { ready: false, attempts, waitedMs, lastAnswer: answer };
    }
    await sleep(Math.max(0, startMs + attempts * intervalMs - performance.now()));
  }
}
