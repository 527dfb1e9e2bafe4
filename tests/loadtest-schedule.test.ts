// Goal: the load test plans exactly the official simulation and judges answers by its
// rules. Method: pure functions only (no server): the arrival schedule at scale 1 must
// give Gatling's counts (39,660 debits, 19,860 credits, 1,860 statements, 61,503 in
// all over 240 s of load), the scales must keep or multiply the peak rates as
// documented, and each check, statistic and the fine must hold at their boundaries.
import { describe, expect, it } from 'vitest';
import {
  checkCredit,
  checkDebit,
  checkStatement,
  checkStatementMatches,
  checkStatusIn,
} from '../loadtest/checks.js';
import { parseCliOptions } from '../loadtest/cli-options.js';
import { randomDescription } from '../loadtest/random-input.js';
import {
  buildLoadSchedule,
  nextTickMs,
  plannedRequestCount,
  segmentArrivalsS,
  VALIDATION_REQUEST_COUNT,
} from '../loadtest/schedule.js';
import { computeFine, percentile } from '../loadtest/stats.js';

function countInWindow(offsetsMs: Float64Array, fromMs: number, toMs: number): number {
  return offsetsMs.filter((offsetMs) => offsetMs >= fromMs && offsetMs < toMs).length;
}

describe('schedule', () => {
  const official = buildLoadSchedule({ timeScale: 1, rateScale: 1 });

  it('plans exactly the official counts at scale 1', () => {
    expect(official.countByGroup).toEqual({ debits: 39_660, credits: 19_860, statements: 1_860 });
    expect(VALIDATION_REQUEST_COUNT).toBe(123);
    expect(plannedRequestCount(official)).toBe(61_503);
    expect(official.durationMs).toBe(240_000);
  });

  it('merges the groups in time order within the 240 s of load', () => {
    const { offsetsMs, groups } = official;
    expect(groups).toHaveLength(offsetsMs.length);
    const sorted = offsetsMs.every(
      (offsetMs, index) => index === 0 || offsetMs >= (offsetsMs[index - 1] as number),
    );
    expect(sorted).toBe(true);
    expect(offsetsMs[0]).toBe(0);
    expect(offsetsMs[offsetsMs.length - 1]).toBeLessThan(240_000);
  });

  it('ramps from 1 to the peak, holds it, and spaces users evenly in each second', () => {
    expect(countInWindow(official.offsetsMs, 0, 1000)).toBe(4);
    expect(countInWindow(official.offsetsMs, 239_000, 240_000)).toBe(340);
    const holdSecond = segmentArrivalsS(220, 220, 120, 120).slice(0, 220);
    expect(holdSecond[0]).toBe(120);
    expect((holdSecond[1] as number) - (holdSecond[0] as number)).toBeCloseTo(1 / 220, 9);
    const ramp = segmentArrivalsS(1, 220, 120, 0);
    expect(ramp).toHaveLength(13_260);
    expect(ramp.filter((s) => s >= 60 && s < 61).length).toBeCloseTo(111, -1);
  });

  it('--time-scale keeps the peak rates in less time', () => {
    const quarter = buildLoadSchedule({ timeScale: 0.25, rateScale: 1 });
    expect(quarter.durationMs).toBe(60_000);
    expect(quarter.countByGroup).toEqual({ debits: 9_915, credits: 4_965, statements: 465 });
    expect(countInWindow(quarter.offsetsMs, 59_000, 60_000)).toBe(340);
  });

  it('--rate-scale multiplies the rates', () => {
    const double = buildLoadSchedule({ timeScale: 1, rateScale: 2 });
    expect(double.countByGroup).toEqual({ debits: 79_320, credits: 39_720, statements: 3_720 });
    expect(countInWindow(double.offsetsMs, 239_000, 240_000)).toBe(680);
  });

  it('refuses scales out of range', () => {
    expect(() => buildLoadSchedule({ timeScale: 0, rateScale: 1 })).toThrow();
    expect(() => buildLoadSchedule({ timeScale: 1, rateScale: 21 })).toThrow();
  });

  it('starts the next phase on the next tick', () => {
    expect(nextTickMs(0, 1000)).toBe(1000);
    expect(nextTickMs(999.9, 1000)).toBe(1000);
    expect(nextTickMs(1000, 1000)).toBe(2000);
    expect(nextTickMs(30, 250)).toBe(250);
  });
});

describe('checks', () => {
  it('accepts a debit of 200 or 422 and refuses a balance below -limite', () => {
    expect(checkDebit(422, '{"error":"x"}').ok).toBe(true);
    expect(checkDebit(200, '{"limite":1000,"saldo":-1000}').ok).toBe(true);
    expect(checkDebit(200, '{"limite":1000,"saldo":-1001}')).toMatchObject({
      ok: false,
      reason: 'saldo below -limite',
      inconsistency: true,
    });
    expect(checkDebit(500, '')).toMatchObject({
      ok: false,
      reason: 'status 500 (expected 200 or 422)',
    });
    expect(checkDebit(200, 'not json')).toMatchObject({ ok: false, inconsistency: false });
  });

  it('requires 200 for a credit and a statement', () => {
    expect(checkCredit(422, '{}')).toMatchObject({
      ok: false,
      reason: 'status 422 (expected 200)',
    });
    expect(checkCredit(0, '')).toMatchObject({ ok: false, reason: 'no response (expected 200)' });
    const statement = (total: number) =>
      JSON.stringify({ saldo: { total, limite: 500, data_extrato: 'x' }, ultimas_transacoes: [] });
    expect(checkStatement(200, statement(-500)).ok).toBe(true);
    expect(checkStatement(200, statement(-501))).toMatchObject({ ok: false, inconsistency: true });
    expect(checkStatusIn(400, [422, 400]).ok).toBe(true);
    expect(checkStatusIn(200, [404])).toMatchObject({
      ok: false,
      reason: 'status 200 (expected 404)',
    });
  });

  it('checks a validation statement: entries first, and a wrong total is an inconsistency', () => {
    const body = JSON.stringify({
      saldo: { total: 0, limite: 100, data_extrato: 'x' },
      ultimas_transacoes: [{ valor: 1, tipo: 'd', descricao: 'devolve', realizada_em: 'x' }],
    });
    const danada = [{ description: 'danada', kind: 'c', amountCents: 1 }] as const;
    expect(checkStatementMatches(200, body, { totalCents: 0, limitCents: 100 }).ok).toBe(true);
    expect(
      checkStatementMatches(200, body, { latestEntries: danada, totalCents: 1 }),
    ).toMatchObject({
      ok: false,
      reason: 'ultimas_transacoes[0] is not "danada"',
      inconsistency: true,
    });
    expect(checkStatementMatches(200, body, { latestEntries: danada })).toMatchObject({
      ok: false,
      inconsistency: false,
    });
    expect(checkStatementMatches(200, body, { limitCents: 99 })).toMatchObject({
      reason: 'saldo.limite is not 99',
    });
  });
});

describe('statistics and options', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile(sorted, 1)).toBe(100);
    expect(percentile(new Float64Array(0), 0.5)).toBe(0);
  });

  it('fines below 98% OK under 250 ms and per inconsistency', () => {
    expect(computeFine(98, 0).totalUsd).toBe(0);
    expect(computeFine(100, 0).totalUsd).toBe(0);
    expect(computeFine(95, 0).slaUsd).toBe(3000);
    expect(computeFine(97.5, 2)).toMatchObject({ slaUsd: 500, inconsistencyUsd: 1606.02 });
    expect(computeFine(97.5, 2).totalUsd).toBe(2106.02);
  });

  it('draws 10-character alphanumeric descriptions', () => {
    expect(randomDescription(Math.random)).toMatch(/^[A-Za-z0-9]{10}$/);
    expect(randomDescription(() => 0.999_999)).toBe('9999999999');
  });

  it('parses the command line strictly', () => {
    const options = parseCliOptions(['--url', 'http://127.0.0.1:9999/', '--time-scale', '0.25']);
    expect(options).toMatchObject({ url: 'http://127.0.0.1:9999', timeScale: 0.25, rateScale: 1 });
    expect(() => parseCliOptions(['--rate-scale', 'x'])).toThrow(/--rate-scale/);
    expect(() => parseCliOptions(['--bogus'])).toThrow();
  });
});
