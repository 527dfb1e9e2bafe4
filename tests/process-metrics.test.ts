// Goal: every process's default metrics include the event-loop delay gauges under
// prom-client's names, reading how late the loop was (0 when idle, never the 100 ms
// sampling interval itself), and a stall shows in the maximum.
// Method: the real registry of common/process-metrics.ts, scraped as
// Prometheus would (its text exposition), around an idle wait and a busy loop.
import type { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  EVENT_LOOP_SAMPLE_INTERVAL_MS,
  registryWithProcessMetrics,
} from '../common/process-metrics.js';

function gaugeValue(exposition: string, name: string): number {
  const line = exposition.split('\n').find((text) => text.startsWith(`${name} `));
  if (line === undefined) throw new Error(`${name} missing from the scrape`);
  return Number(line.split(' ')[1]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A scrape after `intervals` sampling intervals. Node's sampler starts afresh after each
 * scrape's reset: its first sample only marks the time, so a test waits a few intervals
 * after a scrape before it expects anything measured.
 */
async function scrapeAfter(registry: Registry, intervals: number): Promise<string> {
  await sleep(intervals * EVENT_LOOP_SAMPLE_INTERVAL_MS);
  return registry.metrics();
}

describe('event-loop delay gauges', () => {
  const registry = registryWithProcessMetrics();

  it("keep prom-client's names, with Node's other default metrics", async () => {
    const text = await registry.metrics();
    for (const statistic of ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99']) {
      expect(text).toContain(`\nnodejs_eventloop_lag_${statistic}_seconds `);
    }
    expect(text).toContain('\nnodejs_eventloop_lag_seconds ');
    expect(text).toContain('\nprocess_cpu_seconds_total ');
    expect(text).toContain('\nnodejs_heap_size_used_bytes ');
  });

  it('read the lateness, not the sampling interval, when the loop is idle', async () => {
    await registry.metrics(); // resets: what follows is one idle stretch
    const text = await scrapeAfter(registry, 5);
    expect(gaugeValue(text, 'nodejs_eventloop_delay_samples')).toBeGreaterThan(0);
    // Measured about 0.2 ms here; the sampling interval itself would read 100 ms.
    expect(gaugeValue(text, 'nodejs_eventloop_lag_p50_seconds')).toBeLessThan(0.05);
  });

  it('show a 300 ms stall in the maximum', async () => {
    await registry.metrics();
    // Not a wait for an event: the sampler is a timer, and what it has sampled cannot be
    // read without a scrape, which would reset it. Its first sample after the reset is
    // due within one interval; three leave it two to spare.
    await sleep(3 * EVENT_LOOP_SAMPLE_INTERVAL_MS);
    const stallMs = 300;
    const start = Date.now();
    while (Date.now() - start < stallMs) {
      // Busy: the event loop is blocked, as by a long synchronous task.
    }
    const text = await scrapeAfter(registry, 2);
    // The stall began at most one interval after a sample, so that sample's successor
    // was due at least (300 - 100) ms before the loop could run it.
    const floorSeconds = (stallMs - EVENT_LOOP_SAMPLE_INTERVAL_MS) / 1000;
    expect(gaugeValue(text, 'nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(
      floorSeconds - 0.005,
    );
  });
});
