// Starts the real ledger gRPC server in the test process, on loopback, against a
// real database, and a real client for it.
import * as grpc from '@grpc/grpc-js';
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
export function rawLedgerServiceClient(address: string): LedgerServiceClient {
  const proto = grpc.loadPackageDefinition(
    loadLedgerPackageDefinition(),
  ) as unknown as ProtoGrpcType;
  return new proto.ledger.v1.LedgerService(address, grpc.credentials.createInsecure());
}
