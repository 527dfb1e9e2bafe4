// Goal: the load test's checks catch a broken server and count exactly its failures,
// and a correct server gets a clean run. Method: run the whole scenario (readiness
// wait, validations, open-model load), time-scaled to about 5 s of load, against the
// in-memory reference server of tests/support, correct or with one fault switched on;
// the server counts what it got wrong and the test compares with what was reported.
// The runs go one at a time: four at once, on cores another process kept busy, starved
// the servers until the kernel reset dozens of new connections (54 'connection reset'
// KOs in one CI run), which no check of a server's answers should have to absorb.
import { describe, expect, it } from 'vitest';
import { runLoadTest } from '../loadtest/run-load-test.js';
import { VALIDATION_REQUEST_COUNT } from '../loadtest/schedule.js';
import {
  type ReferenceServer,
  type ServerFaults,
  startReferenceServer,
} from './support/crebitos-reference-server.js';
import { testPort } from './support/ports.js';

/** 240 s of load in 4.8 s at the official peak rates (about 1,300 requests), after ~5 s of validations. */
const TIME_SCALE = 0.02;

async function runAgainst(faults: ServerFaults) {
  const server: ReferenceServer = await startReferenceServer(testPort(), faults);
  try {
    const result = await runLoadTest({ url: server.url, timeScale: TIME_SCALE, progress: null });
    return { result, counters: server.counters };
  } finally {
    await server.close();
  }
}

function reasonsOf(result: Awaited<ReturnType<typeof runLoadTest>>, group: string) {
  const summary = result.summaries.find((s) => s.group === group);
  return Object.fromEntries((summary?.koReasons ?? []).map((r) => [r.reason, r.count]));
}

describe('load test against the reference server', () => {
  it('gives a clean run against a correct server', async () => {
    const { result, counters } = await runAgainst({});
    expect(result.total.count).toBe(result.plannedCount);
    expect(result.plannedByGroup.validations).toBe(VALIDATION_REQUEST_COUNT);
    expect(counters.requests).toBe(result.plannedCount + (result.readiness?.attempts ?? 0));
    expect(result.total.koReasons).toEqual([]);
    expect(result.total.koCount).toBe(0);
    expect(result.inconsistencyCount).toBe(0);
    // The SLA part of the fine depends on this shared machine's load; balances do not.
    expect(result.fine.inconsistencyUsd).toBe(0);
    expect(result.passed).toBe(true);
    expect(result.readiness).toMatchObject({ ready: true, attempts: 1 });
    const debits = result.summaries.find((s) => s.group === 'debits');
    expect(debits?.count).toBe(result.plannedByGroup.debits);
  });

  it('counts every answer of a server that lets a debit pass the limit', async () => {
    const { result, counters } = await runAgainst({ ignoreLimit: true });
    expect(counters.overLimitAnswers).toBeGreaterThan(0);
    expect(result.inconsistencyCount).toBe(counters.overLimitAnswers);
    expect(result.total.koCount).toBe(counters.overLimitAnswers);
    expect(reasonsOf(result, 'validations')).toEqual({});
    const reasons = { ...reasonsOf(result, 'debits'), ...reasonsOf(result, 'credits') };
    expect(Object.keys(reasons)).toEqual(['saldo below -limite']);
    expect(result.fine.inconsistencyUsd).toBeCloseTo(counters.overLimitAnswers * 803.01, 2);
    expect(result.passed).toBe(false);
  });

  it('counts the 200 for client 6 as one validation KO', async () => {
    const { result } = await runAgainst({ unknownClientExists: true });
    expect(reasonsOf(result, 'validations')).toEqual({ 'status 200 (expected 404)': 1 });
    expect(result.total.koCount).toBe(1);
    expect(result.inconsistencyCount).toBe(0);
    expect(result.passed).toBe(false);
  });

  it('counts each stale statement of the validations', async () => {
    const { result } = await runAgainst({ staleStatements: true });
    // Concurrency: -24 instead of -25, then -1 instead of 0 (2, both wrong totals).
    // Client 1's first statement still shows -1 (1). Each client's statement after
    // "devolve" shows "toma" first (5, totals right), and its 4 statements after
    // "danada" show the balance before it (20, totals wrong).
    expect(reasonsOf(result, 'validations')).toEqual({
      'saldo.total is not -25': 1,
      'saldo.total is not 0': 2,
      'ultimas_transacoes[0] is not "devolve"': 5,
      'ultimas_transacoes[0] is not "danada"': 20,
    });
    expect(result.inconsistencyCount).toBe(23);
    for (const group of ['debits', 'credits', 'statements']) {
      expect(reasonsOf(result, group)).toEqual({});
    }
  });
});
