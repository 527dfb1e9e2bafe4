// Wires the ledger process: configuration, logs, the PostgreSQL pool, the gRPC
// server with health and reflection, and a graceful shutdown on SIGTERM/SIGINT.
import { rmSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { loadConfigOrExit } from '../common/env.js';
import { createLogger, type Logger } from '../common/logger.js';
import { listenMetrics } from '../common/metrics-server.js';
import { batchingOf, type LedgerConfig, parseLedgerConfig } from './config.js';
import { createPostgresStore } from './db.js';
import { buildLedgerServer } from './grpc-server.js';
import { startHealthMonitor } from './health-monitor.js';
import { startKeyPruner } from './key-pruner.js';
import { createLedgerMetrics, type LedgerMetrics } from './metrics.js';

/** The metrics listener, when configured; it binds before gRPC, so a scrape sees a start. */
async function serveMetrics(
  config: LedgerConfig,
  logger: Logger,
): Promise<LedgerMetrics | undefined> {
  if (config.metricsAddress === undefined) return undefined;
  const metrics = createLedgerMetrics();
  const { host, port } = config.metricsAddress;
  try {
    await listenMetrics(metrics.registry, config.metricsAddress);
  } catch (error) {
    console.error(`ledger: cannot serve metrics on ${host}:${port}: ${(error as Error).message}`);
    process.exit(1);
  }
  logger.info({ metrics: `http://${host}:${port}/metrics` }, 'ledger metrics listening');
  return metrics;
}

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    );
  });
}

/** Binds every address of the configuration, or exits with a message naming the one that failed. */
async function listen(
  server: grpc.Server,
  config: LedgerConfig,
  logger: Logger,
): Promise<string[]> {
  const addresses = [config.listenAddress];
  if (config.socketPath !== undefined) {
    // A socket file left by a killed predecessor would make the bind fail.
    rmSync(config.socketPath, { force: true });
    addresses.push(`unix:${config.socketPath}`);
  }
  for (const address of addresses) {
    try {
      await bind(server, address);
    } catch (error) {
      logger.fatal({ err: error, address }, 'cannot listen');
      console.error(`ledger: cannot listen on ${address}: ${(error as Error).message}`);
      process.exit(1);
    }
  }
  return addresses;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit('ledger', parseLedgerConfig);
  const logger = createLogger('ledger', config.logLevel);
  const metrics = await serveMetrics(config, logger);
  const store = createPostgresStore(config, logger, metrics?.databaseError);
  const { server, health, drainPipelines } = buildLedgerServer({
    store,
    logger,
    batching: batchingOf(config),
    metrics,
  });
  const monitor = startHealthMonitor(store, health, config.healthCheckIntervalMs, logger);
  if (metrics !== undefined) {
    metrics.sources.poolStats = store.poolStats;
    metrics.sources.serving = monitor.serving;
  }
  const pruner = startKeyPruner(
    store,
    {
      retentionHours: config.idempotencyRetentionHours,
      intervalMs: config.idempotencyPruneIntervalMs,
    },
    logger,
  );

  try {
    await store.warmUp();
  } catch (error) {
    // Not fatal: the database may come later; health reports NOT_SERVING meanwhile.
    logger.warn({ err: error }, 'database warm-up failed');
  }

  const addresses = await listen(server, config, logger);
  logger.info({ addresses, poolSize: config.poolSize }, 'ledger listening');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight calls');
    monitor.stop();
    pruner.stop();
    // Streams never finish on their own: end them once their operations are done.
    drainPipelines();
    const force = setTimeout(() => {
      logger.warn('grace period over: cancelling remaining calls');
      server.forceShutdown();
    }, config.shutdownGraceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      void store
        .close()
        .catch((error: unknown) => logger.warn({ err: error }, 'closing the pool failed'))
        .finally(() => {
          logger.info('ledger stopped');
          process.exit(0);
        });
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Started by the native stack with an IPC channel: if the stack dies, so do we.
  if (process.send !== undefined) process.on('disconnect', () => shutdown('parent exited'));
}

await main();
