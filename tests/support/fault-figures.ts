// Figures of one crash scenario, computed from the load's answers and the database:
// the reconciliation, the auditor's verdict, the requests in flight at the fault and
// how long the stack took to acknowledge a new transaction after it.
import { type AuditVerdict, judgeAudit } from '../../ledger-service/audit.js';
import { auditDatabase } from '../../ledger-service/db.js';
import type { TimedAnswer } from './fault-load.js';
import { type Reconciliation, readCommittedRows, reconcile } from './reconcile.js';

export interface FaultFigures {
  readonly reconciliation: Reconciliation;
  readonly verdict: AuditVerdict;
  readonly inFlightAtFaultCount: number;
  /** From the fault to the first 200 of a request sent after it. */
  readonly recoveryMs: number;
  /** Requests that got nothing back before the client gave up. */
  readonly hungCount: number;
  /** The slowest outcome of a request sent after the fault. */
  readonly slowestAfterFaultMs: number;
  readonly statusCounts: Readonly<Record<string, number>>;
}

export function recoveryMs(answers: readonly TimedAnswer[], faultAtMs: number): number {
  let firstMs = Number.POSITIVE_INFINITY;
  for (const answer of answers) {
    if (answer.status === 200 && answer.sentAtMs > faultAtMs) {
      firstMs = Math.min(firstMs, answer.answeredAtMs);
    }
  }
  return firstMs - faultAtMs;
}

export function countStatuses(answers: readonly TimedAnswer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) {
    const key =
      answer.status === 0 ? (answer.refused ? 'refused' : 'no answer') : `${answer.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export interface FaultMoment {
  /** performance.now() of the fault. */
  readonly faultAtMs: number;
  readonly inFlightAtFaultCount: number;
  /** The client's timeout: an outcome this late is a hang. */
  readonly hungAfterMs: number;
}

export async function measureFault(
  databaseUrl: string,
  answers: readonly TimedAnswer[],
  { faultAtMs, inFlightAtFaultCount, hungAfterMs }: FaultMoment,
): Promise<FaultFigures> {
  const rows = await readCommittedRows(databaseUrl);
  const after = answers.filter((answer) => answer.sentAtMs > faultAtMs);
  return {
    reconciliation: reconcile(answers, rows),
    verdict: judgeAudit(await auditDatabase(databaseUrl)),
    inFlightAtFaultCount,
    recoveryMs: recoveryMs(answers, faultAtMs),
    hungCount: answers.filter(
      (answer) => answer.status === 0 && answer.answeredAtMs - answer.sentAtMs >= hungAfterMs,
    ).length,
    slowestAfterFaultMs: Math.max(0, ...after.map((a) => a.answeredAtMs - a.sentAtMs)),
    statusCounts: countStatuses(answers),
  };
}

/** One line for the test log, quoted in docs/RELIABILITY.md. */
export function describeFigures(scenario: string, figures: FaultFigures): string {
  const r = figures.reconciliation;
  return (
    `[reliability] ${scenario}: sent ${r.sentCount}, acknowledged ${r.acknowledgedCount}, ` +
    `lost ${r.lostCount}, rejected ${r.rejectedCount}, ambiguous ${r.ambiguousCount} ` +
    `(committed ${r.ambiguousCommittedCount}, in flight at the fault ${figures.inFlightAtFaultCount}), ` +
    `refused ${r.refusedCount}, hung ${figures.hungCount}, recovery ${Number.isFinite(figures.recoveryMs) ? `${figures.recoveryMs.toFixed(0)} ms` : 'n/a'}, ` +
    `slowest answer after the fault ${figures.slowestAfterFaultMs.toFixed(0)} ms, ` +
    `statuses ${JSON.stringify(figures.statusCounts)}, audit ${figures.verdict.ok ? 'OK' : 'FAILED'}`
  );
}
