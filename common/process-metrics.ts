// Node's default process metrics (prom-client's: CPU, memory, heap, handles, GC,
// event-loop lag), registered in a new registry for one process's own metrics.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/**
 * How often the event-loop delay is sampled (a timer that wakes the loop). prom-client's
 * default, 10 ms, cost each process about 10 ms of CPU per second, idle or busy: 4% of
 * the stack's CPU per request under `npm run bench`. At 100 ms it costs about 1 ms per
 * second; a stall of 100 ms or more is always seen, a shorter one in proportion to its
 * length (a 20 ms stall one time in five).
 */
export const EVENT_LOOP_SAMPLE_INTERVAL_MS = 100;

/** prom-client's own sampler, never due: its gauges are replaced by ours below. */
const NEVER_MS = 2 ** 31 - 1;

const NS_PER_SECOND = 1e9;

/** prom-client's names and meanings, kept, so dashboards written for them still read. */
const LAG_STATISTICS = {
  min: 'The minimum recorded event loop delay.',
  max: 'The maximum recorded event loop delay.',
  mean: 'The mean of the recorded event loop delays.',
  stddev: 'The standard deviation of the recorded event loop delays.',
  p50: 'The 50th percentile of the recorded event loop delays.',
  p90: 'The 90th percentile of the recorded event loop delays.',
  p99: 'The 99th percentile of the recorded event loop delays.',
} as const;

type LagStatistic = keyof typeof LAG_STATISTICS;

/**
 * The event-loop delay gauges, sampled every EVENT_LOOP_SAMPLE_INTERVAL_MS. Node records
 * the time between two samples, interval included (an idle process reads 100 ms at
 * 100 ms, 10 ms at prom-client's 10 ms): the interval is taken off, so these read how
 * late the loop was, 0 when idle. Reset at each scrape, as prom-client's were; after a
 * reset Node's first sample only marks the time, so a stall within one interval of a
 * scrape goes unseen (about 100 ms of every scrape interval).
 */
function addEventLoopDelayGauges(registry: Registry): void {
  const histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_SAMPLE_INTERVAL_MS });
  histogram.enable();
  const intervalNs = EVENT_LOOP_SAMPLE_INTERVAL_MS * 1e6;
  const lateness = (delayNs: number) => Math.max(0, delayNs - intervalNs) / NS_PER_SECOND;
  const read: Record<LagStatistic, () => number> = {
    min: () => lateness(histogram.min),
    max: () => lateness(histogram.max),
    mean: () => lateness(histogram.mean),
    stddev: () => histogram.stddev / NS_PER_SECOND,
    p50: () => lateness(histogram.percentile(50)),
    p90: () => lateness(histogram.percentile(90)),
    p99: () => lateness(histogram.percentile(99)),
  };
  // Registered first: a scrape reads metrics in order, and this one sets the others.
  new Gauge({
    name: 'nodejs_eventloop_delay_samples',
    help: `Event-loop delay samples (one per ${EVENT_LOOP_SAMPLE_INTERVAL_MS} ms) since the last scrape.`,
    registers: [registry],
    collect() {
      const sampled = histogram.count > 0;
      for (const { gauge, statistic } of lagGauges) gauge.set(sampled ? read[statistic]() : 0);
      this.set(histogram.count);
      histogram.reset();
    },
  });
  const lagGauges = (Object.keys(LAG_STATISTICS) as LagStatistic[]).map((statistic) => {
    const name = `nodejs_eventloop_lag_${statistic}_seconds`;
    registry.removeSingleMetric(name);
    const gauge = new Gauge({ name, help: LAG_STATISTICS[statistic], registers: [registry] });
    return { gauge, statistic };
  });
}

export function registryWithProcessMetrics(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: NEVER_MS });
  addEventLoopDelayGauges(registry);
  return registry;
}
