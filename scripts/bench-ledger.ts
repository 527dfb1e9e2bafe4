// `npm run bench:ledger [-- --seconds 5 --concurrency 1,8,32,64 --transport pipeline,unary
// --rinha]`: latency percentiles and throughput of both ledger operations over real
// gRPC (the Pipeline stream and the unary RPCs), postings with and without an
// idempotency key, against a real, durable PostgreSQL
// (embedded, fresh, in a temporary directory). A benchmark, not a test: it prints
// figures and asserts nothing.
import { fork } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  createLedgerClient,
  type LedgerClient,
  type LedgerReply,
  type LedgerTransport,
} from '../http-facade/ledger-client.js';
import { startPostgres } from '../stack/postgres.js';
import { DURABLE_SETTINGS, RINHA_SETTINGS } from '../stack/postgres-settings.js';
import { ensureSchema } from '../stack/schema.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1,8,32,64' },
    rinha: { type: 'boolean', default: false },
    'pool-size': { type: 'string', default: '8' },
    transport: { type: 'string', default: 'pipeline,unary' },
  },
});
const durationMs = Number(values.seconds) * 1000;
const concurrencyLevels = values.concurrency.split(',').map(Number);
const TIMEOUT_MS = 5000;
const POSTGRES_PORT = 25433;
const LEDGER_ADDRESS = '127.0.0.1:25051';

function percentile(sorted: number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? Number.NaN;
}

async function measure(
  label: string,
  concurrency: number,
  call: (index: number) => Promise<LedgerReply<unknown>>,
): Promise<void> {
  const latenciesMs: number[] = [];
  let errors = 0;
  let index = 0;
  const endAt = performance.now() + durationMs;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < endAt) {
        const sentAt = performance.now();
        const reply = await call(index++);
        latenciesMs.push(performance.now() - sentAt);
        if (!reply.ok) errors++;
      }
    }),
  );
  const elapsedS = (performance.now() - startedAt) / 1000;
  latenciesMs.sort((a, b) => a - b);
  const format = (ms: number) => ms.toFixed(2).padStart(8);
  console.log(
    `${label.padEnd(32)} ${String(concurrency).padStart(5)} ${String(latenciesMs.length).padStart(8)} ` +
      `${(latenciesMs.length / elapsedS).toFixed(0).padStart(8)} ${format(percentile(latenciesMs, 0.5))} ` +
      `${format(percentile(latenciesMs, 0.99))} ${format(latenciesMs.at(-1) ?? Number.NaN)} ${String(errors).padStart(6)}`,
  );
}

function posting(index: number, idempotencyKey: string) {
  return {
    clientId: 1 + (index % 5),
    amount: 1 + (index % 100),
    kind:
      index % 2 === 0 ? ('TRANSACTION_KIND_CREDIT' as const) : ('TRANSACTION_KIND_DEBIT' as const),
    description: 'bench',
    idempotencyKey,
  };
}

/** Plain postings, postings each with a new idempotency key (the key's cost), statements. */
async function measureTransport(transport: LedgerTransport, client: LedgerClient): Promise<void> {
  const run = `${process.pid}-${Date.now()}`;
  for (const concurrency of concurrencyLevels) {
    await measure(`PostTransaction ${transport}`, concurrency, (index) =>
      client.postTransaction(posting(index, ''), TIMEOUT_MS),
    );
    await measure(`PostTransaction keyed ${transport}`, concurrency, (index) =>
      client.postTransaction(posting(index, `${run}-${concurrency}-${index}`), TIMEOUT_MS),
    );
    await measure(`GetStatement ${transport}`, concurrency, (index) =>
      client.getStatement(1 + (index % 5), TIMEOUT_MS),
    );
  }
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(path.join(tmpdir(), 'ledger-bench-'));
  chmodSync(workDir, 0o755);
  const postgres = await startPostgres({
    dataDir: path.join(workDir, 'postgres'),
    port: POSTGRES_PORT,
    settings: values.rinha ? RINHA_SETTINGS : DURABLE_SETTINGS,
  });
  const ledgerMain = path.resolve(
    path.dirname(new URL(import.meta.url).pathname),
    '../ledger-service/main.js',
  );
  const databaseUrl = postgres.url('ledger');
  await ensureSchema(databaseUrl, 'init.sql');
  const ledger = fork(ledgerMain, [], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      LEDGER_LISTEN_ADDRESS: LEDGER_ADDRESS,
      LEDGER_POOL_SIZE: values['pool-size'],
      LOG_LEVEL: 'warn',
    },
  });
  const transports = values.transport.split(',') as LedgerTransport[];
  const clients = transports.map((transport) => ({
    transport,
    client: createLedgerClient(LEDGER_ADDRESS, transport),
  }));
  try {
    const first = clients[0]?.client as LedgerClient;
    while (!(await first.isServing(1000))) await new Promise((resolve) => setTimeout(resolve, 100));
    console.log(
      `ledger benchmark: ${values.rinha ? 'RINHA MODE (synchronous_commit off)' : 'durable (fsync, synchronous_commit on)'}, ` +
        `pool ${values['pool-size']}, ${values.seconds} s per row, node ${process.version}`,
    );
    console.log(
      'operation                        conc.    calls    req/s   p50 ms   p99 ms   max ms  errors',
    );
    for (const { transport, client } of clients) await measureTransport(transport, client);
  } finally {
    for (const each of clients) each.client.close();
    ledger.kill('SIGTERM');
    await new Promise((resolve) => ledger.once('exit', resolve));
    await postgres.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
