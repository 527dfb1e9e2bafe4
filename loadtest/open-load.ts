// The open model: every arrival of the schedule is sent at its time, on its own new TCP
// connection, whether or not earlier requests have answered. The dispatcher wakes on a
// timer, sends everything due, and records how late each send was against its plan
// (the scheduling lag), which tells whether the load generator kept up. The dispatcher
// alone also drives the reliability tests' overload blast (tests/support/fault-load.ts).
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

export interface ArrivalPlan {
  /** Due times of the arrivals, in order, as offsets from `startMs` on the `nowMs` clock. */
  readonly offsetsMs: ArrayLike<number>;
  readonly startMs: number;
  readonly nowMs: () => number;
  /** Sends arrival `index`; resolves once it has its outcome. Must not reject. */
  readonly send: (index: number) => Promise<unknown>;
  /**
   * Arrivals due while this many are in flight are skipped, not sent, so a generator
   * sharing a small machine never queues without bound. No cap when absent.
   */
  readonly outstandingMax?: number;
}

export interface ArrivalsDone {
  /** Arrivals skipped at the `outstandingMax` cap. */
  readonly skippedCount: number;
}

/**
 * The open-model dispatcher: sends every arrival at its due time whatever the answers,
 * and resolves once every arrival was sent (or skipped) and every send has settled.
 */
export function dispatchArrivals(plan: ArrivalPlan): Promise<ArrivalsDone> {
  const { offsetsMs, startMs } = plan;
  const outstandingMax = plan.outstandingMax ?? Number.POSITIVE_INFINITY;
  let next = 0;
  let outstanding = 0;
  let skippedCount = 0;
  return new Promise((resolve) => {
    const finishIfDone = (): void => {
      if (outstanding === 0 && next === offsetsMs.length) resolve({ skippedCount });
    };
    const settle = (): void => {
      outstanding -= 1;
      finishIfDone();
    };
    const pump = (): void => {
      const nowMs = plan.nowMs();
      while (next < offsetsMs.length && startMs + (offsetsMs[next] as number) <= nowMs) {
        if (outstanding >= outstandingMax) {
          skippedCount += 1;
        } else {
          outstanding += 1;
          void plan.send(next).then(settle);
        }
        next += 1;
      }
      if (next < offsetsMs.length) {
        const dueMs = startMs + (offsetsMs[next] as number);
        setTimeout(pump, Math.max(0, dueMs - plan.nowMs()));
        return;
      }
      finishIfDone();
    };
    pump();
  });
}

/**
 * Runs the schedule with its offsets counted from `loadStartMs` (run-relative) and
 * resolves once every arrival was sent and answered (or timed out).
 */
export async function runOpenLoad(
  context: OpenLoadContext,
  schedule: LoadSchedule,
  loadStartMs: number,
): Promise<void> {
  const { offsetsMs, groups } = schedule;
  await dispatchArrivals({
    offsetsMs,
    startMs: loadStartMs,
    nowMs: () => context.recorder.elapsedMs(performance.now()),
    send: (index) => {
      const group = groups[index] as LoadGroup;
      return exchangeChecked(context, {
        group,
        name: NAME_BY_GROUP[group],
        request: arrivalRequest(group, context.random),
        agent: false,
        check: CHECK_BY_GROUP[group],
        intendedMs: loadStartMs + (offsetsMs[index] as number),
      });
    },
  });
}
