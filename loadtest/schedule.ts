// The open-model arrival plan of the official Rinha simulation, as pure data: when each
// debit, credit and statement arrival is due, relative to the start of the load. Kept
// free of I/O so a unit test can assert the official counts (39,660 / 19,860 / 1,860)
// and the runner only has to follow it.
import assert from 'node:assert/strict';

export type LoadGroup = 'debits' | 'credits' | 'statements';

export const LOAD_GROUPS: readonly LoadGroup[] = ['debits', 'credits', 'statements'];

/** One injection profile: a linear ramp from `startRate` to `peakRate`, then a hold. */
export interface InjectionProfile {
  readonly startRatePerS: number;
  readonly peakRatePerS: number;
  readonly rampDurationS: number;
  readonly holdDurationS: number;
}

/** The official profiles: ramp for 2 minutes, hold for 2 minutes. */
export const OFFICIAL_PROFILES: Readonly<Record<LoadGroup, InjectionProfile>> = Object.freeze({
  debits: { startRatePerS: 1, peakRatePerS: 220, rampDurationS: 120, holdDurationS: 120 },
  credits: { startRatePerS: 1, peakRatePerS: 110, rampDurationS: 120, holdDurationS: 120 },
  statements: { startRatePerS: 1, peakRatePerS: 10, rampDurationS: 120, holdDurationS: 120 },
});

/** Validation requests: 2 × 25 concurrent transactions + 2 statements, 5 × 14, one 404. */
export const VALIDATION_REQUEST_COUNT = 2 * 25 + 2 + 5 * 14 + 1;

/**
 * Phases start on the next tick of this clock once the phase before has finished. Not
 * time-scaled: the load starts one tick after the 404 check while the per-client
 * validations may still run, and a shorter tick would let the load race them (their
 * statements would then see load transactions first), which the official run does not.
 */
export const PHASE_TICK_MS = 1000;

export const TIME_SCALE_MIN = 0.001;
export const TIME_SCALE_MAX = 10;
export const RATE_SCALE_MIN = 0.01;
export const RATE_SCALE_MAX = 20;

export interface ScheduleScale {
  /** Multiplies the ramp and hold durations; rates and phase ticks stay the same. */
  readonly timeScale: number;
  /** Multiplies every rate (start and peak). */
  readonly rateScale: number;
}

/** Arrivals of all groups merged in time order. */
export interface LoadSchedule {
  readonly offsetsMs: Float64Array;
  readonly groups: readonly LoadGroup[];
  readonly countByGroup: Readonly<Record<LoadGroup, number>>;
  readonly durationMs: number;
}

export function scaleProfile(profile: InjectionProfile, scale: ScheduleScale): InjectionProfile {
  assertScale(scale);
  return {
    startRatePerS: profile.startRatePerS * scale.rateScale,
    peakRatePerS: profile.peakRatePerS * scale.rateScale,
    rampDurationS: profile.rampDurationS * scale.timeScale,
    holdDurationS: profile.holdDurationS * scale.timeScale,
  };
}

export function assertScale(scale: ScheduleScale): void {
  assert.ok(scale.timeScale >= TIME_SCALE_MIN && scale.timeScale <= TIME_SCALE_MAX);
  assert.ok(scale.rateScale >= RATE_SCALE_MIN && scale.rateScale <= RATE_SCALE_MAX);
}

/**
 * Arrival offsets (seconds from `originS`) of a linear rate segment, the way Gatling
 * injects: the users of each second are those the integral of the rate adds in that
 * second (rounded on the running total, so no user is lost to rounding), evenly spaced
 * within the second.
 */
export function segmentArrivalsS(
  fromRatePerS: number,
  toRatePerS: number,
  durationS: number,
  originS: number,
): number[] {
  assert.ok(fromRatePerS >= 0 && toRatePerS >= 0 && durationS >= 0);
  const slope = durationS > 0 ? (toRatePerS - fromRatePerS) / durationS : 0;
  const cumulative = (t: number): number => Math.round(fromRatePerS * t + (slope * t * t) / 2);
  const arrivals: number[] = [];
  for (let secondStartS = 0; secondStartS < durationS; secondStartS += 1) {
    const secondEndS = Math.min(secondStartS + 1, durationS);
    const users = cumulative(secondEndS) - cumulative(secondStartS);
    const spacingS = (secondEndS - secondStartS) / Math.max(users, 1);
    for (let user = 0; user < users; user += 1) {
      arrivals.push(originS + secondStartS + user * spacingS);
    }
  }
  return arrivals;
}

export function profileArrivalsS(profile: InjectionProfile): number[] {
  const ramp = segmentArrivalsS(
    profile.startRatePerS,
    profile.peakRatePerS,
    profile.rampDurationS,
    0,
  );
  const hold = segmentArrivalsS(
    profile.peakRatePerS,
    profile.peakRatePerS,
    profile.holdDurationS,
    profile.rampDurationS,
  );
  return ramp.concat(hold);
}

export function buildLoadSchedule(
  scale: ScheduleScale,
  profiles: Readonly<Record<LoadGroup, InjectionProfile>> = OFFICIAL_PROFILES,
): LoadSchedule {
  const tagged: Array<{ offsetS: number; group: LoadGroup }> = [];
  const countByGroup = { debits: 0, credits: 0, statements: 0 };
  let durationS = 0;
  for (const group of LOAD_GROUPS) {
    const profile = scaleProfile(profiles[group], scale);
    const arrivals = profileArrivalsS(profile);
    countByGroup[group] = arrivals.length;
    durationS = Math.max(durationS, profile.rampDurationS + profile.holdDurationS);
    for (const offsetS of arrivals) tagged.push({ offsetS, group });
  }
  tagged.sort((a, b) => a.offsetS - b.offsetS);
  const offsetsMs = new Float64Array(tagged.length);
  tagged.forEach((arrival, index) => {
    offsetsMs[index] = arrival.offsetS * 1000;
  });
  return {
    offsetsMs,
    groups: tagged.map((arrival) => arrival.group),
    countByGroup: Object.freeze(countByGroup),
    durationMs: durationS * 1000,
  };
}

/** Planned requests of a whole run: validations plus the load. */
export function plannedRequestCount(schedule: LoadSchedule): number {
  return VALIDATION_REQUEST_COUNT + schedule.offsetsMs.length;
}

/** The start of the next phase tick strictly after `elapsedMs`. */
export function nextTickMs(elapsedMs: number, tickMs: number): number {
  assert.ok(tickMs > 0);
  return (Math.floor(elapsedMs / tickMs) + 1) * tickMs;
}
