// The ledger's Prometheus metrics. Counters and histograms are recorded where things
// happen (the gRPC adapters, the operations, the batcher, the store); gauges (queue
// depth, pool, health) are read from their owners when Prometheus scrapes. When
// metrics are off the ledger gets NO_LEDGER_METRICS, whose methods do nothing.
import { performance } from 'node:perf_hooks';
import { status } from '@grpc/grpc-js';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  type CounterSeries,
  type HistogramSeries,
  PlainCounter,
  PlainHistogram,
} from '../common/plain-metrics.js';
import { registryWithProcessMetrics } from '../common/process-metrics.js';

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

/**
 * Operations by method, transport and code, in plain numbers (common/plain-metrics.ts):
 * they are recorded once per operation, the ledger's hot path.
 */
function operationRecorder(registry: Registry): LedgerMetrics['operationFinished'] {
  const operations = new PlainCounter(
    'ledger_grpc_operations_total',
    'Operations answered, by method, transport (unary or pipeline) and gRPC status code.',
    registry,
  );
  const duration = new PlainHistogram(
    'ledger_grpc_operation_duration_seconds',
    'Time from receiving an operation to answering it.',
    registry,
    DURATION_BUCKETS_SECONDS,
  );
  const series = new Map<string, { count: CounterSeries; duration: HistogramSeries }>();
  return (method, transport, code, startMs) => {
    const key = `${method} ${transport} ${code}`;
    let entry = series.get(key);
    if (entry === undefined) {
      const codeName = status[code] ?? String(code);
      entry = {
        count: operations.seriesOf({ method, transport, code: codeName }),
        duration: duration.seriesOf({ method, transport }),
      };
      series.set(key, entry);
    }
    entry.count.value++;
    duration.observe(entry.duration, secondsSince(startMs));
  };
}

export function createLedgerMetrics(): LedgerMetrics & { readonly registry: Registry } {
  const registry = registryWithProcessMetrics();
  const sources: LedgerGaugeSources = {};
  addGauges(registry, sources);
  const counters = createCounters(registry);
  const recordOperation = operationRecorder(registry);
  const postings = new PlainCounter(
    'ledger_postings_total',
    'Postings decided, by outcome.',
    registry,
  );
  // Every outcome from zero, so rate() and alerts see a series before its first event.
  const postingSeries = new Map(
    POSTING_OUTCOMES.map((outcome) => [outcome, postings.seriesOf({ outcome })]),
  );
  return {
    registry,
    sources,
    operationFinished: recordOperation,
    postingDecided(outcome) {
      const series = postingSeries.get(outcome);
      if (series !== undefined) series.value++;
    },
    batchFinished(postingCount, startMs) {
      counters.batchSize.observe(counters.batchSizeSeries, postingCount);
      counters.batchDuration.observe(counters.batchDurationSeries, secondsSince(startMs));
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

/**
 * Batch histograms in plain numbers (one observation each per batch: prom-client's
 * Histogram.observe hashed its labels every time, 1.2% of the ledger's CPU under the
 * bench); database errors are rare, so prom-client's own Counter.
 */
function createCounters(registry: Registry) {
  const batchSize = new PlainHistogram(
    'ledger_posting_batch_size',
    'Postings sent to the database in one round trip and commit.',
    registry,
    BATCH_SIZE_BUCKETS,
  );
  const batchDuration = new PlainHistogram(
    'ledger_posting_batch_duration_seconds',
    'Time of one batch in the database: connection, round trip and commit.',
    registry,
    DURATION_BUCKETS_SECONDS,
  );
  const databaseErrors = new Counter({
    name: 'ledger_database_errors_total',
    help: 'Failed database calls, by kind (unavailable, lock_timeout, other).',
    labelNames: ['kind'],
    registers: [registry],
  });
  for (const kind of DATABASE_ERROR_KINDS) databaseErrors.labels(kind).inc(0);
  return {
    batchSize,
    batchSizeSeries: batchSize.seriesOf({}),
    batchDuration,
    batchDurationSeries: batchDuration.seriesOf({}),
    databaseErrors,
  };
}
