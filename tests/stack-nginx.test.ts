// Goal: the native stack behind nginx (the balancer closest to production's Envoy)
// serves the contract, balances round robin over both facades through pooled
// upstream connections, and stops cleanly with nginx and everything else gone.
// Method: a real stack process started with --balancer nginx, when an nginx is
// installed (CI installs Debian's nginx-light); skipped otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNginx } from '../stack/nginx.js';
import {
  answeringPids,
  facadePids,
  isAlive,
  type StackProcess,
  startStackProcess,
} from './support/stack-process.js';

const nginx = findNginx();

describe.skipIf(nginx === undefined)('the native stack behind nginx', () => {
  let stack: StackProcess;

  beforeAll(async () => {
    stack = await startStackProcess(['--fresh', '--balancer', 'nginx']);
  });

  afterAll(async () => {
    if (stack?.child.exitCode === null) await stack.stop();
  });

  it('answers the contract through nginx', async () => {
    const posted = await fetch(`${stack.httpUrl}/clientes/2/transacoes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ valor: 80001, tipo: 'd', descricao: 'too much' }),
    });
    expect(posted.status).toBe(422);
    const credit = await fetch(`${stack.httpUrl}/clientes/2/transacoes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ valor: 10, tipo: 'c', descricao: 'via nginx' }),
    });
    expect(await credit.json()).toEqual({ limite: 80000, saldo: 10 });
    expect((await fetch(`${stack.httpUrl}/clientes/6/extrato`)).status).toBe(404);
    const badJson = await fetch(`${stack.httpUrl}/clientes/1/transacoes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"valor":',
    });
    expect(badJson.status).toBe(400);
  });

  it('balances round robin over both facades', async () => {
    const pids = await answeringPids(stack, 6);
    expect([...new Set(pids)].sort((a, b) => a - b)).toEqual(facadePids(stack));
    // Strict alternation: round robin, not a random spread.
    expect(pids.every((pid, index) => index === 0 || pid !== pids[index - 1])).toBe(true);
  });

  it('stops on SIGTERM with exit code 0, nginx included, leaving no process behind', async () => {
    const pids = Object.values(stack.state().pids);
    expect(Object.keys(stack.state().pids).sort()).toEqual([
      'balancer',
      'facade-1',
      'facade-2',
      'ledger',
      'postgres',
    ]);
    expect(await stack.stop('SIGTERM')).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
