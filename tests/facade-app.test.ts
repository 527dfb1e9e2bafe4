// Goal: the facade's own rules, at their boundaries, in milliseconds: the strict body
// rules (valor, tipo, descricao), the client-id hook, the not-found handler, bad JSON,
// the media type, charset and content coding, the body limit, and the error body
// {error, message} on every refusal; an accepted posting moves the balance exactly,
// a refused one writes nothing; the ledger's business refusals arrive as their HTTP
// statuses (404 for client 6, 422 beyond the limit).
// Method: buildApp + Fastify inject in front of the real ledger (in this process)
// on a real PostgreSQL; balances read from the database itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../common/logger.js';
import { buildApp } from '../http-facade/app.js';
import { parseFacadeConfig } from '../http-facade/config.js';
import { clientSnapshot, createTestDatabase, type TestDatabase } from './support/database.js';
import { startTestLedger, type TestLedger } from './support/ledger.js';

const BODY_LIMIT_BYTES = 4096;

let database: TestDatabase;
let ledger: TestLedger;
let app: ReturnType<typeof buildApp>;

beforeAll(async () => {
  database = await createTestDatabase();
  ledger = await startTestLedger(database.url);
  const config = parseFacadeConfig({
    LEDGER_ADDRESS: ledger.address,
    FACADE_BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES),
  });
  app = buildApp({ config, ledger: ledger.client, logger: createLogger('facade-test', 'silent') });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await ledger?.stop();
  await database?.drop();
});

const state = (clientId: number) => clientSnapshot(database, clientId);

function postText(clientId: number | string, text: string, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: `/clientes/${clientId}/transacoes`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: text,
  });
}

/** Answers with an error body exactly {error, message}, the message non-empty. */
function expectError(
  response: { statusCode: number; json(): unknown },
  status: number,
  error: string,
) {
  expect(response.statusCode).toBe(status);
  const body = response.json() as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['error', 'message']);
  expect(body.error).toBe(error);
  expect(body.message).toEqual(expect.stringMatching(/./));
}

describe('valid bodies at the boundaries are applied', () => {
  const valid: Array<[string, string, number]> = [
    ['valor 1', '{"valor":1,"tipo":"c","descricao":"min"}', 1],
    ['valor 2147483647', '{"valor":2147483647,"tipo":"c","descricao":"max"}', 2_147_483_647],
    ['valor 1.0', '{"valor":1.0,"tipo":"c","descricao":"one"}', 1],
    ['descricao of 1 code point', '{"valor":1,"tipo":"c","descricao":"x"}', 1],
    ['descricao of 10 code points', '{"valor":1,"tipo":"c","descricao":"0123456789"}', 1],
    ['"ação" (4 code points)', '{"valor":1,"tipo":"c","descricao":"ação ação!"}', 1],
    ['emoji (1 code point each)', '{"valor":1,"tipo":"c","descricao":"😀😀😀😀😀😀😀😀😀😀"}', 1],
    ['extra fields ignored', '{"valor":1,"tipo":"c","descricao":"x","extra":{"a":[1]}}', 1],
    ['a debit', '{"valor":3,"tipo":"d","descricao":"debit"}', -3],
  ];
  it.each(valid)('%s', async (_name, text, delta) => {
    const before = await state(3);
    const response = await postText(3, text);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ limite: 1_000_000, saldo: before.balance + delta });
    expect(await state(3)).toEqual({
      ...before,
      balance: before.balance + delta,
      transactions: before.transactions + 1,
    });
  });

  it('the descricao is stored verbatim, emoji included', async () => {
    await postText(5, '{"valor":2,"tipo":"c","descricao":"ação 😀"}');
    const statement = await app.inject({ url: '/clientes/5/extrato' });
    expect(statement.json().ultimas_transacoes[0]).toMatchObject({
      valor: 2,
      tipo: 'c',
      descricao: 'ação 😀',
    });
  });

  it('charset=utf-8 in any case is accepted, as is Content-Encoding identity', async () => {
    const body = '{"valor":1,"tipo":"c","descricao":"cs"}';
    for (const type of ['application/json; charset=utf-8', 'application/json;charset="UTF-8"']) {
      expect((await postText(5, body, { 'content-type': type })).statusCode, type).toBe(200);
    }
    expect((await postText(5, body, { 'content-encoding': 'identity' })).statusCode).toBe(200);
  });
});

describe('refusals write nothing and answer {error, message}', () => {
  const invalid: Array<[string, string, number, string]> = [
    ['valor 0', '{"valor":0,"tipo":"c","descricao":"x"}', 422, 'invalid_transaction'],
    [
      'valor 2147483648',
      '{"valor":2147483648,"tipo":"c","descricao":"x"}',
      422,
      'invalid_transaction',
    ],
    ['valor 1.2', '{"valor":1.2,"tipo":"c","descricao":"x"}', 422, 'invalid_transaction'],
    ['valor "100"', '{"valor":"100","tipo":"c","descricao":"x"}', 422, 'invalid_transaction'],
    ['valor null', '{"valor":null,"tipo":"c","descricao":"x"}', 422, 'invalid_transaction'],
    ['valor true', '{"valor":true,"tipo":"c","descricao":"x"}', 422, 'invalid_transaction'],
    ['valor missing', '{"tipo":"c","descricao":"x"}', 422, 'invalid_transaction'],
    ['tipo "x"', '{"valor":1,"tipo":"x","descricao":"x"}', 422, 'invalid_transaction'],
    ['tipo "C"', '{"valor":1,"tipo":"C","descricao":"x"}', 422, 'invalid_transaction'],
    ['tipo missing', '{"valor":1,"descricao":"x"}', 422, 'invalid_transaction'],
    [
      'descricao of 11',
      '{"valor":1,"tipo":"c","descricao":"01234567890"}',
      422,
      'invalid_transaction',
    ],
    ['descricao ""', '{"valor":1,"tipo":"c","descricao":""}', 422, 'invalid_transaction'],
    ['descricao null', '{"valor":1,"tipo":"c","descricao":null}', 422, 'invalid_transaction'],
    ['descricao missing', '{"valor":1,"tipo":"c"}', 422, 'invalid_transaction'],
    ['descricao a number', '{"valor":1,"tipo":"c","descricao":1}', 422, 'invalid_transaction'],
    [
      'descricao a lone surrogate',
      '{"valor":1,"tipo":"c","descricao":"a\\ud800"}',
      422,
      'invalid_transaction',
    ],
    ['a JSON array', '[1]', 422, 'invalid_transaction'],
    ['bad JSON', '{"valor":', 400, 'invalid_json'],
    ['an empty body', '', 400, 'invalid_json'],
    ['__proto__ key', '{"valor":1,"tipo":"c","descricao":"x","__proto__":{}}', 400, 'invalid_json'],
    [
      'a body over the limit',
      `{"valor":1,"tipo":"c","descricao":"${'x'.repeat(BODY_LIMIT_BYTES)}"}`,
      413,
      'body_too_large',
    ],
  ];
  it.each(invalid)('%s', async (_name, text, status, error) => {
    const before = await state(1);
    expectError(await postText(1, text), status, error);
    expect(await state(1)).toEqual(before);
  });

  const unreadable: Array<[string, Record<string, string>, number, string]> = [
    ['text/plain', { 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
    [
      'charset=latin1',
      { 'content-type': 'application/json; charset=latin1' },
      415,
      'unsupported_media_type',
    ],
    [
      'charset=utf-16',
      { 'content-type': 'application/json; charset=utf-16' },
      415,
      'unsupported_media_type',
    ],
    ['Content-Encoding br', { 'content-encoding': 'br' }, 415, 'unsupported_media_type'],
    ['Content-Encoding gzip', { 'content-encoding': 'gzip' }, 415, 'unsupported_media_type'],
  ];
  it.each(unreadable)('%s', async (_name, headers, status, error) => {
    const before = await state(1);
    expectError(
      await postText(1, '{"valor":1,"tipo":"c","descricao":"x"}', headers),
      status,
      error,
    );
    expect(await state(1)).toEqual(before);
  });

  it('bytes that are not UTF-8 get a 400', async () => {
    const before = await state(1);
    const response = await app.inject({
      method: 'POST',
      url: '/clientes/1/transacoes',
      headers: { 'content-type': 'application/json' },
      payload: Buffer.concat([
        Buffer.from('{"valor":1,"tipo":"c","descricao":"'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}'),
      ]),
    });
    expectError(response, 400, 'invalid_json');
    expect(await state(1)).toEqual(before);
  });
});

describe('ids, routes and the ledger refusals', () => {
  const body = '{"valor":1,"tipo":"c","descricao":"x"}';
  it.each(['0', '6x', '-1', '1.0', '01', '2147483648', 'abc', '%20'])(
    'client id %j is 404 on both routes',
    async (id) => {
      expectError(await postText(id, body), 404, 'client_not_found');
      expectError(await app.inject({ url: `/clientes/${id}/extrato` }), 404, 'client_not_found');
    },
  );

  it('client 6 is 404 from the ledger on both routes', async () => {
    expectError(await postText(6, body), 404, 'client_not_found');
    expectError(await app.inject({ url: '/clientes/6/extrato' }), 404, 'client_not_found');
    expect(await database.query('SELECT 1 FROM transactions WHERE client_id = 6')).toEqual([]);
  });

  it('the id hook answers before the body is read: a bad id with a bad body is 404', async () => {
    expectError(await postText(6.5, '{'), 404, 'client_not_found');
  });

  it('a debit to exactly -limite passes; one cent more is 422 limit_exceeded', async () => {
    const before = await state(2);
    const toLimit = before.balance + 80_000;
    const exact = await postText(2, `{"valor":${toLimit},"tipo":"d","descricao":"all"}`);
    expect(exact.json()).toEqual({ limite: 80_000, saldo: -80_000 });
    expectError(
      await postText(2, '{"valor":1,"tipo":"d","descricao":"more"}'),
      422,
      'limit_exceeded',
    );
    expect((await state(2)).balance).toBe(-80_000);
  });

  it.each([
    ['GET', '/'],
    ['PUT', '/clientes/1/transacoes'],
    ['DELETE', '/clientes/1/extrato'],
    ['GET', '/clientes/1'],
  ] as const)('%s %s is 404 not_found', async (method, url) => {
    expectError(await app.inject({ method, url }), 404, 'not_found');
  });

  it('a URL that does not decode is 400 bad_url', async () => {
    expectError(await app.inject({ url: '/clientes/%zz/extrato' }), 400, 'bad_url');
  });
});
