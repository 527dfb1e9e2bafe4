// A small in-memory implementation of the HTTP contract (CONTRACT.md) on node:http, to
// run the load test against in tests: correct by default, with switches that break it
// the ways the Rinha's checks must catch. It counts what it got wrong, so a test can
// assert that the load test counted exactly those failures.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServerFaults {
  /** Debits are applied without the limit check. */
  readonly ignoreLimit?: boolean;
  /** Client 6 exists (limit 0), so its statement answers 200 instead of 404. */
  readonly unknownClientExists?: boolean;
  /** Statements show the state from before each client's latest transaction. */
  readonly staleStatements?: boolean;
}

export interface ServerCounters {
  /** 200 answers whose balance is below -limit (transactions and statements). */
  overLimitAnswers: number;
  /** Statements answered from the stale snapshot while it differed from the truth. */
  staleStatements: number;
  requests: number;
}

export interface ReferenceServer {
  readonly url: string;
  readonly counters: ServerCounters;
  close(): Promise<void>;
}

interface Entry {
  readonly valor: number;
  readonly tipo: 'c' | 'd';
  readonly descricao: string;
  readonly realizada_em: string;
}

interface Account {
  readonly limitCents: number;
  balanceCents: number;
  latest: Entry[];
  /** Balance and entries before the latest transaction, for the stale fault. */
  previous: { balanceCents: number; latest: Entry[] };
}

const LIMITS = [100_000, 80_000, 1_000_000, 10_000_000, 500_000];
const BODY_BYTES_MAX = 4096;
const VALOR_MAX = 2_147_483_647;

function send(response: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** The transaction rules of the contract; null when the body is valid. */
function invalidField(body: Record<string, unknown>): string | null {
  const { valor, tipo, descricao } = body;
  if (!Number.isInteger(valor) || (valor as number) < 1 || (valor as number) > VALOR_MAX) {
    return 'valor';
  }
  if (tipo !== 'c' && tipo !== 'd') return 'tipo';
  if (typeof descricao !== 'string') return 'descricao';
  const length = [...descricao].length;
  return length < 1 || length > 10 ? 'descricao' : null;
}

export async function startReferenceServer(
  port: number,
  faults: ServerFaults = {},
): Promise<ReferenceServer> {
  const accounts = new Map<number, Account>();
  const limits = faults.unknownClientExists === true ? [...LIMITS, 0] : LIMITS;
  limits.forEach((limitCents, index) => {
    accounts.set(index + 1, {
      limitCents,
      balanceCents: 0,
      latest: [],
      previous: { balanceCents: 0, latest: [] },
    });
  });
  const counters: ServerCounters = { overLimitAnswers: 0, staleStatements: 0, requests: 0 };

  const statement = (account: Account, response: http.ServerResponse): void => {
    const stale = faults.staleStatements === true;
    const view = stale ? account.previous : account;
    if (stale && view.latest !== account.latest) counters.staleStatements += 1;
    if (view.balanceCents < -account.limitCents) counters.overLimitAnswers += 1;
    send(response, 200, {
      saldo: {
        total: view.balanceCents,
        data_extrato: new Date().toISOString(),
        limite: account.limitCents,
      },
      ultimas_transacoes: view.latest,
    });
  };

  /** Applies one transaction; returns the status and body to answer. */
  const transaction = (account: Account, raw: string): readonly [number, unknown] => {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return [400, { error: 'body is not JSON' }];
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return [422, { error: 'body must be an object' }];
    }
    const field = invalidField(body as Record<string, unknown>);
    if (field !== null) return [422, { error: `invalid ${field}` }];
    const { valor, tipo, descricao } = body as Entry;
    const next = account.balanceCents + (tipo === 'c' ? valor : -valor);
    if (next < -account.limitCents && faults.ignoreLimit !== true) {
      return [422, { error: 'limit exceeded' }];
    }
    account.previous = { balanceCents: account.balanceCents, latest: account.latest };
    const entry = { valor, tipo, descricao, realizada_em: new Date().toISOString() };
    account.latest = [entry, ...account.latest].slice(0, 10);
    account.balanceCents = next;
    if (next < -account.limitCents) counters.overLimitAnswers += 1;
    return [200, { limite: account.limitCents, saldo: next }];
  };

  const server = http.createServer((request, response) => {
    counters.requests += 1;
    const match = /^\/clientes\/([^/]+)\/(transacoes|extrato)$/.exec(request.url ?? '');
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= BODY_BYTES_MAX) chunks.push(chunk);
    });
    request.on('end', () => {
      if (match === null) return send(response, 404, { error: 'no such route' });
      const id = /^\d+$/.test(match[1] as string) ? Number(match[1]) : Number.NaN;
      const account = accounts.get(id);
      if (account === undefined) return send(response, 404, { error: 'no such client' });
      if (match[2] === 'extrato' && request.method === 'GET') return statement(account, response);
      if (match[2] !== 'transacoes' || request.method !== 'POST') {
        return send(response, 405, { error: 'method not allowed' });
      }
      if (bytes > BODY_BYTES_MAX) return send(response, 413, { error: 'body too large' });
      if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
        return send(response, 415, { error: 'content type must be JSON' });
      }
      const [status, body] = transaction(account, Buffer.concat(chunks).toString('utf8'));
      send(response, status, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    counters,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
