// Goal: the metrics are right end to end, as an operator's Prometheus sees them. A
// known load (200 postings: 150 applied, 30 refused for the limit, 20 invalid; 50
// statements; 5 invalid postings sent to the ledger directly) must show up in
// PromQL as exactly those counts: summed across the two facades (each a node:cluster
// worker with its own listener, both of which got part of the load), and in the
// ledger by outcome. The Grafana dashboard's queries name only metrics that exist.
// Method: the native stack as `npm start` runs it (tests/support/stack-process.ts)
// with metrics on, and a real Prometheus (Debian's 2.42 binary, skipped when absent)
// scraping its three listeners every second. Each count is polled from Prometheus's
// HTTP API until it reaches the expected value (bounded loop, no sleep as sync).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawLedgerServiceClient } from './support/ledger.js';
import { testPort } from './support/ports.js';
import { type StackProcess, startStackProcess } from './support/stack-process.js';

const PROMETHEUS_BINARY = '/usr/bin/prometheus';
const DASHBOARD_FILE = 'deploy/grafana/ledger-dashboard.json';
// Generous: a scrape every second; on two shared cores a query answer takes well
// under a second. 30 s is many times the few seconds a settle takes when measured.
const SETTLE_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 250;

const APPLIED = 150;
const LIMIT_REFUSED = 30;
const INVALID_AT_FACADE = 20;
const STATEMENTS = 50;
const INVALID_AT_LEDGER = 5;

/** Three consecutive test ports: the ledger's, then one per facade. */
function consecutivePorts(count: number): number {
  for (;;) {
    const ports = Array.from({ length: count }, () => testPort());
    if (ports.every((port, index) => port === (ports[0] as number) + index)) {
      return ports[0] as number;
    }
  }
}

interface Prometheus {
  readonly url: string;
  stop(): Promise<void>;
}

function startPrometheus(metricsPort: number): Prometheus {
  const workDir = mkdtempSync(path.join(tmpdir(), 'prometheus-'));
  const configFile = path.join(workDir, 'prometheus.yml');
  const target = (offset: number) => `'127.0.0.1:${metricsPort + offset}'`;
  writeFileSync(
    configFile,
    [
      'global: { scrape_interval: 1s, scrape_timeout: 1s }',
      'scrape_configs:',
      `  - { job_name: ledger, static_configs: [{ targets: [${target(0)}] }] }`,
      `  - { job_name: facade, static_configs: [{ targets: [${target(1)}, ${target(2)}] }] }`,
      '',
    ].join('\n'),
  );
  const address = `127.0.0.1:${testPort()}`;
  const child: ChildProcess = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(workDir, 'data')}`,
      `--web.listen-address=${address}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `http://${address}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(workDir, { recursive: true, force: true });
      if (child.exitCode !== 0 && child.exitCode !== null) console.error(output);
    },
  };
}

/** The value of a scalar-like PromQL query: one sample, or 0 when it has none. */
async function query(prometheus: Prometheus, expression: string): Promise<number | undefined> {
  try {
    const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(expression)}`;
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (response.status !== 200) return undefined;
    const body = (await response.json()) as { data: { result: { value: [number, string] }[] } };
    const samples = body.data.result;
    if (samples.length > 1) throw new Error(`${expression}: ${samples.length} samples, want 1`);
    return samples.length === 0 ? 0 : Number(samples[0]?.value[1]);
  } catch (error) {
    if (error instanceof Error && error.message.includes('samples')) throw error;
    return undefined; // not up yet
  }
}

/** Polls until the query answers `expected`; resolves with the last answer either way. */
async function settle(
  prometheus: Prometheus,
  expression: string,
  expected: number,
): Promise<number | undefined> {
  const until = Date.now() + SETTLE_TIMEOUT_MS;
  let value = await query(prometheus, expression);
  while (value !== expected && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    value = await query(prometheus, expression);
  }
  return value;
}

/** Polls until every target has been scraped since now: answers then include the past. */
async function scrapedSinceNow(prometheus: Prometheus): Promise<void> {
  const nowSeconds = Date.now() / 1000;
  const until = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const oldest = await query(prometheus, 'min(timestamp(up))');
    if (oldest !== undefined && oldest > nowSeconds) return;
    if (Date.now() > until) throw new Error(`no scrape since ${nowSeconds}: ${oldest}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

async function send(url: string, init: RequestInit & { headers?: Record<string, string> }) {
  // A new connection each time: node:cluster balances connections round robin, so
  // both facades get part of the load and only the sum is the whole.
  const response = await fetch(url, { ...init, headers: { ...init.headers, connection: 'close' } });
  await response.arrayBuffer();
  return response.status;
}

const hasPrometheus = existsSync(PROMETHEUS_BINARY);

describe.skipIf(!hasPrometheus)('a real Prometheus scraping the native stack', () => {
  let stack: StackProcess;
  let prometheus: Prometheus;
  let metricsPort: number;

  beforeAll(async () => {
    metricsPort = consecutivePorts(3);
    stack = await startStackProcess(['--fresh', '--metrics-port', String(metricsPort)]);
    prometheus = startPrometheus(metricsPort);
    expect(await settle(prometheus, 'sum(up)', 3)).toBe(3);
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await stack?.stop();
  });

  it('prints one metrics line per process and keeps /metrics off the public port', async () => {
    for (let offset = 0; offset < 3; offset++) {
      expect(stack.output()).toContain(`metrics http://127.0.0.1:${metricsPort + offset}/metrics`);
    }
    expect(await send(`${stack.httpUrl}/metrics`, {})).toBe(404);
  });

  it('counts a known load exactly, across facades and in the ledger by outcome', async () => {
    const checks: Record<string, number> = {
      'sum(facade_http_requests_total{route="/clientes/:id/transacoes",status="200"})': APPLIED,
      'sum(facade_http_requests_total{route="/clientes/:id/transacoes",status="422"})':
        LIMIT_REFUSED + INVALID_AT_FACADE,
      'sum(facade_http_requests_total{route="/clientes/:id/extrato",status="200"})': STATEMENTS,
      'sum(facade_ledger_calls_total{operation="PostTransaction",code="OK"})': APPLIED,
      'sum(facade_ledger_calls_total{operation="PostTransaction",code="FAILED_PRECONDITION"})':
        LIMIT_REFUSED,
      'sum(facade_http_request_duration_seconds_count{route="/clientes/:id/transacoes"})':
        APPLIED + LIMIT_REFUSED + INVALID_AT_FACADE,
      'sum(ledger_postings_total{outcome="applied"})': APPLIED,
      'sum(ledger_postings_total{outcome="limit_exceeded"})': LIMIT_REFUSED,
      'sum(ledger_postings_total{outcome="invalid"})': INVALID_AT_LEDGER,
      'sum(ledger_posting_batch_size_sum)': APPLIED + LIMIT_REFUSED,
      'sum(ledger_grpc_operations_total{method="GetStatement",transport="pipeline",code="OK"})':
        STATEMENTS,
      'sum(ledger_grpc_operations_total{method="PostTransaction",transport="unary",code="INVALID_ARGUMENT"})':
        INVALID_AT_LEDGER,
    };
    // What the stack's own readiness check left behind; the load comes on top.
    await scrapedSinceNow(prometheus);
    const before: Record<string, number> = {};
    for (const expression of Object.keys(checks)) {
      before[expression] = (await query(prometheus, expression)) ?? Number.NaN;
    }

    const posting = (id: number, valor: number, tipo: string, descricao: string) =>
      send(`${stack.httpUrl}/clientes/${id}/transacoes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ valor, tipo, descricao }),
      });
    const statuses: number[] = [];
    for (let index = 0; index < APPLIED; index++) {
      statuses.push(await posting((index % 5) + 1, 1, 'c', 'credito'));
    }
    for (let index = 0; index < LIMIT_REFUSED; index++) {
      // Client 1's limit is 100000: a debit of 10^9 is always refused.
      statuses.push(await posting(1, 1_000_000_000, 'd', 'grande'));
    }
    for (let index = 0; index < INVALID_AT_FACADE; index++) {
      statuses.push(await posting(2, 1, 'c', 'descricao longa demais'));
    }
    for (let index = 0; index < STATEMENTS; index++) {
      statuses.push(await send(`${stack.httpUrl}/clientes/${(index % 5) + 1}/extrato`, {}));
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(APPLIED + STATEMENTS);
    expect(statuses.filter((status) => status === 422)).toHaveLength(
      LIMIT_REFUSED + INVALID_AT_FACADE,
    );
    await sendInvalidToLedger(stack.ledgerAddress);

    for (const [expression, sent] of Object.entries(checks)) {
      const expected = (before[expression] ?? 0) + sent;
      expect({ expression, value: await settle(prometheus, expression, expected) }).toEqual({
        expression,
        value: expected,
      });
    }
    // Both facades served part of the postings: neither one's counter is the whole.
    const perFacade =
      'count(sum by (instance) (facade_http_requests_total{route="/clientes/:id/transacoes"}) > 0)';
    expect(await query(prometheus, perFacade)).toBe(2);
  }, 120_000);

  it('scrapes every metric the Grafana dashboard queries', async () => {
    const dashboard = readFileSync(DASHBOARD_FILE, 'utf8');
    const expressions = [...dashboard.matchAll(/"expr":\s*"((?:[^"\\]|\\.)*)"/g)].map(
      (match) => JSON.parse(`"${match[1]}"`) as string,
    );
    expect(expressions.length).toBeGreaterThan(10);
    const named = new Set(
      expressions.flatMap((expression) =>
        [...expression.matchAll(/\b((?:facade|ledger|envoy|process|nodejs)_[a-z0-9_]+)/g)].map(
          (match) => (match[1] as string).replace(/_(bucket|sum|count)$/, ''),
        ),
      ),
    );
    const scraped = new Set<string>();
    for (let offset = 0; offset < 3; offset++) {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort + offset}/metrics`)).text();
      for (const match of text.matchAll(/^# TYPE (\S+) /gm)) scraped.add(match[1] as string);
    }
    // Envoy is the production balancer, not part of the native stack: its names are
    // checked against Envoy's documented statistics by hand (docs/OPERATIONS.md).
    const missing = [...named].filter((name) => !name.startsWith('envoy_') && !scraped.has(name));
    expect(missing).toEqual([]);
    expect([...named].filter((name) => !name.startsWith('envoy_')).length).toBeGreaterThan(10);
  });
});

/** Postings the facade would never send (amount 0), straight to the ledger over gRPC. */
async function sendInvalidToLedger(address: string): Promise<void> {
  const client = rawLedgerServiceClient(address);
  try {
    for (let index = 0; index < INVALID_AT_LEDGER; index++) {
      const metadata = new grpc.Metadata();
      metadata.set('x-request-id', `prometheus-test-${index}`);
      const code = await new Promise<number>((resolve) =>
        client.PostTransaction(
          { clientId: 1, amount: 0, kind: 'TRANSACTION_KIND_CREDIT', description: 'zero' },
          metadata,
          { deadline: Date.now() + 5000 },
          (error) => resolve(error?.code ?? grpc.status.OK),
        ),
      );
      expect(code).toBe(grpc.status.INVALID_ARGUMENT);
    }
  } finally {
    client.close();
  }
}
