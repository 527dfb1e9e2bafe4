// The ledger's configuration, parsed once from the environment.
import {
  type Env,
  type MetricsAddress,
  readAddress,
  readChoice,
  readInteger,
  readMetricsAddress,
  readOptionalPath,
  readUrl,
} from '../common/env.js';
import { LOG_LEVELS, type LogLevel } from '../common/logger.js';
import type { PostBatcherLimits } from './post-batcher.js';

export interface LedgerConfig {
  /** PostgreSQL connection URL. */
  readonly databaseUrl: string;
  /** host:port the gRPC server binds. */
  readonly listenAddress: string;
  /** A Unix socket the server also binds, for callers on the same host (the facades). */
  readonly socketPath: string | undefined;
  /** Connections to PostgreSQL; the database does the work, so a few per core suffice. */
  readonly poolSize: number;
  /** How long a call may wait for a pooled connection (or a new one) before UNAVAILABLE. */
  readonly poolWaitMs: number;
  /** Server-side cap on one SQL statement. */
  readonly statementTimeoutMs: number;
  /** Server-side cap on waiting for a client's row lock. */
  readonly lockTimeoutMs: number;
  /** Postings per database round trip and commit (group commit). */
  readonly batchSizeMax: number;
  /** Posting batches in flight at once. */
  readonly batchesInFlightMax: number;
  /** Postings waiting for a batch beyond which new ones get UNAVAILABLE at once. */
  readonly postingQueueMax: number;
  /** How often the health service re-checks the database. */
  readonly healthCheckIntervalMs: number;
  /** How long a graceful shutdown waits for in-flight calls before forcing. */
  readonly shutdownGraceMs: number;
  /** How long idempotency keys are kept: a retry within it is safe, after it a new posting. */
  readonly idempotencyRetentionHours: number;
  /** How often keys past their retention are pruned. */
  readonly idempotencyPruneIntervalMs: number;
  readonly logLevel: LogLevel;
  /** Where Prometheus metrics are served; undefined: off, and nothing is recorded. */
  readonly metricsAddress: MetricsAddress | undefined;
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:5433/ledger';
export const DEFAULT_LEDGER_ADDRESS = '127.0.0.1:50051';

export function parseLedgerConfig(env: Env): LedgerConfig {
  return Object.freeze({
    databaseUrl: readUrl(env, 'DATABASE_URL', DEFAULT_DATABASE_URL, ['postgres:', 'postgresql:']),
    listenAddress: readAddress(env, 'LEDGER_LISTEN_ADDRESS', DEFAULT_LEDGER_ADDRESS),
    socketPath: readOptionalPath(env, 'LEDGER_SOCKET_PATH'),
    poolSize: readInteger(env, 'LEDGER_POOL_SIZE', 8, { min: 1, max: 200 }),
    poolWaitMs: readInteger(env, 'LEDGER_POOL_WAIT_MS', 1000, { min: 1, max: 60_000 }),
    statementTimeoutMs: readInteger(env, 'LEDGER_STATEMENT_TIMEOUT_MS', 2000, {
      min: 1,
      max: 600_000,
    }),
    lockTimeoutMs: readInteger(env, 'LEDGER_LOCK_TIMEOUT_MS', 1000, { min: 1, max: 600_000 }),
    batchSizeMax: readInteger(env, 'LEDGER_BATCH_SIZE_MAX', 64, { min: 1, max: 1000 }),
    batchesInFlightMax: readInteger(env, 'LEDGER_BATCHES_IN_FLIGHT', 2, { min: 1, max: 64 }),
    postingQueueMax: readInteger(env, 'LEDGER_POSTING_QUEUE_MAX', 4096, { min: 1, max: 1_000_000 }),
    healthCheckIntervalMs: readInteger(env, 'LEDGER_HEALTH_INTERVAL_MS', 1000, {
      min: 50,
      max: 60_000,
    }),
    shutdownGraceMs: readInteger(env, 'LEDGER_SHUTDOWN_GRACE_MS', 5000, { min: 0, max: 60_000 }),
    // The contract promises at least a day.
    idempotencyRetentionHours: readInteger(env, 'LEDGER_IDEMPOTENCY_RETENTION_HOURS', 24, {
      min: 24,
      max: 24 * 366,
    }),
    idempotencyPruneIntervalMs: readInteger(env, 'LEDGER_IDEMPOTENCY_PRUNE_INTERVAL_MS', 60_000, {
      min: 1000,
      max: 3_600_000,
    }),
    logLevel: readChoice(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
    metricsAddress: readMetricsAddress(env, 'LEDGER_METRICS_ADDRESS'),
  });
}

/** Group commit's bounds, as the posting batcher takes them. */
export function batchingOf(config: LedgerConfig): PostBatcherLimits {
  return {
    batchSizeMax: config.batchSizeMax,
    inFlightMax: config.batchesInFlightMax,
    queueLengthMax: config.postingQueueMax,
  };
}
