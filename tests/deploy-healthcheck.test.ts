// Goal: the container health check (dist/scripts/healthcheck.js, what Docker runs
// inside the image) exits 0 only when the service is ready, and exits promptly.
// Method: run the compiled script (built by `npm test`'s pretest) as a child process
// against a real ledger on a real database, a closed port, and a small HTTP server
// that answers 200 or 503; time every run.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startTestLedger, type TestLedger } from './support/ledger.js';
import { testPort } from './support/ports.js';

const SCRIPT = 'dist/scripts/healthcheck.js';
// The check exits within a few hundred milliseconds (a Node start and one call); 5 s is
// over 5 times that, and below the compose health check's own timeout.
const PROMPT_EXIT_MS = 5000;

function runHealthcheck(...args: string[]): Promise<{ code: number; elapsedMs: number }> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    execFile('node', [SCRIPT, ...args], { timeout: 10_000 }, (error) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, elapsedMs: Date.now() - startedAt });
    });
  });
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
}

describe('container health check', () => {
  let database: TestDatabase;
  let ledger: TestLedger;
  let httpServer: Server;
  let httpPort: number;

  beforeAll(async () => {
    expect(existsSync(SCRIPT), `${SCRIPT} is built by npm run build`).toBe(true);
    database = await createTestDatabase();
    ledger = await startTestLedger(database.url);
    httpPort = testPort();
    httpServer = createServer((request, response) => {
      response.statusCode = request.url === '/readyz' ? 200 : 503;
      response.end();
    });
    await listen(httpServer, httpPort);
  });

  afterAll(async () => {
    httpServer?.close();
    await ledger?.stop();
    await database?.drop();
  });

  it('grpc: exits 0 when the ledger reports SERVING', async () => {
    const result = await runHealthcheck('grpc', ledger.address);
    expect(result.code).toBe(0);
    expect(result.elapsedMs).toBeLessThan(PROMPT_EXIT_MS);
  });

  it('grpc: exits 1 when nothing listens', async () => {
    const result = await runHealthcheck('grpc', `127.0.0.1:${testPort()}`);
    expect(result.code).toBe(1);
    expect(result.elapsedMs).toBeLessThan(PROMPT_EXIT_MS);
  });

  it('http: exits 0 on 200 and 1 on 503 or a closed port', async () => {
    expect((await runHealthcheck('http', `http://127.0.0.1:${httpPort}/readyz`)).code).toBe(0);
    expect((await runHealthcheck('http', `http://127.0.0.1:${httpPort}/other`)).code).toBe(1);
    const closed = await runHealthcheck('http', `http://127.0.0.1:${testPort()}/readyz`);
    expect(closed.code).toBe(1);
    expect(closed.elapsedMs).toBeLessThan(PROMPT_EXIT_MS);
  });

  it('exits 2 on a usage error', async () => {
    expect((await runHealthcheck('ftp', 'x')).code).toBe(2);
  });
});
