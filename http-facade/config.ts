// The facade's configuration, parsed once from the environment.
import {
  type Env,
  type MetricsAddress,
  readAddress,
  readChoice,
  readInteger,
  readMetricsAddress,
  readOptionalPath,
  readString,
} from '../common/env.js';
import { LOG_LEVELS, type LogLevel } from '../common/logger.js';

export interface FacadeConfig {
  readonly host: string;
  readonly port: number;
  /** A Unix socket to listen on instead of host:port, behind a balancer on the same host. */
  readonly socketPath: string | undefined;
  /** The ledger's gRPC server: host:port, or unix:/path for its Unix socket. */
  readonly ledgerAddress: string;
  /** Deadline of every gRPC call to the ledger. */
  readonly ledgerTimeoutMs: number;
  /** Largest accepted request body; a transaction is well under 100 bytes. */
  readonly bodyLimitBytes: number;
  /** Cap on receiving a whole request, so slow senders cannot hold a connection. */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  readonly keepAliveTimeoutMs: number;
  readonly logLevel: LogLevel;
  /** Where Prometheus metrics are served (never the public port); undefined: off. */
  readonly metricsAddress: MetricsAddress | undefined;
}

export const DEFAULT_FACADE_PORT = 8080;

export function parseFacadeConfig(env: Env): FacadeConfig {
  return Object.freeze({
    host: readString(env, 'FACADE_HOST', '127.0.0.1'),
    port: readInteger(env, 'FACADE_PORT', DEFAULT_FACADE_PORT, { min: 0, max: 65535 }),
    socketPath: readOptionalPath(env, 'FACADE_SOCKET_PATH'),
    ledgerAddress: readAddress(env, 'LEDGER_ADDRESS', '127.0.0.1:50051', true),
    ledgerTimeoutMs: readInteger(env, 'FACADE_LEDGER_TIMEOUT_MS', 2000, { min: 1, max: 60_000 }),
    bodyLimitBytes: readInteger(env, 'FACADE_BODY_LIMIT_BYTES', 4096, { min: 256, max: 1 << 20 }),
    requestTimeoutMs: readInteger(env, 'FACADE_REQUEST_TIMEOUT_MS', 5000, { min: 1, max: 600_000 }),
    // Longer than a load balancer's idle timeout for its upstream connections (Envoy's
    // is 30 s here, common defaults 60 s), so the balancer, not the facade, closes an
    // idle connection, and never sends a request down one the facade is closing.
    keepAliveTimeoutMs: readInteger(env, 'FACADE_KEEP_ALIVE_TIMEOUT_MS', 65_000, {
      min: 1,
      max: 600_000,
    }),
    logLevel: readChoice(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
    metricsAddress: readMetricsAddress(env, 'FACADE_METRICS_ADDRESS'),
  });
}
