// Wires a facade process: configuration, logs, one gRPC channel to the ledger, the
// Fastify app, and a graceful close that drains in-flight requests on SIGTERM/SIGINT.
// Under node:cluster (the native stack) several of these share one listening port.
import { ConfigError } from '../common/env.js';
import { createLogger } from '../common/logger.js';
import { buildApp } from './app.js';
import { type FacadeConfig, parseFacadeConfig } from './config.js';
import { createLedgerClient } from './ledger-client.js';

function loadConfig(): FacadeConfig {
  try {
    return parseFacadeConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`facade: invalid configuration: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('facade', config.logLevel);
  const ledger = createLedgerClient(config.ledgerAddress);
  const app = buildApp({ config, ledger, logger });

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    console.error(
      `facade: cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`,
    );
    process.exit(1);
  }
  logger.info(
    { host: config.host, port: config.port, ledger: config.ledgerAddress },
    'facade listening',
  );

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
}

await main();
