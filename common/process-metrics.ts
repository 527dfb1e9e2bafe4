// Node's default process metrics (prom-client's: CPU, memory, heap, handles, GC,
// event-loop lag), registered in a new registry for one process's own metrics.
import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * How often the event-loop lag is sampled (a timer that wakes the loop). prom-client's
 * default, 10 ms, cost each process about 10 ms of CPU per second, idle or busy: 4% of
 * the stack's CPU per request under `npm run bench`. At 100 ms it costs about 1 ms per
 * second; a stall of 100 ms or more is always seen, a shorter one in proportion to its
 * length (a 20 ms stall one time in five).
 */
export const EVENT_LOOP_SAMPLE_INTERVAL_MS = 100;

export function registryWithProcessMetrics(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({
    register: registry,
    eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_INTERVAL_MS,
  });
  return registry;
}
