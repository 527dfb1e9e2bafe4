// The ledger's Prometheus metrics. Counters and histograms are recorded where things
// happen (the gRPC adapters, the operations, the batcher, the store); gauges (queue
// depth, pool, health) are read from their owners when Prometheus scrapes. When
// metrics are off the ledger gets NO_LEDGER_METRICS, whose methods do nothing.
import { performance } from 'node:perf_hooks';
import { status } from '@grpc/grpc-js';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type GrpcMethod = 'PostTransaction' | 'GetStatement' | 'unknown';
export type GrpcTransport = 'unary' | 'pipeline';
/** Every way a posting can end; `replayed` is an answer repeated from a key's record. */
export type PostingOutcome =
  | 'applied'
  | 'limit_exceeded'
  | 'balance_overflow'
  | 'invalid'
  | 'client_not_found'
  | 'key_reused'
  | 'replayed'
  | 'failed';
/** unavailable: the database could not answer; lock_timeout: a lock wait cut short; other: a bug. */
export type DatabaseErrorKind = 'unavailable' | 'lock_timeout' | 'other';

export interface PoolStats {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

/** Where the gauges read their values at scrape time. */
export interface LedgerGaugeSources {
  queueDepth?: () => number;
  poolStats?: () => PoolStats;
  serving?: () => boolean;
}

export interface LedgerMetrics {
  readonly sources: LedgerGaugeSources;
  operationFinished(
    method: GrpcMethod,
    transport: GrpcTransport,
    code: status,
    startMs: number,
  ): void;
  postingDecided(outcome: PostingOutcome): void;
  batchFinished(postings: number, startMs: number): void;
  databaseError(kind: DatabaseErrorKind): void;
}

export const NO_LEDGER_METRICS: LedgerMetrics = {
  sources: {},
  operationFinished() {},
  postingDecided() {},
  batchFinished() {},
  databaseError() {},
};

const DURATION_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

const secondsSince = (startMs: number) => (performance.now() - startMs) / 1000;

function addGauges(registry: Registry, sources: LedgerGaugeSources): void {
  const registers = [registry];
  new Gauge({
    name: 'ledger_posting_queue_depth',
    help: 'Postings waiting for a batch (not yet sent to the database).',
    registers,
    collect() {
      this.set(sources.queueDepth?.() ?? 0);
    },
  });
  new Gauge({
    name: 'ledger_database_pool_connections',
    help: 'Pooled PostgreSQL connections: total open, and idle among them.',
    labelNames: ['state'],
    registers,
    collect() {
      const stats = sources.poolStats?.() ?? { total: 0, idle: 0, waiting: 0 };
      this.labels('total').set(stats.total);
      this.labels('idle').set(stats.idle);
    },
  });
  new Gauge({
    name: 'ledger_database_pool_waiting_requests',
    help: 'Queries waiting for a pooled connection.',
    registers,
    collect() {
      this.set(sources.poolStats?.().waiting ?? 0);
    },
  });
  new Gauge({
    name: 'ledger_health_serving',
    help: '1 while the health service reports SERVING (the database answers), else 0.',
    registers,
    collect() {
      this.set(sources.serving?.() === true ? 1 : 0);
    },
  });
}

export function createLedgerMetrics(): LedgerMetrics & { readonly registry: Registry } {
  const registry = new Registry();
  const registers = [registry];
  const sources: LedgerGaugeSources = {};
  collectDefaultMetrics({ register: registry });
  addGauges(registry, sources);
  const counters = createCounters(registry);
  const operations = new Counter({
    name: 'ledger_grpc_operations_total',
    help: 'Operations answered, by method, transport (unary or pipeline) and gRPC status code.',
    labelNames: ['method', 'transport', 'code'],
    registers,
  });
  const operationDuration = new Histogram({
    name: 'ledger_grpc_operation_duration_seconds',
    help: 'Time from receiving an operation to answering it.',
    labelNames: ['method', 'transport'],
    buckets: DURATION_BUCKETS_SECONDS,
    registers,
  });
  return {
    registry,
    sources,
    operationFinished(method, transport, code, startMs) {
      operations.labels(method, transport, status[code] ?? String(code)).inc();
      operationDuration.labels(method, transport).observe(secondsSince(startMs));
    },
    postingDecided: (outcome) => counters.postings.labels(outcome).inc(),
    batchFinished(postingCount, startMs) {
      counters.batchSize.observe(postingCount);
      counters.batchDuration.observe(secondsSince(startMs));
    },
    databaseError: (kind) => counters.databaseErrors.labels(kind).inc(),
  };
}

const POSTING_OUTCOMES: readonly PostingOutcome[] = [
  'applied',
  'limit_exceeded',
  'balance_overflow',
  'invalid',
  'client_not_found',
  'key_reused',
  'replayed',
  'failed',
];
const DATABASE_ERROR_KINDS: readonly DatabaseErrorKind[] = ['unavailable', 'lock_timeout', 'other'];

function createCounters(registry: Registry) {
  const registers = [registry];
  const postings = new Counter({
    name: 'ledger_postings_total',
    help: 'Postings decided, by outcome.',
    labelNames: ['outcome'],
    registers,
  });
  const batchSize = new Histogram({
    name: 'ledger_posting_batch_size',
    help: 'Postings sent to the database in one round trip and commit.',
    buckets: BATCH_SIZE_BUCKETS,
    registers,
  });
  const batchDuration = new Histogram({
    name: 'ledger_posting_batch_duration_seconds',
    help: 'Time of one batch in the database: connection, round trip and commit.',
    buckets: DURATION_BUCKETS_SECONDS,
    registers,
  });
  const databaseErrors = new Counter({
    name: 'ledger_database_errors_total',
    help: 'Failed database calls, by kind (unavailable, lock_timeout, other).',
    labelNames: ['kind'],
    registers,
  });
  // Every label value from zero, so rate() and alerts see a series before its first event.
  for (const outcome of POSTING_OUTCOMES) postings.labels(outcome).inc(0);
  for (const kind of DATABASE_ERROR_KINDS) databaseErrors.labels(kind).inc(0);
  return { postings, batchSize, batchDuration, databaseErrors };
}
