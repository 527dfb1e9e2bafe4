// The auditor's verdict: every balance equals credits minus debits of the client's
// recorded transactions, and neither the balance nor any point of the replayed
// history went below minus the limit, and every idempotency key records exactly one
// matching transaction. Pure: the figures come from db.ts.
import type { ClientAudit } from './db.js';

export interface AuditVerdict {
  readonly ok: boolean;
  readonly violations: readonly string[];
  readonly clients: readonly ClientAudit[];
}

export function judgeAudit(clients: readonly ClientAudit[]): AuditVerdict {
  const violations: string[] = [];
  for (const client of clients) {
    const id = `client ${client.clientId}`;
    if (client.balanceCents !== client.recomputedBalanceCents) {
      violations.push(
        `${id}: balance ${client.balanceCents} but its transactions sum to ${client.recomputedBalanceCents}`,
      );
    }
    if (client.balanceCents < -client.limitCents) {
      violations.push(`${id}: balance ${client.balanceCents} is below -${client.limitCents}`);
    }
    if (client.keyViolationCount > 0) {
      violations.push(
        `${id}: ${client.keyViolationCount} idempotency keys disagree with the transaction they record`,
      );
    }
    if (client.lowestBalanceCents < -client.limitCents) {
      violations.push(
        `${id}: the history went down to ${client.lowestBalanceCents}, below -${client.limitCents}`,
      );
    }
  }
  return { ok: violations.length === 0, violations, clients };
}
