// The load test as a library: `runLoadTest(options)` runs the readiness wait, the
// validations and the open-model load against a URL and resolves with everything the
// reports need. The CLI and the budget benchmark both call it; it writes nothing but
// the progress stream it is given.
import { performance } from 'node:perf_hooks';
import { parseTarget } from './http-client.js';
import { runOpenLoad } from './open-load.js';
import { LAG_WARNING_MS, type ProgressStream, startProgress } from './progress.js';
import type { RandomSource } from './random-input.js';
import { type Readiness, waitForReadiness } from './readiness.js';
import { Recorder, type RequestRecord } from './recorder.js';
import {
  assertScale,
  buildLoadSchedule,
  type LoadGroup,
  PHASE_TICK_MS,
  plannedRequestCount,
  VALIDATION_REQUEST_COUNT,
} from './schedule.js';
import {
  computeFine,
  type Fine,
  type GroupSummary,
  LAG_LATE_MS,
  type LagSummary,
  summarizeAll,
  summarizeLag,
} from './stats.js';
import { runConcurrencyValidations, startClientValidations } from './validations.js';

export interface LoadTestOptions {
  readonly url: string;
  /** Multiplies the ramp and hold durations; 1 is the official 4 minutes of load. */
  readonly timeScale?: number;
  /** Multiplies the arrival rates; 1 is the official 220 + 110 + 10 per second. */
  readonly rateScale?: number;
  readonly skipWait?: boolean;
  /** Gatling's default request timeout is 60 s. */
  readonly requestTimeoutMs?: number;
  /** Where the progress line goes; null for none. */
  readonly progress?: ProgressStream | null;
  readonly random?: RandomSource;
}

export interface LoadTestResult {
  readonly url: string;
  readonly timeScale: number;
  readonly rateScale: number;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly readiness: Readiness | null;
  readonly plannedCount: number;
  readonly plannedByGroup: Readonly<Record<LoadGroup | 'validations', number>>;
  readonly summaries: readonly GroupSummary[];
  readonly total: GroupSummary;
  readonly inconsistencyCount: number;
  readonly fine: Fine;
  readonly lag: LagSummary;
  readonly warnings: readonly string[];
  /** True when every request was OK and no balance was inconsistent. */
  readonly passed: boolean;
  readonly records: readonly RequestRecord[];
}

export const REQUEST_TIMEOUT_MS_DEFAULT = 60_000;

export async function runLoadTest(options: LoadTestOptions): Promise<LoadTestResult> {
  const scale = { timeScale: options.timeScale ?? 1, rateScale: options.rateScale ?? 1 };
  assertScale(scale);
  const target = parseTarget(options.url);
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT;
  const stream = options.progress ?? null;
  const say = (line: string): void => void stream?.write(`${line}\n`);
  const schedule = buildLoadSchedule(scale);
  const plannedCount = plannedRequestCount(schedule);

  let readiness: Readiness | null = null;
  if (options.skipWait !== true) {
    readiness = await waitForReadiness(target, (attempt, answer) =>
      say(`readiness: attempt ${attempt}: ${answer}`),
    );
    if (!readiness.ready) {
      throw new Error(`${options.url} did not answer 200 within 40 s (${readiness.lastAnswer})`);
    }
  }

  const startedAt = new Date().toISOString();
  const recorder = new Recorder(performance.now());
  const progress = stream === null ? null : startProgress(stream, recorder, plannedCount);
  const context = {
    target,
    recorder,
    requestTimeoutMs,
    tickMs: PHASE_TICK_MS,
    random: options.random ?? Math.random,
  };
  try {
    progress?.setPhase('validations');
    await runConcurrencyValidations(context);
    const { unknownClient, clients } = startClientValidations(context);
    await unknownClient;
    progress?.setPhase('load');
    const loadStartMs = recorder.elapsedMs(performance.now());
    await Promise.all([clients, runOpenLoad(context, schedule, loadStartMs)]);
  } finally {
    progress?.stop();
  }
  const durationMs = recorder.elapsedMs(performance.now());
  return summarizeRun(options.url, scale, startedAt, durationMs, readiness, schedule, recorder);
}

function summarizeRun(
  url: string,
  scale: { timeScale: number; rateScale: number },
  startedAt: string,
  durationMs: number,
  readiness: Readiness | null,
  schedule: ReturnType<typeof buildLoadSchedule>,
  recorder: Recorder,
): LoadTestResult {
  const records = recorder.records;
  const summaries = summarizeAll(records);
  const total = summaries[summaries.length - 1] as GroupSummary;
  const lag = summarizeLag(records);
  const warnings: string[] = [];
  if (lag.p99Ms > LAG_LATE_MS || lag.maxMs > LAG_WARNING_MS) {
    warnings.push(
      `the load generator fell behind its schedule (lag p99 ${lag.p99Ms.toFixed(1)} ms, ` +
        `max ${lag.maxMs.toFixed(1)} ms, ${lag.lateCount} sends over ${LAG_LATE_MS} ms late): ` +
        'latencies may be understated; give it more CPU or lower --rate-scale',
    );
  }
  if (records.length !== plannedRequestCount(schedule)) {
    warnings.push(`${records.length} requests recorded, ${plannedRequestCount(schedule)} planned`);
  }
  return {
    url,
    ...scale,
    startedAt,
    durationMs,
    readiness,
    plannedCount: plannedRequestCount(schedule),
    plannedByGroup: { validations: VALIDATION_REQUEST_COUNT, ...schedule.countByGroup },
    summaries,
    total,
    inconsistencyCount: total.inconsistencyCount,
    fine: computeFine(total.okUnderSlaPercent, total.inconsistencyCount),
    lag,
    warnings,
    passed: total.koCount === 0 && total.inconsistencyCount === 0,
    records,
  };
}
