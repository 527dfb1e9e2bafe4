// Goal: what only a real connection shows about the facade: a request parsed before
// garbage is answered (its posting committed) before the garbage gets its 400;
// pipelined postings are processed in order; a slow sender (headers or body) is cut
// near the request timeout, not at Node's 30 s check; every refusal Node or the
// parser makes (garbage, missing Host, CONNECT, oversized headers) is the contract's
// JSON; bytes that are not UTF-8 are refused and write nothing.
// Method: buildApp listening on a loopback port in this process, in front of the real
// ledger on a real PostgreSQL; raw bytes over node:net (tests/support/raw-http.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../common/logger.js';
import { buildApp } from '../http-facade/app.js';
import { parseFacadeConfig } from '../http-facade/config.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startTestLedger, type TestLedger } from './support/ledger.js';
import { testPort } from './support/ports.js';
import { requestHead, sendRaw } from './support/raw-http.js';

// Short, so the slow-sender tests take about a second each.
const REQUEST_TIMEOUT_MS = 1000;
/**
 * Measured: a slow sender is cut 1.0-1.3 s after it connects (the timeout plus at
 * most one check interval, a fifth of it). The bound, 7 timeouts, is over 5 times the
 * slowest figure and far below the 30 s Node's default check interval held such senders.
 */
const CUT_WITHIN_MS = 7 * REQUEST_TIMEOUT_MS;
const EXCHANGE_TIMEOUT_MS = 10_000;

let database: TestDatabase;
let ledger: TestLedger;
let app: Awaited<ReturnType<typeof buildApp>>;
let port: number;

beforeAll(async () => {
  database = await createTestDatabase();
  ledger = await startTestLedger(database.url);
  port = testPort();
  const config = parseFacadeConfig({
    FACADE_PORT: String(port),
    FACADE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    LEDGER_ADDRESS: ledger.address,
  });
  app = buildApp({ config, ledger: ledger.client, logger: createLogger('facade-test', 'silent') });
  await app.listen({ host: '127.0.0.1', port });
});

afterAll(async () => {
  await app?.close();
  await ledger?.stop();
  await database?.drop();
});

async function balanceOf(clientId: number): Promise<number> {
  const rows = await database.query<{ balance: string }>(
    'SELECT balance_cents AS balance FROM clients WHERE id = $1',
    [clientId],
  );
  return Number(rows[0]?.balance);
}

function post(clientId: number, body: string, extraHeaders: [string, string][] = []): string {
  return (
    requestHead('POST', `/clientes/${clientId}/transacoes`, [
      ['Content-Type', 'application/json'],
      ['Content-Length', String(Buffer.byteLength(body))],
      ...extraHeaders,
    ]) + body
  );
}

/** The JSON bodies of every response in a raw exchange, in order. */
function bodiesOf(text: string): unknown[] {
  return text
    .split(/HTTP\/1\.1 /)
    .slice(1)
    .map((response) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)));
}

describe('a connection with garbage after a valid request', () => {
  it('answers the committed posting with its 200, then the garbage with a JSON 400', async () => {
    const before = await balanceOf(1);
    const exchange = await sendRaw({
      port,
      chunks: [
        post(1, '{"valor":7,"tipo":"c","descricao":"then junk"}') + '\u0001\u0002junk\r\n\r\n',
      ],
      timeoutMs: EXCHANGE_TIMEOUT_MS,
    });
    expect(exchange.statuses, exchange.text).toEqual([200, 400]);
    expect(bodiesOf(exchange.text)).toEqual([
      { limite: 100000, saldo: before + 7 },
      { error: 'bad_request', message: 'malformed HTTP request' },
    ]);
    expect(await balanceOf(1)).toBe(before + 7);
  });
});

describe('pipelined requests on one connection', () => {
  it('50 pipelined credits are processed in order, and a trailing statement sees all', async () => {
    const before = await balanceOf(3);
    const credits = Array.from({ length: 50 }, (_, index) =>
      post(3, `{"valor":1,"tipo":"c","descricao":"p${index}"}`),
    );
    const statement = requestHead('GET', '/clientes/3/extrato', [['Connection', 'close']]);
    const exchange = await sendRaw({
      port,
      chunks: [credits.join('') + statement],
      timeoutMs: EXCHANGE_TIMEOUT_MS,
    });
    expect(exchange.statuses).toEqual([...credits.map(() => 200), 200]);
    const bodies = bodiesOf(exchange.text);
    const balances = bodies.slice(0, 50).map((body) => (body as { saldo: number }).saldo);
    expect(balances).toEqual(credits.map((_, index) => before + index + 1));
    const last = bodies[50] as { saldo: { total: number }; ultimas_transacoes: unknown[] };
    expect(last.saldo.total).toBe(before + 50);
    expect(last.ultimas_transacoes[0]).toMatchObject({ descricao: 'p49' });
  });
});

describe('slow senders are cut near the request timeout', () => {
  it('headers that never end get a JSON 408', async () => {
    const exchange = await sendRaw({
      port,
      chunks: ['GET /clientes/1/extrato HTTP/1.1\r\n', 'Host: 127.0.0.1\r\n', 'X-Slow: 1\r\n'],
      delayMs: 100,
      timeoutMs: EXCHANGE_TIMEOUT_MS,
    });
    expect(exchange.timedOut).toBe(false);
    expect(exchange.durationMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(exchange.durationMs).toBeLessThan(CUT_WITHIN_MS);
    expect(exchange.statuses).toEqual([408]);
    expect(bodiesOf(exchange.text)).toEqual([
      { error: 'request_timeout', message: 'request not received within the request timeout' },
    ]);
  });

  it('a body trickling one byte every 100 ms gets a JSON 408 and writes nothing', async () => {
    const before = await balanceOf(4);
    const head = requestHead('POST', '/clientes/4/transacoes', [
      ['Content-Type', 'application/json'],
      ['Content-Length', '1000'],
    ]);
    const exchange = await sendRaw({
      port,
      chunks: [head, '{"valor":1,"tipo":"c","descricao":"slow"}', ...Array(100).fill(' ')],
      delayMs: 100,
      timeoutMs: EXCHANGE_TIMEOUT_MS,
    });
    expect(exchange.timedOut).toBe(false);
    expect(exchange.durationMs).toBeLessThan(CUT_WITHIN_MS);
    expect(exchange.statuses).toEqual([408]);
    expect(await balanceOf(4)).toBe(before);
  });
});

describe('refusals made below Fastify are the contract JSON', () => {
  const cases: Array<[string, string, number, string]> = [
    ['garbage', '\u0000\u00ffnot http\r\n\r\n', 400, 'bad_request'],
    [
      'a missing Host',
      'GET /clientes/1/extrato HTTP/1.1\r\nConnection: close\r\n\r\n',
      400,
      'missing_host',
    ],
    ['CONNECT', 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n', 404, 'not_found'],
    [
      'headers beyond the limit',
      requestHead('GET', '/clientes/1/extrato', [['X-Big', 'x'.repeat(20_000)]]),
      431,
      'headers_too_large',
    ],
    [
      'a bad URL',
      requestHead('GET', '/clientes/%zz/extrato', [['Connection', 'close']]),
      400,
      'bad_url',
    ],
  ];
  it.each(cases)('%s', async (_name, bytes, status, error) => {
    const exchange = await sendRaw({ port, chunks: [bytes], timeoutMs: EXCHANGE_TIMEOUT_MS });
    expect(exchange.statuses, exchange.text).toEqual([status]);
    expect(exchange.text).toMatch(/\r\ncontent-type: application\/json/i);
    expect(bodiesOf(exchange.text)).toEqual([{ error, message: expect.any(String) }]);
  });
});

describe('bytes that are not UTF-8', () => {
  it('a descricao of bytes ff fe gets a 400 and writes nothing', async () => {
    const before = await balanceOf(5);
    const body = Buffer.concat([
      Buffer.from('{"valor":1,"tipo":"c","descricao":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const head = requestHead('POST', '/clientes/5/transacoes', [
      ['Content-Type', 'application/json'],
      ['Content-Length', String(body.length)],
      ['Connection', 'close'],
    ]);
    const exchange = await sendRaw({
      port,
      chunks: [Buffer.concat([Buffer.from(head), body])],
      timeoutMs: EXCHANGE_TIMEOUT_MS,
    });
    expect(exchange.statuses).toEqual([400]);
    expect(bodiesOf(exchange.text)).toEqual([
      { error: 'invalid_json', message: 'body is not valid UTF-8' },
    ]);
    expect(await balanceOf(5)).toBe(before);
  });
});
