// The end-of-run summary as text, laid out like Gatling's console table so people who
// know the contest's reports read it at a glance: one row per request group, then the
// KO reasons, the inconsistencies, the fine and the load generator's own lag.
import { FINE_PER_INCONSISTENCY_USD, SLA_OK_PERCENT_MIN, SLA_RESPONSE_MS } from './contest.js';
import { formatMs, formatPercent, formatUsd } from './format.js';
import type { LoadTestResult } from './run-load-test.js';
import type { GroupSummary } from './stats.js';

const COLUMNS = ['count', 'OK', 'KO', 'min', 'p50', 'p75', 'p95', 'p99', 'max'] as const;

function row(summary: GroupSummary): string {
  const cells = [
    String(summary.count),
    String(summary.okCount),
    String(summary.koCount),
    formatMs(summary.minMs),
    formatMs(summary.p50Ms),
    formatMs(summary.p75Ms),
    formatMs(summary.p95Ms),
    formatMs(summary.p99Ms),
    formatMs(summary.maxMs),
  ];
  const ok = formatPercent(summary.okUnderSlaPercent).padStart(12);
  return `${summary.group.padEnd(12)}${cells.map((cell) => cell.padStart(8)).join('')}${ok}`;
}

export function renderTextSummary(result: LoadTestResult): string {
  const rule = '='.repeat(96);
  const lines = [
    rule,
    `Rinha load test against ${result.url}: time scale ${result.timeScale}, ` +
      `rate scale ${result.rateScale}, ${(result.durationMs / 1000).toFixed(1)} s, ` +
      `${result.total.count} of ${result.plannedCount} planned requests`,
    rule,
    `${'group'.padEnd(12)}${COLUMNS.map((name) => name.padStart(8)).join('')}` +
      `${`OK<${SLA_RESPONSE_MS}ms`.padStart(12)}`,
    ...result.summaries.map(row),
    '(times in ms)',
  ];
  const failing = result.summaries.filter((s) => s.group !== 'all' && s.koReasons.length > 0);
  if (failing.length > 0) {
    lines.push('', 'KO reasons:');
    for (const summary of failing) {
      for (const { reason, count } of summary.koReasons) {
        lines.push(`  ${summary.group.padEnd(12)}${String(count).padStart(7)} × ${reason}`);
      }
    }
  }
  const { fine, lag } = result;
  lines.push(
    '',
    `Inconsistent balances: ${result.inconsistencyCount}`,
    `OK under ${SLA_RESPONSE_MS} ms: ${formatPercent(fine.okUnderSlaPercent)} ` +
      `(${SLA_OK_PERCENT_MIN}% required)`,
    `Fine: ${formatUsd(fine.totalUsd)} (SLA ${formatUsd(fine.slaUsd)} + ` +
      `${fine.inconsistencyCount} × ${formatUsd(FINE_PER_INCONSISTENCY_USD)})`,
    `Scheduling lag: p50 ${formatMs(lag.p50Ms)} ms, p99 ${formatMs(lag.p99Ms)} ms, ` +
      `max ${formatMs(lag.maxMs)} ms, ${lag.lateCount} of ${lag.count} sends over 10 ms late`,
    ...result.warnings.map((warning) => `WARNING: ${warning}`),
    `Result: ${result.passed ? 'PASS' : 'FAIL'}`,
    rule,
  );
  return lines.join('\n');
}
