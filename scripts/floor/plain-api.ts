// The plain floor of `npm run bench:floor`: what a Node entry without the card costs,
// the lower bound of the contest's fastest JavaScript entries' shape. One process,
// node:http, a hand-written check of the body, the same posting query as the ledger's
// (sql.ts) through a pg pool, a JSON answer. Nothing else: no framework, no hop.
import http from 'node:http';
import { floorPool, floorVariable, postOne } from './floor-env.js';

const pool = floorPool();
const POSTING_PATH = /^\/clientes\/(\d+)\/transacoes$/;

function answer(response: http.ServerResponse, status: number, body: string): void {
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

async function post(clientId: number, text: string, response: http.ServerResponse) {
  let body: { valor?: unknown; tipo?: unknown; descricao?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    return answer(response, 400, '{}');
  }
  const { valor, tipo, descricao } = body;
  if (!Number.isInteger(valor) || (tipo !== 'c' && tipo !== 'd') || typeof descricao !== 'string') {
    return answer(response, 422, '{}');
  }
  const kind = tipo === 'c' ? 'credit' : 'debit';
  const posted = await postOne(pool, {
    clientId,
    amountCents: valor as number,
    kind,
    description: descricao,
  });
  const { outcome, limit_cents: limit, balance_cents: balance } = posted;
  if (outcome !== 'applied') return answer(response, 422, '{}');
  answer(response, 200, JSON.stringify({ limite: limit, saldo: balance }));
}

const server = http.createServer((request, response) => {
  const match = POSTING_PATH.exec(request.url ?? '');
  let text = '';
  request.setEncoding('utf8');
  request.on('data', (chunk: string) => {
    text += chunk;
  });
  request.on('end', () => {
    if (request.method !== 'POST' || match === null) return answer(response, 404, '{}');
    void post(Number(match[1]), text, response);
  });
});
server.listen(floorVariable('FLOOR_SOCKET_PATH'));
