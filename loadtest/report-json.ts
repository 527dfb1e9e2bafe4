// The JSON file of a run: every summary figure, the per-second series and every request
// (as rows under a column list, to keep 60,000 records to a few megabytes), so any
// other chart or comparison can be made from it later.
import type { LoadTestResult } from './run-load-test.js';
import { secondSeries } from './stats.js';

export const RECORD_COLUMNS = [
  'group',
  'name',
  'intendedMs',
  'sentMs',
  'durationMs',
  'status',
  'ok',
  'reason',
  'detail',
  'inconsistency',
] as const;

function roundMs(valueMs: number): number {
  return Math.round(valueMs * 1000) / 1000;
}

export function renderJsonReport(result: LoadTestResult): string {
  const { records, ...summary } = result;
  const rows = records.map((record) => [
    record.group,
    record.name,
    roundMs(record.intendedMs),
    roundMs(record.sentMs),
    roundMs(record.durationMs),
    record.status,
    record.ok,
    record.reason,
    record.detail,
    record.inconsistency,
  ]);
  const report = {
    ...summary,
    seconds: secondSeries(records),
    records: { columns: RECORD_COLUMNS, rows },
  };
  return `${JSON.stringify(report)}\n`;
}
