// Goal: the native stack, started as `npm start` starts it, answers the Rinha HTTP
// contract exactly: the official test's validation sequence, a table of hostile
// requests (each with its exact status and the ledger unchanged), both facades
// serving, a clean stop leaving no process behind, a clear error on a taken port.
// Method: a real stack process (embedded PostgreSQL, ledger, two facades behind
// node:cluster) on this run's ports; plain HTTP requests from the test.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answeringPids,
  facadePids,
  isAlive,
  STACK_MAIN,
  type StackProcess,
  startStackProcess,
} from './support/stack-process.js';

let stack: StackProcess;

beforeAll(async () => {
  stack = await startStackProcess(['--fresh']);
});

afterAll(async () => {
  await stack?.stop();
});

interface Answer {
  status: number;
  body: unknown;
}

async function request(
  method: string,
  path: string,
  body?: string,
  contentType = 'application/json',
): Promise<Answer> {
  const response = await fetch(
    `${stack.httpUrl}${path}`,
    body === undefined ? { method } : { method, headers: { 'content-type': contentType }, body },
  );
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text so the assertion shows it
  }
  return { status: response.status, body: parsed };
}

const post = (id: number | string, payload: unknown) =>
  request('POST', `/clientes/${id}/transacoes`, JSON.stringify(payload));
const statement = (id: number | string) => request('GET', `/clientes/${id}/extrato`);

interface Extrato {
  saldo: { total: number; limite: number; data_extrato: string };
  ultimas_transacoes: Array<{
    valor: number;
    tipo: string;
    descricao: string;
    realizada_em: string;
  }>;
}

describe('the official validation sequence', () => {
  it('25 concurrent debits then 25 concurrent credits on client 1, with exact totals', async () => {
    const debits = await Promise.all(
      Array.from({ length: 25 }, () => post(1, { valor: 1, tipo: 'd', descricao: 'debit' })),
    );
    expect(debits.map((answer) => answer.status)).toEqual(Array(25).fill(200));
    expect(((await statement(1)).body as Extrato).saldo.total).toBe(-25);

    const credits = await Promise.all(
      Array.from({ length: 25 }, () => post(1, { valor: 1, tipo: 'c', descricao: 'credit' })),
    );
    expect(credits.map((answer) => answer.status)).toEqual(Array(25).fill(200));
    expect(((await statement(1)).body as Extrato).saldo.total).toBe(0);
  });

  const limits = [100000, 80000, 1000000, 10000000, 500000];

  it.each([1, 2, 3, 4, 5])(
    'client %i: toma, devolve, danada and the invalid payloads',
    async (id) => {
      const limite = limits[id - 1];
      const first = await statement(id);
      expect(first.status).toBe(200);
      expect((first.body as Extrato).saldo).toMatchObject({ limite });

      expect(await post(id, { valor: 1, tipo: 'c', descricao: 'toma' })).toMatchObject({
        status: 200,
      });
      expect(await post(id, { valor: 1, tipo: 'd', descricao: 'devolve' })).toMatchObject({
        status: 200,
      });
      const afterPair = (await statement(id)).body as Extrato;
      expect(afterPair.ultimas_transacoes.slice(0, 2)).toMatchObject([
        { valor: 1, tipo: 'd', descricao: 'devolve' },
        { valor: 1, tipo: 'c', descricao: 'toma' },
      ]);

      const danada = await post(id, { valor: 1, tipo: 'c', descricao: 'danada' });
      expect(danada.status).toBe(200);
      const balance = (danada.body as { saldo: number; limite: number }).saldo;
      expect(danada.body).toEqual({ limite, saldo: balance });
      const views = await Promise.all(Array.from({ length: 4 }, () => statement(id)));
      for (const view of views) {
        const extrato = view.body as Extrato;
        expect(view.status).toBe(200);
        expect(extrato.ultimas_transacoes[0]?.descricao).toBe('danada');
        expect(extrato.saldo.total).toBe(balance);
        expect(extrato.saldo.limite).toBe(limite);
      }

      for (const invalid of [
        { valor: 1.2, tipo: 'd', descricao: 'devolve' },
        { valor: 1, tipo: 'x', descricao: 'devolve' },
        { valor: 1, tipo: 'c', descricao: '123456789 e mais um pouco' },
        { valor: 1, tipo: 'c', descricao: '' },
        { valor: 1, tipo: 'c', descricao: null },
      ]) {
        expect((await post(id, invalid)).status, JSON.stringify(invalid)).toBe(422);
      }
    },
  );

  it('client 6 does not exist: 404', async () => {
    expect(await statement(6)).toMatchObject({ status: 404, body: { error: 'client_not_found' } });
  });

  it('formats times as ISO 8601 UTC with microseconds and a Z', async () => {
    const extrato = (await statement(1)).body as Extrato;
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
    expect(extrato.saldo.data_extrato).toMatch(iso);
    expect(extrato.ultimas_transacoes[0]?.realizada_em).toMatch(iso);
  });
});

describe('hostile requests get the exact status and change nothing', () => {
  const valid = { valor: 5, tipo: 'd', descricao: 'ok' };
  const bodyCases: Array<[string, string, string, number]> = [
    ['malformed JSON', '{"valor": 5, "tipo": ', 'application/json', 400],
    ['empty JSON body', '', 'application/json', 400],
    ['text/plain body', JSON.stringify(valid), 'text/plain', 415],
    ['form body', 'valor=5&tipo=d&descricao=ok', 'application/x-www-form-urlencoded', 415],
    [
      'oversized body',
      JSON.stringify({ ...valid, padding: 'x'.repeat(8000) }),
      'application/json',
      413,
    ],
    ['a JSON array', '[1,2,3]', 'application/json', 422],
    ['a JSON string', '"valor"', 'application/json', 422],
    ['valor as a string', JSON.stringify({ ...valid, valor: '5' }), 'application/json', 422],
    ['negative valor', JSON.stringify({ ...valid, valor: -5 }), 'application/json', 422],
    ['zero valor', JSON.stringify({ ...valid, valor: 0 }), 'application/json', 422],
    ['fractional valor', JSON.stringify({ ...valid, valor: 1.2 }), 'application/json', 422],
    [
      'valor beyond int32',
      JSON.stringify({ ...valid, valor: 2147483648 }),
      'application/json',
      422,
    ],
    ['valor 1e400', '{"valor": 1e400, "tipo": "d", "descricao": "ok"}', 'application/json', 422],
    ['valor true', JSON.stringify({ ...valid, valor: true }), 'application/json', 422],
    ['valor null', JSON.stringify({ ...valid, valor: null }), 'application/json', 422],
    ['tipo "x"', JSON.stringify({ ...valid, tipo: 'x' }), 'application/json', 422],
    ['tipo "C"', JSON.stringify({ ...valid, tipo: 'C' }), 'application/json', 422],
    ['missing tipo', JSON.stringify({ valor: 5, descricao: 'ok' }), 'application/json', 422],
    [
      'descricao of 11 code points',
      JSON.stringify({ ...valid, descricao: 'ação ação!!' }),
      'application/json',
      422,
    ],
    ['descricao null', JSON.stringify({ ...valid, descricao: null }), 'application/json', 422],
    ['descricao a number', JSON.stringify({ ...valid, descricao: 12 }), 'application/json', 422],
    ['missing descricao', JSON.stringify({ valor: 5, tipo: 'd' }), 'application/json', 422],
    [
      'descricao with NUL',
      JSON.stringify({ ...valid, descricao: 'a\u0000b' }),
      'application/json',
      422,
    ],
    [
      'descricao with a lone surrogate',
      '{"valor": 5, "tipo": "d", "descricao": "a\\ud800b"}',
      'application/json',
      422,
    ],
    [
      'prototype pollution',
      '{"valor": 5, "tipo": "d", "descricao": "ok", "__proto__": {"x": 1}}',
      'application/json',
      400,
    ],
  ];

  it.each(bodyCases)('%s (%s, %s) → %i', async (_, body, contentType, expected) => {
    const before = await statement(2);
    const answer = await request('POST', '/clientes/2/transacoes', body, contentType);
    expect(answer.status).toBe(expected);
    expect(answer.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    const after = await statement(2);
    expect((after.body as Extrato).saldo.total).toBe((before.body as Extrato).saldo.total);
    expect((after.body as Extrato).ultimas_transacoes).toEqual(
      (before.body as Extrato).ultimas_transacoes,
    );
  });

  it.each(['abc', '1.5', '-1', '0', '01', '99999999999', '6', '2147483648', '%20'])(
    'client id %j → 404 on both routes',
    async (id) => {
      expect((await statement(id)).status).toBe(404);
      expect((await post(id, valid)).status).toBe(404);
    },
  );

  it('accepts descriptions of exactly 10 code points with accents and emoji', async () => {
    for (const descricao of ['ação ação!', '😀😀😀😀😀😀😀😀😀😀']) {
      expect((await post(3, { valor: 1, tipo: 'c', descricao, extra: 'ignored' })).status).toBe(
        200,
      );
    }
    const extrato = (await statement(3)).body as Extrato;
    expect(extrato.ultimas_transacoes.slice(0, 2).map((entry) => entry.descricao)).toEqual([
      '😀😀😀😀😀😀😀😀😀😀',
      'ação ação!',
    ]);
  });

  it('refuses a debit beyond the limit with 422 and keeps the balance', async () => {
    const before = (await statement(2)).body as Extrato;
    const room = before.saldo.total + before.saldo.limite;
    expect(await post(2, { valor: room + 1, tipo: 'd', descricao: 'too much' })).toMatchObject({
      status: 422,
      body: { error: 'limit_exceeded' },
    });
    expect(await post(2, { valor: room, tipo: 'd', descricao: 'exact' })).toMatchObject({
      status: 200,
      body: { limite: 80000, saldo: -80000 },
    });
  });

  it('answers JSON 404 for unknown routes and wrong methods', async () => {
    expect(await request('GET', '/nope')).toMatchObject({
      status: 404,
      body: { error: 'not_found' },
    });
    expect((await request('DELETE', '/clientes/1/extrato')).status).toBe(404);
  });
});

describe('operations', () => {
  it('serves through both facade processes, round robin', async () => {
    const pids = new Set(await answeringPids(stack, 10));
    expect([...pids].sort((a, b) => a - b)).toEqual(facadePids(stack));
    expect(pids.size).toBe(2);
  });

  it('reports ready once the ledger serves', async () => {
    expect(await request('GET', '/readyz')).toMatchObject({
      status: 200,
      body: { status: 'ready' },
    });
  });

  it('fails with a clear message when the HTTP port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const child = spawn(
        process.execPath,
        [STACK_MAIN, '--port', String(port), '--data-dir', '/nonexistent/never-created'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(output).toContain(`port ${port} (HTTP) is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('stops on SIGTERM with exit code 0, leaving no process behind', async () => {
    const own = await startStackProcess();
    const pids = Object.values(own.state().pids);
    expect(pids.length).toBe(4);
    expect(await own.stop('SIGTERM')).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
