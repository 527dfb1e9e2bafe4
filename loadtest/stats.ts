// Pure statistics over the request records: the Gatling-like summary per group, the
// per-second series the charts draw, the scheduling lag, and the contest's fine. No
// I/O, so the numbers in the table, the JSON and the HTML come from one computation.
import {
  FINE_PER_INCONSISTENCY_USD,
  FINE_PER_PERCENT_USD,
  SLA_OK_PERCENT_MIN,
  SLA_RESPONSE_MS,
} from './contest.js';
import { REQUEST_GROUPS, type RequestGroup, type RequestRecord } from './recorder.js';

export interface Percentiles {
  readonly minMs: number;
  readonly p50Ms: number;
  readonly p75Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export interface ReasonCount {
  readonly reason: string;
  readonly count: number;
}

export interface GroupSummary extends Percentiles {
  readonly group: RequestGroup | 'all';
  readonly count: number;
  readonly okCount: number;
  readonly koCount: number;
  readonly koReasons: readonly ReasonCount[];
  readonly inconsistencyCount: number;
  /** Requests answered OK in under 250 ms, the contest's SLA. */
  readonly okUnderSlaCount: number;
  readonly okUnderSlaPercent: number;
  readonly statusCounts: Readonly<Record<string, number>>;
}

export interface Fine {
  readonly okUnderSlaPercent: number;
  readonly slaUsd: number;
  readonly inconsistencyCount: number;
  readonly inconsistencyUsd: number;
  readonly totalUsd: number;
}

export interface LagSummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Arrivals sent more than LAG_LATE_MS after their planned time. */
  readonly lateCount: number;
}

export interface SecondBucket {
  readonly second: number;
  readonly plannedCount: number;
  readonly sentCount: number;
  readonly okCount: number;
  readonly koCount: number;
  /** Percentiles of the requests sent in this second; null when none. */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

/** A send later than this is "late"; the run warns when the p99 lag passes it. */
export const LAG_LATE_MS = 10;

/** Nearest-rank percentile of an ascending array; 0 for an empty one. */
export function percentile(sortedMs: ArrayLike<number>, fraction: number): number {
  if (sortedMs.length === 0) return 0;
  const rank = Math.ceil(fraction * sortedMs.length);
  return sortedMs[Math.min(Math.max(rank, 1), sortedMs.length) - 1] as number;
}

export function percentilesOf(valuesMs: readonly number[]): Percentiles {
  const sorted = Float64Array.from(valuesMs).sort();
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    minMs: sorted.length === 0 ? 0 : (sorted[0] as number),
    p50Ms: percentile(sorted, 0.5),
    p75Ms: percentile(sorted, 0.75),
    p95Ms: percentile(sorted, 0.95),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length === 0 ? 0 : (sorted[sorted.length - 1] as number),
    meanMs: sorted.length === 0 ? 0 : sum / sorted.length,
  };
}

export function statusLabel(status: number): string {
  return status === 0 ? 'no response' : String(status);
}

export function summarizeGroup(
  group: RequestGroup | 'all',
  records: readonly RequestRecord[],
): GroupSummary {
  const reasons = new Map<string, number>();
  const statusCounts: Record<string, number> = {};
  let okCount = 0;
  let okUnderSlaCount = 0;
  let inconsistencyCount = 0;
  for (const record of records) {
    const label = statusLabel(record.status);
    statusCounts[label] = (statusCounts[label] ?? 0) + 1;
    if (record.inconsistency) inconsistencyCount += 1;
    if (record.ok) {
      okCount += 1;
      if (record.durationMs < SLA_RESPONSE_MS) okUnderSlaCount += 1;
    } else {
      const reason = record.reason ?? 'unknown';
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
  }
  const koReasons = [...reasons.entries()]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return {
    group,
    count: records.length,
    okCount,
    koCount: records.length - okCount,
    koReasons,
    inconsistencyCount,
    okUnderSlaCount,
    okUnderSlaPercent: records.length === 0 ? 100 : (okUnderSlaCount / records.length) * 100,
    statusCounts,
    ...percentilesOf(records.map((record) => record.durationMs)),
  };
}

/** One summary per group, in report order, then the total. */
export function summarizeAll(records: readonly RequestRecord[]): GroupSummary[] {
  const byGroup = REQUEST_GROUPS.map((group) =>
    summarizeGroup(
      group,
      records.filter((record) => record.group === group),
    ),
  );
  return [...byGroup, summarizeGroup('all', records)];
}

/** The contest's fine: SLA shortfall below 98% OK under 250 ms, plus inconsistencies. */
export function computeFine(okUnderSlaPercent: number, inconsistencyCount: number): Fine {
  const shortfallPercent = Math.max(0, SLA_OK_PERCENT_MIN - okUnderSlaPercent);
  const slaUsd = roundCents(shortfallPercent * FINE_PER_PERCENT_USD);
  const inconsistencyUsd = roundCents(inconsistencyCount * FINE_PER_INCONSISTENCY_USD);
  return {
    okUnderSlaPercent,
    slaUsd,
    inconsistencyCount,
    inconsistencyUsd,
    totalUsd: roundCents(slaUsd + inconsistencyUsd),
  };
}

function roundCents(usd: number): number {
  return Math.round(usd * 100) / 100;
}

/** How late the open-model arrivals were sent against their plan. */
export function summarizeLag(records: readonly RequestRecord[]): LagSummary {
  const lagsMs = records
    .filter((record) => record.group !== 'validations')
    .map((record) => Math.max(0, record.sentMs - record.intendedMs));
  const sorted = Float64Array.from(lagsMs).sort();
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length === 0 ? 0 : (sorted[sorted.length - 1] as number),
    lateCount: lagsMs.filter((lagMs) => lagMs > LAG_LATE_MS).length,
  };
}

/** Per-second series over the run: planned, sent, answered OK/KO, response percentiles. */
export function secondSeries(records: readonly RequestRecord[]): SecondBucket[] {
  const lastMs = records.reduce(
    (latest, record) => Math.max(latest, record.sentMs + record.durationMs, record.intendedMs),
    0,
  );
  const seconds = Math.floor(lastMs / 1000) + 1;
  const planned = new Array<number>(seconds).fill(0);
  const sent = new Array<number>(seconds).fill(0);
  const ok = new Array<number>(seconds).fill(0);
  const ko = new Array<number>(seconds).fill(0);
  const durations: number[][] = Array.from({ length: seconds }, () => []);
  const at = (ms: number): number => Math.min(seconds - 1, Math.max(0, Math.floor(ms / 1000)));
  for (const record of records) {
    planned[at(record.intendedMs)] = (planned[at(record.intendedMs)] ?? 0) + 1;
    sent[at(record.sentMs)] = (sent[at(record.sentMs)] ?? 0) + 1;
    const answered = at(record.sentMs + record.durationMs);
    if (record.ok) ok[answered] = (ok[answered] ?? 0) + 1;
    else ko[answered] = (ko[answered] ?? 0) + 1;
    durations[at(record.sentMs)]?.push(record.durationMs);
  }
  return durations.map((values, second) => {
    const sorted = Float64Array.from(values).sort();
    const empty = sorted.length === 0;
    return {
      second,
      plannedCount: planned[second] ?? 0,
      sentCount: sent[second] ?? 0,
      okCount: ok[second] ?? 0,
      koCount: ko[second] ?? 0,
      p50Ms: empty ? null : percentile(sorted, 0.5),
      p95Ms: empty ? null : percentile(sorted, 0.95),
      p99Ms: empty ? null : percentile(sorted, 0.99),
      maxMs: empty ? null : (sorted[sorted.length - 1] as number),
    };
  });
}
