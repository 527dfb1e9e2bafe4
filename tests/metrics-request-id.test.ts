// Goal: the request id follows a request from the HTTP edge into the ledger's log
// lines, on both transports; the facade's metrics use route templates (never raw
// ids) and count what was answered; a bad metrics address stops the process at boot.
// Method: the real facade app (buildApp + inject) with its metrics, in front of a
// ledger client that records what it is given; the real ledger gRPC server on
// loopback over a store that fails like a bug would, its log lines captured; the
// hand-written Pipeline decoder fed real protobuf bytes; the config parsers.
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../common/env.js';
import { buildApp } from '../http-facade/app.js';
import { parseFacadeConfig } from '../http-facade/config.js';
import { createLedgerClient, type LedgerClient } from '../http-facade/ledger-client.js';
import { FacadeMetrics, instrumentLedgerClient } from '../http-facade/metrics.js';
import { parseLedgerConfig } from '../ledger-service/config.js';
import { buildLedgerServer } from '../ledger-service/grpc-server.js';
import type { LedgerStore } from '../ledger-service/ledger.js';
import { testPort } from './support/ports.js';
import { countingLedger } from './support/stub-ledger.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A ledger client that records the request id of every call. */
function recordingLedger(): LedgerClient & { readonly requestIds: (string | undefined)[] } {
  const inner = countingLedger();
  const requestIds: (string | undefined)[] = [];
  return {
    requestIds,
    postTransaction(request, timeoutMs, requestId) {
      requestIds.push(requestId);
      return inner.postTransaction(request, timeoutMs);
    },
    getStatement(clientId, timeoutMs, requestId) {
      requestIds.push(requestId);
      return inner.getStatement(clientId, timeoutMs);
    },
    isServing: inner.isServing,
    close: () => {},
  };
}

function facade() {
  const ledger = recordingLedger();
  const metrics = new FacadeMetrics();
  const config = parseFacadeConfig({ LOG_LEVEL: 'silent' });
  const app = buildApp({
    config,
    ledger: instrumentLedgerClient(ledger, metrics),
    logger: pino({ level: 'silent' }),
    metrics,
  });
  return { app, ledger, metrics };
}

const credit = JSON.stringify({ valor: 5, tipo: 'c', descricao: 'abc' });
const postHeaders = { 'content-type': 'application/json' };

describe('the facade', () => {
  it('returns and forwards a valid x-request-id, and replaces an unusable one', async () => {
    const { app, ledger } = facade();
    const given = await app.inject({
      method: 'POST',
      url: '/clientes/1/transacoes',
      headers: { ...postHeaders, 'x-request-id': 'edge-42' },
      payload: credit,
    });
    expect(given.statusCode).toBe(200);
    expect(given.headers['x-request-id']).toBe('edge-42');
    for (const bad of ['x'.repeat(129), 'has space', 'ação']) {
      const answer = await app.inject({
        url: '/clientes/1/extrato',
        headers: { 'x-request-id': bad },
      });
      expect(answer.statusCode).toBe(200);
      expect(answer.headers['x-request-id']).toMatch(UUID);
    }
    const made = await app.inject({ url: '/clientes/2/extrato' });
    expect(made.headers['x-request-id']).toMatch(UUID);
    expect(ledger.requestIds[0]).toBe('edge-42');
    expect(ledger.requestIds).toHaveLength(5);
    // The id made up for a request is the one the ledger gets.
    expect(ledger.requestIds[4]).toBe(made.headers['x-request-id']);
    expect(ledger.requestIds.slice(1).every((id) => UUID.test(id ?? ''))).toBe(true);
    // Even a refusal before any route carries the id.
    const refused = await app.inject({ url: '/nowhere', headers: { 'x-request-id': 'r-1' } });
    expect(refused.statusCode).toBe(404);
    expect(refused.headers['x-request-id']).toBe('r-1');
  });

  it('counts by route template and status, never by raw path', async () => {
    const { app, metrics } = facade();
    for (const id of [1, 2, 3]) {
      const answer = await app.inject({ url: `/clientes/${id}/extrato` });
      expect(answer.statusCode).toBe(200);
    }
    const invalid = await app.inject({
      method: 'POST',
      url: '/clientes/7/transacoes',
      headers: postHeaders,
      payload: JSON.stringify({ valor: 1.5, tipo: 'c', descricao: 'x' }),
    });
    expect(invalid.statusCode).toBe(422);
    expect((await app.inject({ url: '/clientes/8/saldo' })).statusCode).toBe(404);
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'facade_http_requests_total{route="/clientes/:id/extrato",method="GET",status="200"} 3',
    );
    expect(text).toContain(
      'facade_http_requests_total{route="/clientes/:id/transacoes",method="POST",status="422"} 1',
    );
    expect(text).toContain(
      'facade_http_requests_total{route="unmatched",method="GET",status="404"} 1',
    );
    expect(text).toContain('facade_ledger_calls_total{operation="GetStatement",code="OK"} 3');
    expect(text).toContain('facade_http_requests_in_flight 0');
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).not.toMatch(/\/clientes\/[0-9]/);
  });
});

describe('a request whose caller leaves before the answer', () => {
  it('is counted as 499 and leaves nothing in flight', async () => {
    const ledger = recordingLedger();
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: LedgerClient = {
      ...ledger,
      getStatement: async (clientId, timeoutMs) => {
        await held;
        return ledger.getStatement(clientId, timeoutMs);
      },
    };
    const metrics = new FacadeMetrics();
    const app = buildApp({
      config: parseFacadeConfig({ LOG_LEVEL: 'silent' }),
      ledger: slow,
      logger: pino({ level: 'silent' }),
      metrics,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const port = (app.server.address() as { port: number }).port;
      const aborted = new AbortController();
      const leaving = fetch(`http://127.0.0.1:${port}/clientes/1/extrato`, {
        signal: aborted.signal,
      }).catch(() => 'left');
      const inFlight = async () =>
        /facade_http_requests_in_flight (\d+)/.exec(await metrics.registry.metrics())?.[1];
      // Bounded poll for the request to be in the handler, then the caller leaves.
      for (let attempt = 0; attempt < 200 && (await inFlight()) !== '1'; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await inFlight()).toBe('1');
      aborted.abort();
      expect(await leaving).toBe('left');
      for (let attempt = 0; attempt < 200 && (await inFlight()) !== '0'; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      release();
      const text = await metrics.registry.metrics();
      expect(text).toContain('facade_http_requests_in_flight 0');
      expect(text).toContain(
        'facade_http_requests_total{route="/clientes/:id/extrato",method="GET",status="499"} 1',
      );
    } finally {
      release();
      await app.close();
    }
  });
});

describe('metrics addresses', () => {
  it('are off by default and when set to off', () => {
    expect(parseFacadeConfig({}).metricsAddress).toBeUndefined();
    expect(parseFacadeConfig({ FACADE_METRICS_ADDRESS: 'off' }).metricsAddress).toBeUndefined();
    expect(parseLedgerConfig({ LEDGER_METRICS_ADDRESS: '' }).metricsAddress).toBeUndefined();
  });

  it('take host:port', () => {
    expect(parseFacadeConfig({ FACADE_METRICS_ADDRESS: '0.0.0.0:9464' }).metricsAddress).toEqual({
      host: '0.0.0.0',
      port: 9464,
    });
    expect(parseLedgerConfig({ LEDGER_METRICS_ADDRESS: '[::1]:9465' }).metricsAddress).toEqual({
      host: '::1',
      port: 9465,
    });
  });

  it.each(['9464', 'localhost', 'host:0', 'host:70000', 'on', 'unix:/tmp/x'])(
    'refuse %s, naming the variable',
    (raw) => {
      expect(() => parseFacadeConfig({ FACADE_METRICS_ADDRESS: raw })).toThrow(
        new ConfigError(
          `FACADE_METRICS_ADDRESS must be host:port (port 1 to 65535) or off, got ${JSON.stringify(raw)}`,
        ),
      );
      expect(() => parseLedgerConfig({ LEDGER_METRICS_ADDRESS: raw })).toThrow(
        /^LEDGER_METRICS_ADDRESS must be host:port/,
      );
    },
  );
});

describe('the ledger', () => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  // A store whose every query fails as a bug (an unclassified SQL error) would.
  const failing = () => Promise.reject(new Error('relation "accounts" does not exist'));
  const store: LedgerStore = {
    postBatch: failing,
    getStatement: failing,
    pruneIdempotencyKeys: failing,
    ping: () => Promise.resolve(),
    warmUp: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const batching = { batchSizeMax: 8, inFlightMax: 1, queueLengthMax: 100 };
  const { server } = buildLedgerServer({ store, logger, batching });
  const address = `127.0.0.1:${testPort()}`;
  const bound = new Promise<void>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error) =>
      error ? reject(error) : resolve(),
    ),
  );
  afterAll(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));

  it.each(['pipeline', 'unary'] as const)(
    'logs the failure with the request id the facade sent (%s)',
    async (transport) => {
      await bound;
      const client = createLedgerClient(address, transport);
      try {
        const posting = { clientId: 1, amount: 5, kind: 'TRANSACTION_KIND_CREDIT' as const };
        const requestId = `trace-${transport}-1`;
        const reply = await client.postTransaction(
          { ...posting, description: 'x' },
          5000,
          requestId,
        );
        expect(reply).toEqual({ ok: false, code: grpc.status.INTERNAL, details: 'internal error' });
        const statement = await client.getStatement(1, 5000, `trace-${transport}-2`);
        expect(statement.ok).toBe(false);
        const logged = lines.filter((line) => line.msg === 'unexpected failure');
        expect(logged.map((line) => [line.requestId, line.method])).toEqual(
          expect.arrayContaining([
            [requestId, 'PostTransaction'],
            [`trace-${transport}-2`, 'GetStatement'],
          ]),
        );
        const error = logged.find((line) => line.requestId === requestId)?.err as {
          message: string;
        };
        expect(error.message).toBe('relation "accounts" does not exist');
      } finally {
        client.close();
      }
    },
  );
});
