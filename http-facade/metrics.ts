// The facade's Prometheus metrics. The facade is the hot path (every Rinha request),
// so recording costs one clock read at each end, one Map lookup and a few additions:
// label-bound children are made once per route, method and status and kept, and
// histograms have few buckets. Labels are bounded: route templates, never raw paths.
import { performance } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { LedgerClient, LedgerReply } from './ledger-client.js';
import { LedgerStatus } from './ledger-client.js';

/** A request that matched no route is counted under this route label. */
export const UNMATCHED_ROUTE = 'unmatched';

// Seconds. The facade answers in about a millisecond; the tail is what matters.
const REQUEST_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5];

interface RequestSeries {
  readonly requests: { inc(): void };
  readonly duration: { observe(value: number): void };
}

export class FacadeMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly requestDuration: Histogram<'route' | 'method'>;
  private readonly ledgerCalls: Counter<'operation' | 'code'>;
  private readonly ledgerCallDuration: Histogram<'operation'>;
  private readonly series = new Map<string, RequestSeries>();
  private readonly callSeries = new Map<string, RequestSeries>();
  private inFlightCount = 0;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'facade_http_requests_total',
      help: 'HTTP requests answered, by route template, method and status code.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'facade_http_request_duration_seconds',
      help: 'Time from receiving a request to having sent its response.',
      labelNames: ['route', 'method'],
      buckets: REQUEST_BUCKETS_SECONDS,
      registers,
    });
    const counted = this;
    new Gauge({
      name: 'facade_http_requests_in_flight',
      help: 'HTTP requests received and not yet answered.',
      registers,
      collect() {
        this.set(counted.inFlightCount);
      },
    });
    this.ledgerCalls = new Counter({
      name: 'facade_ledger_calls_total',
      help: 'Calls to the ledger, by operation and gRPC status code.',
      labelNames: ['operation', 'code'],
      registers,
    });
    this.ledgerCallDuration = new Histogram({
      name: 'facade_ledger_call_duration_seconds',
      help: 'Time from sending an operation to the ledger to its answer.',
      labelNames: ['operation'],
      buckets: REQUEST_BUCKETS_SECONDS,
      registers,
    });
  }

  /** Called once a request is received; returns its start time for requestFinished. */
  requestStarted(): number {
    this.inFlightCount++;
    return performance.now();
  }

  requestFinished(route: string, method: string, status: number, startMs: number): void {
    this.inFlightCount--;
    const key = `${method} ${route} ${status}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = {
        requests: this.requests.labels(route, method, String(status)),
        duration: this.requestDuration.labels(route, method),
      };
      this.series.set(key, series);
    }
    series.requests.inc();
    series.duration.observe((performance.now() - startMs) / 1000);
  }

  ledgerCallFinished(operation: string, code: LedgerStatus, startMs: number): void {
    const key = `${operation} ${code}`;
    let series = this.callSeries.get(key);
    if (series === undefined) {
      series = {
        requests: this.ledgerCalls.labels(operation, LedgerStatus[code] ?? String(code)),
        duration: this.ledgerCallDuration.labels(operation),
      };
      this.callSeries.set(key, series);
    }
    series.requests.inc();
    series.duration.observe((performance.now() - startMs) / 1000);
  }
}

/** The ledger client, each call counted and timed. */
export function instrumentLedgerClient(ledger: LedgerClient, metrics: FacadeMetrics): LedgerClient {
  function timed<T>(operation: string, call: Promise<LedgerReply<T>>, startMs: number) {
    return call.then((reply) => {
      metrics.ledgerCallFinished(operation, reply.ok ? LedgerStatus.OK : reply.code, startMs);
      return reply;
    });
  }
  return {
    postTransaction: (request, timeoutMs, requestId) =>
      timed(
        'PostTransaction',
        ledger.postTransaction(request, timeoutMs, requestId),
        performance.now(),
      ),
    getStatement: (clientId, timeoutMs, requestId) =>
      timed('GetStatement', ledger.getStatement(clientId, timeoutMs, requestId), performance.now()),
    isServing: (timeoutMs) => ledger.isServing(timeoutMs),
    close: () => ledger.close(),
  };
}
