// The self-contained HTML report of a run: key figures first, then the Gatling-like
// table, the charts (inline SVG, no script, no CDN, so it opens offline and can be
// attached to anything) and the KO reasons with examples of the failing requests.
import { FINE_PER_INCONSISTENCY_USD, SLA_OK_PERCENT_MIN, SLA_RESPONSE_MS } from './contest.js';
import { formatCount, formatMs, formatPercent, formatUsd } from './format.js';
import type { RequestRecord } from './recorder.js';
import type { LoadTestResult } from './run-load-test.js';
import { type GroupSummary, type SecondBucket, secondSeries, statusLabel } from './stats.js';
import { type BarRow, escapeXml as e, lineChart, stackedBarChart } from './svg-chart.js';

/** Failing requests listed with their detail; the rest are only counted. */
const FAILURE_EXAMPLES_MAX = 50;

const STYLE = `
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1f2328; background: #f6f7f9; }
  main { max-width: 1000px; margin: 0 auto; padding: 24px; }
  h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
  .meta { color: #57606a; } .badge { padding: 2px 10px; border-radius: 12px; color: #fff; }
  .pass { background: #2b8a3e; } .fail { background: #c92a2a; }
  .cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin-top: 16px; }
  .card { background: #fff; border: 1px solid #d8dee4; border-radius: 8px; padding: 10px 12px; }
  .card b { display: block; font-size: 20px; } .card span { color: #57606a; font-size: 12px; }
  .card.bad b { color: #c92a2a; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  th, td { border: 1px solid #d8dee4; padding: 4px 8px; text-align: right; }
  th:first-child, td:first-child, td.text, th.text { text-align: left; } tr.all td { font-weight: 600; }
  td.ko { color: #c92a2a; font-weight: 600; }
  .chart { width: 100%; height: auto; background: #fff; border: 1px solid #d8dee4;
    border-radius: 8px; }
  .grid { stroke: #e6e9ed; } .tick, .legend, .bar-label { font-size: 11px; fill: #57606a; }
  .bar-label { fill: #fff; } .axis { font-size: 12px; fill: #57606a; }
  .reference { stroke: #c92a2a; stroke-dasharray: 6 4; stroke-opacity: 0.6; }
  .reference-label { font-size: 11px; fill: #c92a2a; }
  .warning { background: #fff4e5; border: 1px solid #f08c00; padding: 8px 12px; border-radius: 8px; }
  p.help { color: #57606a; margin: 4px 0 8px; }
`;

function card(label: string, value: string, bad = false): string {
  return `<div class="card${bad ? ' bad' : ''}"><b>${e(value)}</b><span>${e(label)}</span></div>`;
}

function keyFigures(result: LoadTestResult): string {
  const { total, fine, lag } = result;
  return `<div class="cards">${[
    card('requests', formatCount(total.count)),
    card('KO', formatCount(total.koCount), total.koCount > 0),
    card(
      'inconsistent balances',
      formatCount(result.inconsistencyCount),
      fine.inconsistencyCount > 0,
    ),
    card(`OK under ${SLA_RESPONSE_MS} ms`, formatPercent(fine.okUnderSlaPercent), fine.slaUsd > 0),
    card('p50 / p99 (ms)', `${formatMs(total.p50Ms)} / ${formatMs(total.p99Ms)}`),
    card('max (ms)', formatMs(total.maxMs)),
    card('fine', formatUsd(fine.totalUsd), fine.totalUsd > 0),
    card('scheduling lag p99 (ms)', formatMs(lag.p99Ms), result.warnings.length > 0),
  ].join('')}</div>`;
}

function summaryTable(summaries: readonly GroupSummary[]): string {
  const head = ['group', 'count', 'OK', 'KO', 'min', 'p50', 'p75', 'p95', 'p99', 'max', 'mean']
    .map((name) => `<th>${name}</th>`)
    .join('');
  const rows = summaries.map((s) => {
    const cells = [s.count, s.okCount].map((n) => `<td>${formatCount(n)}</td>`);
    cells.push(`<td class="${s.koCount > 0 ? 'ko' : ''}">${formatCount(s.koCount)}</td>`);
    for (const ms of [s.minMs, s.p50Ms, s.p75Ms, s.p95Ms, s.p99Ms, s.maxMs, s.meanMs]) {
      cells.push(`<td>${formatMs(ms)}</td>`);
    }
    cells.push(`<td>${formatPercent(s.okUnderSlaPercent)}</td>`);
    return `<tr class="${s.group}"><td>${s.group}</td>${cells.join('')}</tr>`;
  });
  return (
    `<table id="summary"><thead><tr>${head}<th>OK &lt; ${SLA_RESPONSE_MS} ms</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table><p class="help">Times in milliseconds, from ` +
    'opening the connection to the last byte of the answer.</p>'
  );
}

function latencyChart(seconds: readonly SecondBucket[]): string {
  const pick = (field: 'p50Ms' | 'p95Ms' | 'p99Ms' | 'maxMs') =>
    seconds.map((bucket) => [bucket.second, bucket[field]] as const);
  return lineChart({
    id: 'latency',
    title: 'Response time percentiles per second',
    xLabel: 'seconds since start (by send time)',
    yLabel: 'response time (ms, log scale)',
    logY: true,
    referenceY: { value: SLA_RESPONSE_MS, label: `SLA ${SLA_RESPONSE_MS} ms` },
    series: [
      { name: 'p50', color: '#2b8a3e', points: pick('p50Ms') },
      { name: 'p95', color: '#1c7ed6', points: pick('p95Ms') },
      { name: 'p99', color: '#f08c00', points: pick('p99Ms') },
      { name: 'max', color: '#c92a2a', points: pick('maxMs'), dashed: true },
    ],
  });
}

function throughputChart(seconds: readonly SecondBucket[]): string {
  const pick = (field: 'plannedCount' | 'sentCount' | 'okCount' | 'koCount') =>
    seconds.map((bucket) => [bucket.second, bucket[field]] as const);
  return lineChart({
    id: 'throughput',
    title: 'Arrivals and responses per second',
    xLabel: 'seconds since start',
    yLabel: 'requests per second',
    series: [
      { name: 'OK responses', color: '#2b8a3e', points: pick('okCount'), wide: true },
      { name: 'sent', color: '#1c7ed6', points: pick('sentCount') },
      { name: 'planned arrivals', color: '#495057', points: pick('plannedCount'), dashed: true },
      { name: 'KO responses', color: '#c92a2a', points: pick('koCount') },
    ],
  });
}

function statusColor(label: string): string {
  if (label === '200') return '#2b8a3e';
  if (label === '422') return '#0c8599';
  if (label === '400' || label === '404') return '#5f3dc4';
  if (label.startsWith('4')) return '#f08c00';
  if (label.startsWith('5')) return '#c92a2a';
  return '#868e96';
}

function statusChart(summaries: readonly GroupSummary[]): string {
  const rows: BarRow[] = summaries
    .filter((summary) => summary.group !== 'all' && summary.count > 0)
    .map((summary) => ({
      label: summary.group,
      segments: Object.entries(summary.statusCounts)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([label, value]) => ({ label, value, color: statusColor(label) })),
    }));
  return stackedBarChart('status', 'Status codes per group', rows);
}

function koSection(result: LoadTestResult): string {
  const failing = result.summaries.filter((s) => s.group !== 'all' && s.koCount > 0);
  if (failing.length === 0) return '<p id="ko">No KO: every request passed its checks.</p>';
  const reasonRows = failing.flatMap((summary) =>
    summary.koReasons.map(
      ({ reason, count }) =>
        `<tr><td>${summary.group}</td><td>${formatCount(count)}</td><td class="text">${e(reason)}</td></tr>`,
    ),
  );
  const examples = result.records
    .filter((record) => !record.ok)
    .sort((a, b) => a.sentMs - b.sentMs)
    .slice(0, FAILURE_EXAMPLES_MAX);
  return (
    `<table id="ko"><thead><tr><th>group</th><th>count</th><th class="text">reason</th></tr></thead>` +
    `<tbody>${reasonRows.join('')}</tbody></table>` +
    `<h2>First failing requests</h2>${failureTable(examples)}`
  );
}

function failureTable(records: readonly RequestRecord[]): string {
  const rows = records.map(
    (record) =>
      `<tr><td>${(record.sentMs / 1000).toFixed(3)}</td><td class="text">${e(record.name)}</td>` +
      `<td>${statusLabel(record.status)}</td><td class="text">${e(record.reason ?? '')}</td>` +
      `<td class="text">${e(record.detail ?? '')}</td><td>${record.inconsistency ? 'yes' : ''}</td></tr>`,
  );
  return (
    '<table><thead><tr><th>sent (s)</th><th class="text">request</th><th>status</th>' +
    '<th class="text">reason</th><th class="text">detail</th><th>inconsistent</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

export function renderHtmlReport(result: LoadTestResult): string {
  const seconds = secondSeries(result.records);
  const verdict = result.passed
    ? '<span class="badge pass">PASS</span>'
    : '<span class="badge fail">FAIL</span>';
  const warnings = result.warnings.map((w) => `<p class="warning">${e(w)}</p>`).join('');
  const { fine } = result;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rinha load test: ${e(result.url)}</title><style>${STYLE}</style></head>
<body><main>
<h1>Rinha load test ${verdict}</h1>
<div class="meta">${e(result.url)} · started ${e(result.startedAt)} · ${(result.durationMs / 1000).toFixed(1)} s ·
time scale ${result.timeScale} · rate scale ${result.rateScale} ·
${formatCount(result.total.count)} of ${formatCount(result.plannedCount)} planned requests</div>
${keyFigures(result)}${warnings}
<h2>Summary per request group</h2>${summaryTable(result.summaries)}
<p class="help">Fine: (${SLA_OK_PERCENT_MIN} − % OK under ${SLA_RESPONSE_MS} ms) × USD 1,000 below
${SLA_OK_PERCENT_MIN}% = ${formatUsd(fine.slaUsd)}, plus ${fine.inconsistencyCount} inconsistent
balance(s) × ${formatUsd(FINE_PER_INCONSISTENCY_USD)} = ${formatUsd(fine.inconsistencyUsd)}.
Scheduling lag (send time minus planned time): p50 ${formatMs(result.lag.p50Ms)} ms,
p99 ${formatMs(result.lag.p99Ms)} ms, max ${formatMs(result.lag.maxMs)} ms.</p>
<h2>Response time percentiles per second</h2>
<p class="help">Requests grouped by the second they were sent in; log scale, so 1, 10 and 100 ms are
evenly spaced. The contest's SLA is ${SLA_RESPONSE_MS} ms.</p>${latencyChart(seconds)}
<h2>Arrivals and responses per second</h2>
<p class="help">Planned arrivals follow the open model; "sent" should sit on them (if it lags, the
load generator fell behind). Responses are counted in the second they completed.</p>
${throughputChart(seconds)}
<h2>Status codes</h2>${statusChart(result.summaries)}
<h2>KO reasons</h2>${koSection(result)}
</main></body></html>
`;
}
