// The open model: every arrival of the schedule is sent at its time, on its own new TCP
// connection, whether or not earlier requests have answered. The dispatcher wakes on a
// timer, sends everything due, and records how late each send was against its plan
// (the scheduling lag), which tells whether the load generator kept up.
import { performance } from 'node:perf_hooks';
import { checkCredit, checkDebit, checkStatement } from './checks.js';
import { statementPath, transactionPath, transactionPayload } from './contest.js';
import { exchangeChecked, type RunContext } from './exchange.js';
import type { HttpExchange } from './http-client.js';
import {
  type RandomSource,
  randomAmountCents,
  randomClientId,
  randomDescription,
} from './random-input.js';
import type { LoadGroup, LoadSchedule } from './schedule.js';

export interface OpenLoadContext extends RunContext {
  readonly random: RandomSource;
}

function arrivalRequest(group: LoadGroup, random: RandomSource): HttpExchange {
  const clientId = randomClientId(random);
  if (group === 'statements') return { method: 'GET', path: statementPath(clientId) };
  const kind = group === 'debits' ? 'd' : 'c';
  const body = transactionPayload(randomAmountCents(random), kind, randomDescription(random));
  return { method: 'POST', path: transactionPath(clientId), body };
}

const CHECK_BY_GROUP = {
  debits: checkDebit,
  credits: checkCredit,
  statements: checkStatement,
} as const;

const NAME_BY_GROUP = { debits: 'debit', credits: 'credit', statements: 'statement' } as const;

/**
 * Runs the schedule with its offsets counted from `loadStartMs` (run-relative) and
 * resolves once every arrival was sent and answered (or timed out).
 */
export function runOpenLoad(
  context: OpenLoadContext,
  schedule: LoadSchedule,
  loadStartMs: number,
): Promise<void> {
  const { offsetsMs, groups } = schedule;
  let next = 0;
  let outstanding = 0;
  return new Promise((resolve) => {
    const settle = (): void => {
      outstanding -= 1;
      if (outstanding === 0 && next === offsetsMs.length) resolve();
    };
    const pump = (): void => {
      const nowMs = context.recorder.elapsedMs(performance.now());
      while (next < offsetsMs.length && loadStartMs + (offsetsMs[next] as number) <= nowMs) {
        const group = groups[next] as LoadGroup;
        outstanding += 1;
        void exchangeChecked(context, {
          group,
          name: NAME_BY_GROUP[group],
          request: arrivalRequest(group, context.random),
          agent: false,
          check: CHECK_BY_GROUP[group],
          intendedMs: loadStartMs + (offsetsMs[next] as number),
        }).then(settle);
        next += 1;
      }
      if (next < offsetsMs.length) {
        const dueMs = loadStartMs + (offsetsMs[next] as number);
        const nowAfterMs = context.recorder.elapsedMs(performance.now());
        setTimeout(pump, Math.max(0, dueMs - nowAfterMs));
        return;
      }
      if (outstanding === 0) resolve();
    };
    pump();
  });
}
