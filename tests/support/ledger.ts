// Starts the real ledger gRPC server in the test process, on loopback, against a
// real database, and a real client for it; or the built ledger in a child process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import { expect } from 'vitest';
import { createLogger } from '../../common/logger.js';
import {
  createLedgerClient,
  type LedgerClient,
  type LedgerTransport,
} from '../../http-facade/ledger-client.js';
import { batchingOf, parseLedgerConfig } from '../../ledger-service/config.js';
import { createPostgresStore } from '../../ledger-service/db.js';
import { buildLedgerServer } from '../../ledger-service/grpc-server.js';
import { type HealthMonitor, startHealthMonitor } from '../../ledger-service/health-monitor.js';
import type { LedgerServiceClient } from '../../proto/generated/ledger/v1/LedgerService.js';
import type { ProtoGrpcType } from '../../proto/generated/ledger.js';
import { loadLedgerPackageDefinition } from '../../proto/loader.js';
import { testPort } from './ports.js';

export interface TestLedger {
  readonly address: string;
  readonly client: LedgerClient;
  readonly monitor: HealthMonitor;
  stop(): Promise<void>;
  /** What a graceful shutdown does first: pipeline streams refuse new work and end. */
  drainPipelines(): void;
  /** Cancels every call in flight and stops the server at once, as a crash would. */
  forceStop(): Promise<void>;
}

export async function startTestLedger(
  databaseUrl: string,
  env: Record<string, string> = {},
  transport: LedgerTransport = 'pipeline',
): Promise<TestLedger> {
  const config = parseLedgerConfig({
    DATABASE_URL: databaseUrl,
    LEDGER_LISTEN_ADDRESS: `127.0.0.1:${testPort()}`,
    LEDGER_HEALTH_INTERVAL_MS: '200',
    ...env,
  });
  const address = config.listenAddress;
  const logger = createLogger('ledger-test', 'silent');
  const store = createPostgresStore(config, logger);
  const { server, health, drainPipelines } = buildLedgerServer({
    store,
    logger,
    batching: batchingOf(config),
  });
  const monitor = startHealthMonitor(store, health, config.healthCheckIntervalMs, logger);
  await monitor.check();
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error) =>
      error ? reject(error) : resolve(),
    ),
  );
  const client = createLedgerClient(address, transport);
  return {
    address,
    client,
    monitor,
    async stop() {
      client.close();
      monitor.stop();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      await store.close();
    },
    drainPipelines,
    async forceStop() {
      monitor.stop();
      server.forceShutdown();
      await store.close();
    },
  };
}

/** A bare grpc-js client of the LedgerService, for tests that drive the wire directly. */
export function rawLedgerServiceClient(
  address: string,
  loaderOverrides: protoLoader.Options = {},
): LedgerServiceClient {
  const proto = grpc.loadPackageDefinition(
    loadLedgerPackageDefinition(loaderOverrides),
  ) as unknown as ProtoGrpcType;
  return new proto.ledger.v1.LedgerService(address, grpc.credentials.createInsecure());
}

export interface LedgerProcess {
  readonly address: string;
  readonly pid: number;
  /** Everything the process printed so far. */
  output(): string;
  stop(): Promise<void>;
}

const LEDGER_MAIN = 'dist/ledger-service/main.js';
const LEDGER_START_WAIT_MS = 20_000;

/**
 * The built ledger (dist/) in a child process of its own, for tests that measure what
 * only a process shows (its resident memory); resolves once it reports SERVING.
 */
export async function startLedgerProcess(databaseUrl: string): Promise<LedgerProcess> {
  const address = `127.0.0.1:${testPort()}`;
  const child = spawn(process.execPath, [LEDGER_MAIN], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      LEDGER_LISTEN_ADDRESS: address,
      LEDGER_HEALTH_INTERVAL_MS: '200',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const client = createLedgerClient(address, 'unary');
  try {
    const until = Date.now() + LEDGER_START_WAIT_MS;
    while (!(await client.isServing(500))) {
      if (child.exitCode !== null || Date.now() > until) {
        await stop();
        throw new Error(`the ledger did not start serving on ${address}:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.close();
  }
  assert.ok(child.pid !== undefined);
  return { address, pid: child.pid, output: () => output, stop };
}

/**
 * What an applied, first-time posting answers: the limit and balance given, and a
 * transaction id and commit time whatever they are.
 */
export function appliedPosting(limit: number, balance: number) {
  return {
    limit,
    balance,
    transactionId: expect.any(Number),
    createdAt: { seconds: expect.any(Number), nanos: expect.any(Number) },
    replayed: false,
  };
}
