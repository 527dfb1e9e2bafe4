// Wires a facade process: configuration, logs, one gRPC channel to the ledger, the
// Fastify app, and a graceful close that drains in-flight requests on SIGTERM/SIGINT.
// Under node:cluster (the native stack) several of these share one listening port;
// behind a balancer on the same host each listens on its own Unix socket.
import { chmodSync, rmSync } from 'node:fs';
import { loadConfigOrExit } from '../common/env.js';
import { createLogger } from '../common/logger.js';
import { listenMetrics } from '../common/metrics-server.js';
import { buildApp } from './app.js';
import { parseFacadeConfig } from './config.js';
import { createLedgerClient } from './ledger-client.js';
import { FacadeMetrics, instrumentLedgerClient } from './metrics.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit('facade', parseFacadeConfig);
  const logger = createLogger('facade', config.logLevel);
  const metrics = config.metricsAddress === undefined ? undefined : new FacadeMetrics();
  const client = createLedgerClient(config.ledgerAddress);
  const ledger = metrics === undefined ? client : instrumentLedgerClient(client, metrics);
  const app = buildApp({ config, ledger, logger, metrics });
  if (metrics !== undefined && config.metricsAddress !== undefined) {
    const { host, port } = config.metricsAddress;
    try {
      await listenMetrics(metrics.registry, config.metricsAddress);
    } catch (error) {
      console.error(`facade: cannot serve metrics on ${host}:${port}: ${(error as Error).message}`);
      process.exit(1);
    }
    logger.info({ metrics: `http://${host}:${port}/metrics` }, 'facade metrics listening');
  }

  const where =
    config.socketPath === undefined ? `${config.host}:${config.port}` : `unix:${config.socketPath}`;
  try {
    if (config.socketPath === undefined) {
      await app.listen({ host: config.host, port: config.port });
    } else {
      // A socket file left by a killed predecessor would make the listen fail.
      rmSync(config.socketPath, { force: true });
      await app.listen({ path: config.socketPath });
      // Group-writable: a balancer whose worker runs unprivileged in the socket
      // directory's group (stack/nginx.ts) must be able to connect.
      chmodSync(config.socketPath, 0o660);
    }
  } catch (error) {
    console.error(`facade: cannot listen on ${where}: ${(error as Error).message}`);
    process.exit(1);
  }
  logger.info({ listen: where, ledger: config.ledgerAddress }, 'facade listening');

  let closing = false;
  const close = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'closing: draining in-flight requests');
    void app
      .close()
      .catch((error: unknown) => logger.warn({ err: error }, 'close failed'))
      .finally(() => {
        ledger.close();
        process.exit(0);
      });
  };
  process.on('SIGTERM', () => close('SIGTERM'));
  process.on('SIGINT', () => close('SIGINT'));
  // Started by the native stack with an IPC channel: if the stack dies, so do we.
  if (process.send !== undefined) process.on('disconnect', () => close('parent exited'));
}

await main();
