// Goal: hostile HTTP input is harmless: every generated request gets its exact 4xx
// (never a 5xx), rejected requests leave every statement identical, accepted odd but
// valid input (exponents, duplicate keys, unicode, control and SQL-looking text) is
// stored verbatim, and no process crashes.
// Method: fast-check properties against a real stack process: well-formed requests
// with fetch (raw JSON text, so -0, 1e400, lone surrogates and duplicate keys are
// covered), malformed framing over raw node:net sockets (truncated bodies, lying
// Content-Length, bad methods and targets, garbage), slow and stalled senders;
// statements of all five clients and the pids compared before and after. Every error
// answered, whichever layer wrote it, must be the contract's JSON {error, message}.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  invalidValorText,
  nonObjectJson,
  transactionObject,
  validDescricao,
  validValorText,
} from '../support/hostile-json.js';
import { parseResponses, type RawExchange, requestHead, sendRaw } from '../support/raw-http.js';
import { type StackProcess, startStackProcess } from '../support/stack-process.js';

const BODY_LIMIT_BYTES = 4096;
const REQUEST_TIMEOUT_MS = 1000;
// A cut slow client was answered 1.1 to 2.2 s after it began (one or two timeouts, each
// checked every fifth of a timeout); Node's default check, every 30 s, held such clients
// 9 to 31 s. Six timeouts per cut is over 5 times the measured figure and far below that.
const SLOW_CLIENT_CUT_MAX_MS = 6 * REQUEST_TIMEOUT_MS;
const CLIENT_IDS = [1, 2, 3, 4, 5];

let stack: StackProcess;
let port: number;
let pidsAtStart: Record<string, number>;

beforeAll(async () => {
  stack = await startStackProcess(['--fresh'], {
    FACADE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    FACADE_BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES),
  });
  port = Number(new URL(stack.httpUrl).port);
  pidsAtStart = stack.state().pids;
});

afterAll(async () => {
  await stack?.stop();
});

interface Answer {
  status: number;
  body: unknown;
}

async function call(method: string, path: string, body?: string, type = 'application/json') {
  const init: RequestInit =
    body === undefined ? { method } : { method, body, headers: { 'content-type': type } };
  const response = await fetch(`${stack.httpUrl}${path}`, init);
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // kept as text for the assertion message
  }
  return { status: response.status, body: parsed } satisfies Answer;
}

/** Every client's statement without its timestamp: identical means nothing changed. */
async function ledgerSnapshot(): Promise<unknown[]> {
  const statements = [];
  for (const id of CLIENT_IDS) {
    const answer = await call('GET', `/clientes/${id}/extrato`);
    expect(answer.status).toBe(200);
    const { saldo, ultimas_transacoes } = answer.body as {
      saldo: { total: number; limite: number };
      ultimas_transacoes: unknown[];
    };
    statements.push({ total: saldo.total, limite: saldo.limite, ultimas_transacoes });
  }
  return statements;
}

const clientId = fc.constantFrom(...CLIENT_IDS);

/** Every response of a raw exchange that is an error is JSON with exactly error and message. */
function expectJsonErrors(exchange: RawExchange): void {
  for (const response of parseResponses(exchange.text)) {
    if (response.status < 400) continue;
    expect(response.contentType, exchange.text).toMatch(/^application\/json/);
    expect(Object.keys(JSON.parse(response.body)).sort(), exchange.text).toEqual([
      'error',
      'message',
    ]);
  }
}

describe('well-formed requests with invalid content', () => {
  it('every rejected transaction gets its exact 4xx and changes nothing', async () => {
    const before = await ledgerSnapshot();
    await fc.assert(
      fc.asyncProperty(
        clientId,
        transactionObject.filter((body) => !body.valid),
        async (id, body) => {
          const answer = await call('POST', `/clientes/${id}/transacoes`, body.text);
          const expected = Buffer.byteLength(body.text) > BODY_LIMIT_BYTES ? 413 : 422;
          expect(answer.status, body.text).toBe(expected);
          expect(answer.body).toMatchObject({ error: expect.any(String) });
        },
      ),
      { numRuns: 1000 },
    );
    await fc.assert(
      fc.asyncProperty(clientId, nonObjectJson, async (id, text) => {
        const answer = await call('POST', `/clientes/${id}/transacoes`, text);
        const expected = Buffer.byteLength(text) > BODY_LIMIT_BYTES ? 413 : 422;
        expect(answer.status, text).toBe(expected);
      }),
      { numRuns: 300 },
    );
    expect(await ledgerSnapshot()).toEqual(before);
  }, 60_000);

  it('not JSON, another content type, a wrong method or a bad id: 400/415/404', async () => {
    const before = await ledgerSnapshot();
    const notJson = fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }).filter((text) => {
      try {
        JSON.parse(text);
        return false;
      } catch {
        return true;
      }
    });
    await fc.assert(
      fc.asyncProperty(clientId, notJson, async (id, text) => {
        const answer = await call('POST', `/clientes/${id}/transacoes`, text);
        expect(answer.status, JSON.stringify(text)).toBe(400);
      }),
      { numRuns: 300 },
    );
    const otherType = fc.oneof(
      fc.constantFrom(
        'text/plain',
        'text/html',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
        'application/jsonx',
        'application/vnd.api+json',
        'json',
      ),
      fc
        .tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z]{1,8}$/))
        .filter(([type, subtype]) => !`${type}/${subtype}`.includes('json'))
        .map(([type, subtype]) => `${type}/${subtype}`),
    );
    await fc.assert(
      fc.asyncProperty(clientId, otherType, transactionObject, async (id, type, body) => {
        // The type is refused before the body is read, whatever its size.
        const answer = await call('POST', `/clientes/${id}/transacoes`, body.text, type);
        expect(answer.status, type).toBe(415);
      }),
      { numRuns: 200 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('PUT', 'PATCH', 'DELETE', 'OPTIONS'),
        fc.constantFrom('transacoes', 'extrato'),
        clientId,
        async (method, route, id) => {
          const answer = await call(method, `/clientes/${id}/${route}`);
          expect(answer).toMatchObject({ status: 404, body: { error: 'not_found' } });
        },
      ),
      { numRuns: 40 },
    );
    const badId = fc
      .string({ unit: 'binary', maxLength: 80 })
      .filter((id) => !/^[1-5]$/.test(id))
      .map(encodeURIComponent)
      .filter((encoded) => encoded.length <= 100);
    await fc.assert(
      fc.asyncProperty(badId, async (id) => {
        expect((await call('GET', `/clientes/${id}/extrato`)).status, id).toBe(404);
        const post = await call(
          'POST',
          `/clientes/${id}/transacoes`,
          '{"valor":1,"tipo":"c","descricao":"x"}',
        );
        expect(post.status, id).toBe(404);
      }),
      { numRuns: 300 },
    );
    expect(await ledgerSnapshot()).toEqual(before);
  }, 60_000);
});

describe('odd but valid input is accepted and stored verbatim', () => {
  it('exponents, duplicate keys, unicode, control and SQL-looking text', async () => {
    await fc.assert(
      fc.asyncProperty(
        clientId,
        validValorText,
        validDescricao,
        fc.boolean(),
        async (id, valorText, descricao, duplicate) => {
          const before = (await call('GET', `/clientes/${id}/extrato`)).body as {
            saldo: { total: number; limite: number };
          };
          // With a duplicate key, the first (invalid) value is overridden by the last.
          const first = duplicate ? '"valor":"not this",' : '';
          const text = `{${first}"valor":${valorText},"tipo":"c","descricao":${JSON.stringify(descricao)},"sql":"' OR 1=1"}`;
          const valor = JSON.parse(valorText) as number;
          const answer = await call('POST', `/clientes/${id}/transacoes`, text);
          expect(answer, text).toEqual({
            status: 200,
            body: { limite: before.saldo.limite, saldo: before.saldo.total + valor },
          });
          const after = (await call('GET', `/clientes/${id}/extrato`)).body as {
            ultimas_transacoes: Array<{ valor: number; tipo: string; descricao: string }>;
          };
          expect(after.ultimas_transacoes[0]).toMatchObject({ valor, tipo: 'c', descricao });
        },
      ),
      // Credits only grow balances; the amounts are capped so none overflows.
      { numRuns: 200 },
    );
  }, 60_000);
});

const validBody = '{"valor":1,"tipo":"d","descricao":"raw"}';
const invalidBody = '{"valor":1,"tipo":"d"}';

describe('malformed framing over raw sockets', () => {
  it('lying Content-Length, truncated bodies, bad methods and targets: 4xx or a close', async () => {
    const before = await ledgerSnapshot();
    const framing = fc.oneof(
      // Content-Length larger than the body, then the end of the stream.
      fc.tuple(invalidValorText, fc.integer({ min: 1, max: 500 })).map(([valor, extra]) => {
        const body = `{"valor":${valor},"tipo":"c","descricao":"x"}`;
        return {
          head: [
            ['Content-Type', 'application/json'],
            ['Content-Length', String(body.length + extra)],
          ] as const,
          method: 'POST',
          target: '/clientes/1/transacoes',
          body,
          end: true,
        };
      }),
      // Content-Length smaller than the body: the rest is read as a next request.
      fc.integer({ min: 0, max: validBody.length - 1 }).map((length) => ({
        head: [
          ['Content-Type', 'application/json'],
          ['Content-Length', String(length)],
        ] as const,
        method: 'POST',
        target: '/clientes/1/transacoes',
        body: validBody,
        end: false,
      })),
      // Duplicate, negative or non-numeric Content-Length; both framings at once.
      fc
        .constantFrom(
          [
            ['Content-Length', '5'],
            ['Content-Length', '6'],
          ],
          [['Content-Length', '-1']],
          [['Content-Length', 'abc']],
          [['Content-Length', '1e3']],
          [
            ['Transfer-Encoding', 'chunked'],
            ['Content-Length', '3'],
          ],
          [['Transfer-Encoding', 'gzip, chunked']],
        )
        .map((headers) => ({
          head: [['Content-Type', 'application/json'], ...headers] as const,
          method: 'POST',
          target: '/clientes/1/transacoes',
          body: invalidBody,
          end: false,
        })),
      // Unknown methods and targets with bytes HTTP forbids there.
      fc
        .tuple(
          fc.oneof(fc.stringMatching(/^[A-Z]{1,10}$/), fc.constantFrom('G ET', 'GET\u0000')),
          fc.oneof(
            fc
              .string({ unit: 'binary', minLength: 1, maxLength: 50 })
              .map((s) => `/clientes/${s}/extrato`),
            fc.constantFrom('*', 'http://x/clientes/1/extrato', '', '/clientes/1/extrato\u0001'),
          ),
        )
        .map(([method, target]) => ({
          head: [
            ['Content-Length', String(invalidBody.length)],
            ['Content-Type', 'application/json'],
          ] as const,
          method,
          target,
          body: invalidBody,
          end: false,
        })),
    );
    await fc.assert(
      fc.asyncProperty(framing, async (request) => {
        const head = requestHead(request.method, request.target, [
          ...request.head,
          ['Connection', 'close'],
        ]);
        const exchange = await sendRaw({
          port,
          chunks: [Buffer.from(head + request.body, 'utf8')],
          endAfterWrite: request.end,
          timeoutMs: 4 * REQUEST_TIMEOUT_MS,
        });
        expect(exchange.timedOut, exchange.text).toBe(false);
        expectJsonErrors(exchange);
        for (const status of exchange.statuses) {
          // 200 is a statement for a GET with an odd method name... never for a POST here.
          expect(status, `${JSON.stringify(head)} → ${exchange.text}`).toBeGreaterThanOrEqual(400);
          expect(status, exchange.text).toBeLessThan(500);
        }
      }),
      { numRuns: 300 },
    );
    expect(await ledgerSnapshot()).toEqual(before);
  }, 60_000);

  it('garbage bytes get a 400 (empty lines alone a 408) or a close, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2000 }), async (bytes) => {
        const exchange = await sendRaw({
          port,
          chunks: [Buffer.from(bytes), '\r\n\r\n'],
          timeoutMs: 4 * REQUEST_TIMEOUT_MS,
        });
        expect(exchange.timedOut).toBe(false);
        expectJsonErrors(exchange);
        // Empty lines before a request line are ignored (RFC 9112 §2.2): bytes that are
        // only CR and LF start no request, so the server waits for one and answers 408.
        const onlyEmptyLines = bytes.every((byte) => byte === 0x0a || byte === 0x0d);
        for (const status of exchange.statuses) expect(status).toBe(onlyEmptyLines ? 408 : 400);
      }),
      { numRuns: 200 },
    );
  }, 60_000);

  it('a URL beyond the header limit gets 431; an id beyond the param limit 414', async () => {
    const huge = await sendRaw({
      port,
      chunks: [
        requestHead('GET', `/clientes/${'1'.repeat(20_000)}/extrato`, [['Connection', 'close']]),
      ],
      timeoutMs: 4 * REQUEST_TIMEOUT_MS,
    });
    expect(huge.statuses).toEqual([431]);
    expectJsonErrors(huge);
    expect((await call('GET', `/clientes/${'1'.repeat(3000)}/extrato`)).status).toBe(414);
  });
});

describe('slow senders', () => {
  it('a slow but complete request gets its answer', async () => {
    const head = requestHead('POST', '/clientes/4/transacoes', [
      ['Content-Type', 'application/json'],
      ['Content-Length', String(invalidBody.length)],
      ['Connection', 'close'],
    ]);
    const exchange = await sendRaw({
      port,
      chunks: [head, ...(invalidBody.match(/.{1,4}/g) ?? [])],
      delayMs: 50,
      timeoutMs: 10_000,
    });
    expect(exchange.statuses).toEqual([422]);
  });

  it('a stalled request is cut off within twice the request timeout, with no 5xx', async () => {
    const stalled = await Promise.all(
      Array.from({ length: 20 }, () =>
        sendRaw({
          port,
          chunks: [
            requestHead('POST', '/clientes/4/transacoes', [
              ['Content-Type', 'application/json'],
              ['Content-Length', '100'],
            ]),
            '{"valor": 1,',
          ],
          timeoutMs: 20_000,
        }),
      ),
    );
    for (const exchange of stalled) {
      expect(exchange.timedOut).toBe(false);
      expectJsonErrors(exchange);
      expect(exchange.durationMs).toBeLessThan(2 * SLOW_CLIENT_CUT_MAX_MS);
      for (const status of exchange.statuses) expect(status).toBe(408);
    }
  });
  it('a trickling sender is cut off within about the request timeout', async () => {
    // One byte every 100 ms of a body announced as 1000 bytes: never idle, never done.
    const head = requestHead('POST', '/clientes/4/transacoes', [
      ['Content-Type', 'application/json'],
      ['Content-Length', '1000'],
    ]);
    const exchange = await sendRaw({
      port,
      chunks: [head, ...Array.from({ length: 200 }, () => ' ')],
      delayMs: 100,
      timeoutMs: 20_000,
    });
    expect(exchange.timedOut).toBe(false);
    expect(exchange.durationMs).toBeLessThan(SLOW_CLIENT_CUT_MAX_MS);
    for (const status of exchange.statuses) expect(status).toBe(408);
  }, 30_000);
});

describe('after all of it', () => {
  it('no process crashed and the stack still serves', async () => {
    expect(stack.state().pids).toEqual(pidsAtStart);
    expect(await call('POST', '/clientes/5/transacoes', validBody)).toMatchObject({ status: 200 });
  });
});
