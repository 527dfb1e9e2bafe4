// Collects one record per request, plus the running totals the progress line shows.
// Times are milliseconds from the start of the run on the monotonic clock, so records
// from the validations and the load share one time axis in the reports.
import type { CheckResult } from './checks.js';
import type { HttpOutcome } from './http-client.js';
import type { LoadGroup } from './schedule.js';

export type RequestGroup = LoadGroup | 'validations';

export const REQUEST_GROUPS: readonly RequestGroup[] = [
  'validations',
  'debits',
  'credits',
  'statements',
];

export interface RequestRecord {
  readonly group: RequestGroup;
  /** What the request checks, e.g. "client 3 danada statement". */
  readonly name: string;
  /** When the open model wanted it sent; equals sentMs for validations. */
  readonly intendedMs: number;
  readonly sentMs: number;
  readonly durationMs: number;
  /** 0 when no response arrived. */
  readonly status: number;
  readonly ok: boolean;
  /** The KO reason, or the transport error; null when OK. */
  readonly reason: string | null;
  readonly detail: string | null;
  readonly inconsistency: boolean;
}

export class Recorder {
  readonly records: RequestRecord[] = [];
  sentCount = 0;
  koCount = 0;
  inconsistencyCount = 0;
  inFlightCount = 0;
  lagMaxMs = 0;

  constructor(private readonly originMs: number) {}

  /** Milliseconds since the start of the run. */
  elapsedMs(nowMs: number): number {
    return nowMs - this.originMs;
  }

  markSent(): void {
    this.sentCount += 1;
    this.inFlightCount += 1;
  }

  record(
    group: RequestGroup,
    name: string,
    intendedMs: number | null,
    outcome: HttpOutcome,
    check: CheckResult,
  ): RequestRecord {
    const sentMs = this.elapsedMs(outcome.sentAtMs);
    const transportError = outcome.error;
    const ok = transportError === null && check.ok;
    const reason = transportError ?? (check.ok ? null : check.reason);
    const record: RequestRecord = {
      group,
      name,
      intendedMs: intendedMs ?? sentMs,
      sentMs,
      durationMs: outcome.durationMs,
      status: outcome.status,
      ok,
      reason,
      detail: check.ok || transportError !== null ? null : check.detail || null,
      inconsistency: transportError === null && !check.ok && check.inconsistency,
    };
    this.records.push(record);
    this.inFlightCount -= 1;
    if (!ok) this.koCount += 1;
    if (record.inconsistency) this.inconsistencyCount += 1;
    this.lagMaxMs = Math.max(this.lagMaxMs, sentMs - record.intendedMs);
    return record;
  }
}
