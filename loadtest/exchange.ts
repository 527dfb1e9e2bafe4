// Sends one request, checks the answer and records the verdict: the single path every
// request of the run takes, so counting is the same for validations and load.
import type http from 'node:http';
import type { CheckResult } from './checks.js';
import {
  type HttpExchange,
  type HttpOutcome,
  type HttpTarget,
  sendRequest,
} from './http-client.js';
import type { Recorder, RequestGroup, RequestRecord } from './recorder.js';

export interface RunContext {
  readonly target: HttpTarget;
  readonly recorder: Recorder;
  readonly requestTimeoutMs: number;
}

export interface CheckedExchange {
  readonly group: RequestGroup;
  readonly name: string;
  readonly request: HttpExchange;
  readonly agent: http.Agent | false;
  readonly check: (status: number, body: string) => CheckResult;
  /** Offset from the run start the open model wanted; null for validations. */
  readonly intendedMs?: number;
}

export interface CheckedOutcome {
  readonly outcome: HttpOutcome;
  readonly record: RequestRecord;
}

export async function exchangeChecked(
  context: RunContext,
  exchange: CheckedExchange,
): Promise<CheckedOutcome> {
  context.recorder.markSent();
  const outcome = await sendRequest(
    context.target,
    exchange.request,
    exchange.agent,
    context.requestTimeoutMs,
  );
  const check = exchange.check(outcome.status, outcome.body);
  const record = context.recorder.record(
    exchange.group,
    exchange.name,
    exchange.intendedMs ?? null,
    outcome,
    check,
  );
  return { outcome, record };
}
