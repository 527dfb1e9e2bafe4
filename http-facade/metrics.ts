// The facade's Prometheus metrics. The facade is the hot path (every Rinha request),
// so recording costs one clock read at each end, one Map lookup and a few additions
// (common/plain-metrics.ts): a series is made once per route, method and status and
// kept, and histograms have few buckets. Labels are bounded: route templates, never
// raw paths.
import { performance } from 'node:perf_hooks';
import { Gauge } from 'prom-client';
import {
  type CounterSeries,
  type HistogramSeries,
  PlainCounter,
  PlainHistogram,
} from '../common/plain-metrics.js';
import { registryWithProcessMetrics } from '../common/process-metrics.js';
import type { LedgerClient, LedgerReply } from './ledger-client.js';
import { LedgerStatus } from './ledger-client.js';

/** A request that matched no route is counted under this route label. */
export const UNMATCHED_ROUTE = 'unmatched';

// Seconds. The facade answers in about a millisecond; the tail is what matters.
const DURATION_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5];

interface RequestSeries {
  readonly requests: CounterSeries;
  readonly duration: HistogramSeries;
}

export class FacadeMetrics {
  readonly registry = registryWithProcessMetrics();
  private readonly requests: PlainCounter;
  private readonly requestDuration: PlainHistogram;
  private readonly ledgerCalls: PlainCounter;
  private readonly ledgerCallDuration: PlainHistogram;
  private readonly series = new Map<string, RequestSeries>();
  private readonly callSeries = new Map<string, RequestSeries>();
  private inFlightCount = 0;

  constructor() {
    const registry = this.registry;
    this.requests = new PlainCounter(
      'facade_http_requests_total',
      'HTTP requests answered, by route template, method and status code.',
      registry,
    );
    this.requestDuration = new PlainHistogram(
      'facade_http_request_duration_seconds',
      'Time from receiving a request to having sent its response.',
      registry,
      DURATION_BUCKETS_SECONDS,
    );
    const counted = this;
    new Gauge({
      name: 'facade_http_requests_in_flight',
      help: 'HTTP requests received and not yet answered.',
      registers: [registry],
      collect() {
        this.set(counted.inFlightCount);
      },
    });
    this.ledgerCalls = new PlainCounter(
      'facade_ledger_calls_total',
      'Calls to the ledger, by operation and gRPC status code.',
      registry,
    );
    this.ledgerCallDuration = new PlainHistogram(
      'facade_ledger_call_duration_seconds',
      'Time from sending an operation to the ledger to its answer.',
      registry,
      DURATION_BUCKETS_SECONDS,
    );
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
        requests: this.requests.seriesOf({ route, method, status: String(status) }),
        duration: this.requestDuration.seriesOf({ route, method }),
      };
      this.series.set(key, series);
    }
    series.requests.value++;
    this.requestDuration.observe(series.duration, (performance.now() - startMs) / 1000);
  }

  ledgerCallFinished(operation: string, code: LedgerStatus, startMs: number): void {
    const key = `${operation} ${code}`;
    let series = this.callSeries.get(key);
    if (series === undefined) {
      series = {
        requests: this.ledgerCalls.seriesOf({
          operation,
          code: LedgerStatus[code] ?? String(code),
        }),
        duration: this.ledgerCallDuration.seriesOf({ operation }),
      };
      this.callSeries.set(key, series);
    }
    series.requests.value++;
    this.ledgerCallDuration.observe(series.duration, (performance.now() - startMs) / 1000);
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
