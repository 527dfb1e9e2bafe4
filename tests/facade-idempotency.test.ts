// Goal: the HTTP face of exactly-once postings. The Idempotency-Key header is read in
// the quoted and bare forms and held to the ledger's rule at its boundaries (64
// characters pass, 65 are 400, as are "", a space, a non-ASCII byte, a header given
// twice), and a refused key writes nothing; a replay answers the first status and body
// (the ORIGINAL saldo, or the same 422 refusal) with Idempotency-Replayed: true and, for
// a 200, the same Transaction-Id; the same key with another body is 422
// idempotency_key_reused and writes nothing; 100 concurrent duplicates make one posting
// and get identical bodies; without the header nothing changes and no header is added.
// Method: buildApp + inject in front of the real ledger (in this process) on a real
// PostgreSQL, rows read from the database itself; the same app listening on loopback
// for what only real HTTP shows (bytes beyond ASCII, a repeated header line).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../common/logger.js';
import { buildApp } from '../http-facade/app.js';
import { parseFacadeConfig } from '../http-facade/config.js';
import { clientSnapshot, createTestDatabase, type TestDatabase } from './support/database.js';
import { startTestLedger, type TestLedger } from './support/ledger.js';
import { sendRaw } from './support/raw-http.js';

const RAW_TIMEOUT_MS = 10_000;
const KEY_64 = 'k'.repeat(63) + '~';
const KEY_65 = `${KEY_64}!`;
/** Every visible ASCII character but the quote, which would open the quoted form. */
const KEY_OF_EVERY_CHARACTER = "!#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~";

let database: TestDatabase;
let ledger: TestLedger;
let app: ReturnType<typeof buildApp>;
let port: number;

beforeAll(async () => {
  database = await createTestDatabase();
  ledger = await startTestLedger(database.url);
  const config = parseFacadeConfig({ LEDGER_ADDRESS: ledger.address });
  app = buildApp({ config, ledger: ledger.client, logger: createLogger('facade-test', 'silent') });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
});

afterAll(async () => {
  await app?.close();
  await ledger?.stop();
  await database?.drop();
});

const rows = (clientId: number) => clientSnapshot(database, clientId);

async function recordedKeys(clientId: number): Promise<string[]> {
  const found = await database.query<{ key: string }>(
    'SELECT key FROM idempotency_keys WHERE client_id = $1 ORDER BY key',
    [clientId],
  );
  return found.map((row) => row.key);
}

function post(clientId: number, body: object, key?: string) {
  return app.inject({
    method: 'POST',
    url: `/clientes/${clientId}/transacoes`,
    headers: key === undefined ? {} : { 'idempotency-key': key },
    payload: body,
  });
}

describe('the key rule at its boundaries', () => {
  const accepted: Array<[string, string, string]> = [
    ['a bare key of 64 characters', KEY_64, KEY_64],
    ['a quoted key of 64 characters', `"${KEY_64.toUpperCase()}"`, KEY_64.toUpperCase()],
    ['a bare key of 1 character', '!', '!'],
    ['every visible ASCII character', KEY_OF_EVERY_CHARACTER, KEY_OF_EVERY_CHARACTER],
    ['a quoted key with escapes', '"a\\"b\\\\c"', 'a"b\\c'],
  ];
  it.each(accepted)('%s is accepted and recorded as the ledger key', async (_name, header, key) => {
    const before = await rows(1);
    const response = await post(1, { valor: 1, tipo: 'c', descricao: 'ok' }, header);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ limite: 100_000, saldo: before.balance + 1 });
    expect(response.headers['idempotency-replayed']).toBeUndefined();
    expect(response.headers['transaction-id']).toMatch(/^[1-9][0-9]*$/);
    expect(await rows(1)).toEqual({
      balance: before.balance + 1,
      transactions: before.transactions + 1,
      keys: before.keys + 1,
    });
    expect(await recordedKeys(1)).toContain(key);
  });

  const refused: Array<[string, string]> = [
    ['a bare key of 65 characters', KEY_65],
    ['a quoted key of 65 characters', `"${KEY_65}"`],
    ['an empty quoted key ""', '""'],
    ['an empty header', ''],
    ['a space inside a bare key', 'a b'],
    ['a space inside a quoted key', '"a b"'],
    ['an unterminated quoted key', '"abc'],
    ['a quote inside a quoted key', '"a"b"'],
    ['an escape of another character', '"a\\b"'],
    ['a tab', 'a\tb'],
    ['a character beyond ASCII', 'chave-ção'],
  ];
  it.each(refused)('%s is 400 invalid_idempotency_key, nothing written', async (_name, header) => {
    const before = await rows(2);
    const response = await post(2, { valor: 1, tipo: 'c', descricao: 'no' }, header);
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json()).toEqual({
      error: 'invalid_idempotency_key',
      message: expect.stringMatching(/^Idempotency-Key: /),
    });
    expect(response.headers['idempotency-replayed']).toBeUndefined();
    expect(await rows(2)).toEqual(before);
  });

  it('the quoted and the bare form name the same key', async () => {
    const body = { valor: 7, tipo: 'c', descricao: 'forms' };
    const quoted = await post(2, body, '"same-key"');
    const bare = await post(2, body, 'same-key');
    expect(bare.statusCode).toBe(200);
    expect(bare.json()).toEqual(quoted.json());
    expect(bare.headers['idempotency-replayed']).toBe('true');
  });

  it('a bad body with a good key is 422 and records no key', async () => {
    const before = await rows(2);
    const response = await post(2, { valor: 1, tipo: 'c', descricao: '' }, 'bad-body');
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ error: 'invalid_transaction' });
    expect(await rows(2)).toEqual(before);
  });
});

describe('over real HTTP', () => {
  function rawPost(headerLines: string[]) {
    const body = '{"valor":1,"tipo":"c","descricao":"raw"}';
    const head = [
      'POST /clientes/2/transacoes HTTP/1.1',
      'Host: facade',
      'Content-Type: application/json',
      `Content-Length: ${body.length}`,
      'Connection: close',
      ...headerLines,
    ];
    return sendRaw({
      port,
      chunks: [Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), Buffer.from(body)])],
      timeoutMs: RAW_TIMEOUT_MS,
    });
  }

  it('a UTF-8 key (bytes beyond ASCII) is 400 and writes nothing', async () => {
    const before = await rows(2);
    const key = Buffer.from('Idempotency-Key: chave-ção', 'utf8').toString('latin1');
    const exchange = await sendRaw({
      port,
      chunks: [
        Buffer.from(
          'POST /clientes/2/transacoes HTTP/1.1\r\nHost: f\r\nContent-Type: application/json\r\n' +
            `Content-Length: 40\r\nConnection: close\r\n${key}\r\n\r\n`,
          'latin1',
        ),
        '{"valor":1,"tipo":"c","descricao":"raw"}',
      ],
      timeoutMs: RAW_TIMEOUT_MS,
    });
    expect(exchange.statuses).toEqual([400]);
    expect(exchange.text).toContain('"error":"invalid_idempotency_key"');
    expect(await rows(2)).toEqual(before);
  });

  it('a key given twice is 400 and writes nothing', async () => {
    const before = await rows(2);
    const exchange = await rawPost(['Idempotency-Key: one', 'Idempotency-Key: two']);
    expect(exchange.statuses).toEqual([400]);
    expect(exchange.text).toContain('"error":"invalid_idempotency_key"');
    expect(await rows(2)).toEqual(before);
  });

  it('a replay carries Idempotency-Replayed: true on the wire; a first answer does not', async () => {
    const first = await rawPost(['Idempotency-Key: "raw-1"']);
    const again = await rawPost(['Idempotency-Key: raw-1']);
    expect([first.statuses, again.statuses]).toEqual([[200], [200]]);
    expect(first.text).not.toMatch(/idempotency-replayed/i);
    expect(again.text).toMatch(/\r\nidempotency-replayed: true\r\n/i);
    const bodyOf = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);
    expect(bodyOf(again.text)).toBe(bodyOf(first.text));
  });
});

describe('replays, reuse and concurrent duplicates', () => {
  it('replays a 200 with the original saldo, even after other postings', async () => {
    const body = { valor: 300, tipo: 'd', descricao: 'first' };
    const first = await post(3, body, 'pay-3');
    expect(first.statusCode).toBe(200);
    const original = first.json() as { limite: number; saldo: number };
    expect(original.limite).toBe(1_000_000);
    expect((await post(3, { valor: 50, tipo: 'c', descricao: 'other' })).statusCode).toBe(200);
    const before = await rows(3);
    const replay = await post(3, body, 'pay-3');
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual(original);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.headers['transaction-id']).toBe(first.headers['transaction-id']);
    expect(await rows(3)).toEqual(before);
    expect(before.balance).toBe(original.saldo + 50);
  });

  it('replays a 422 limit refusal with the same body, even once the debit would fit', async () => {
    // Client 1's limit is 100000 and its balance a few cents above 0 here.
    const body = { valor: 200_001, tipo: 'd', descricao: 'too much' };
    const refused = await post(1, body, 'limit-1');
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ error: 'limit_exceeded' });
    expect(refused.headers['idempotency-replayed']).toBeUndefined();
    const credit = await post(1, { valor: 200_001, tipo: 'c', descricao: 'now fits' });
    expect(credit.statusCode).toBe(200);
    const before = await rows(1);
    const replay = await post(1, body, 'limit-1');
    expect(replay.statusCode).toBe(422);
    expect(replay.body).toBe(refused.body);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.headers['transaction-id']).toBeUndefined();
    expect(await rows(1)).toEqual(before);
  });

  it('refuses the same key with another body as 422 idempotency_key_reused, writing nothing', async () => {
    const body = { valor: 10, tipo: 'c', descricao: 'once' };
    expect((await post(4, body, 'reuse-4')).statusCode).toBe(200);
    const before = await rows(4);
    for (const changed of [
      { ...body, valor: 11 },
      { ...body, tipo: 'd' },
      { ...body, descricao: 'oncE' },
    ]) {
      const response = await post(4, changed, 'reuse-4');
      expect(response.statusCode).toBe(422);
      expect(response.json()).toEqual({
        error: 'idempotency_key_reused',
        message: expect.stringMatching(/idempotency_key/),
      });
      expect(response.headers['idempotency-replayed']).toBeUndefined();
    }
    expect(await rows(4)).toEqual(before);
  });

  it('makes one posting of 100 concurrent duplicates, all answered the same body', async () => {
    const before = await rows(5);
    const body = { valor: 9, tipo: 'd', descricao: 'dup' };
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => post(5, body, '"dup-5"')),
    );
    expect(new Set(responses.map((response) => response.statusCode))).toEqual(new Set([200]));
    expect(new Set(responses.map((response) => response.body))).toEqual(
      new Set([JSON.stringify({ limite: 500_000, saldo: before.balance - 9 })]),
    );
    expect(new Set(responses.map((response) => response.headers['transaction-id'])).size).toBe(1);
    const firsts = responses.filter((response) => !response.headers['idempotency-replayed']);
    expect(firsts).toHaveLength(1);
    expect(await rows(5)).toEqual({
      balance: before.balance - 9,
      transactions: before.transactions + 1,
      keys: before.keys + 1,
    });
  });

  it('without the header: applied each time, no idempotency header, no key recorded', async () => {
    const before = await rows(5);
    const body = { valor: 2, tipo: 'c', descricao: 'plain' };
    const first = await post(5, body);
    const second = await post(5, body);
    expect(first.json()).toEqual({ limite: 500_000, saldo: before.balance + 2 });
    expect(second.json()).toEqual({ limite: 500_000, saldo: before.balance + 4 });
    for (const response of [first, second]) {
      expect(response.statusCode).toBe(200);
      expect(response.headers['idempotency-replayed']).toBeUndefined();
      expect(response.headers['transaction-id']).toBeUndefined();
    }
    expect(await rows(5)).toEqual({
      balance: before.balance + 4,
      transactions: before.transactions + 2,
      keys: before.keys,
    });
  });
});
