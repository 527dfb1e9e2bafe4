// Goal: bad configuration stops a process before it binds anything, with a message that
// names the variable; good values parse to a frozen object with the documented defaults.
// Method: the real parsers, and the real service entry points started with a bad value.
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFacadeConfig } from '../http-facade/config.js';
import { parseLedgerConfig } from '../ledger-service/config.js';
import { testPort } from './support/ports.js';

function runWithEnv(main: string, env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, [main, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // 'close', not 'exit': the output is complete only once both pipes have closed.
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
}

describe('configuration', () => {
  it('has working defaults, frozen', () => {
    const ledger = parseLedgerConfig({});
    expect(ledger).toMatchObject({
      listenAddress: '127.0.0.1:50051',
      poolSize: 8,
      batchSizeMax: 64,
    });
    expect(Object.isFrozen(ledger)).toBe(true);
    expect(parseFacadeConfig({})).toMatchObject({
      port: 8080,
      ledgerAddress: '127.0.0.1:50051',
      bodyLimitBytes: 4096,
    });
  });

  it.each([
    [{ LEDGER_POOL_SIZE: 'abc' }, /LEDGER_POOL_SIZE must be an integer from 1 to 200, got "abc"/],
    [{ LEDGER_POOL_SIZE: '0' }, /LEDGER_POOL_SIZE must be an integer from 1 to 200/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must use postgres: or postgresql:/],
    [{ LEDGER_LISTEN_ADDRESS: 'nowhere' }, /LEDGER_LISTEN_ADDRESS must be host:port/],
    [{ LEDGER_SOCKET_PATH: 'relative.sock' }, /LEDGER_SOCKET_PATH must be an absolute path/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
  ])('refuses the ledger setting %j with a message naming it', (env, message) => {
    expect(() => parseLedgerConfig(env)).toThrow(message);
  });

  it.each([
    [{ LEDGER_ADDRESS: 'unix:' }, /LEDGER_ADDRESS must be host:port or unix:\/path/],
    [{ FACADE_PORT: '70000' }, /FACADE_PORT must be an integer from 0 to 65535/],
    [{ FACADE_BODY_LIMIT_BYTES: '10' }, /FACADE_BODY_LIMIT_BYTES must be an integer from 256/],
  ])('refuses the facade setting %j with a message naming it', (env, message) => {
    expect(() => parseFacadeConfig(env)).toThrow(message);
  });

  it('stops the ledger and a facade before they bind, exit code 2, naming the variable', async () => {
    const ledger = await runWithEnv('dist/ledger-service/main.js', { LEDGER_POOL_SIZE: 'many' });
    expect(ledger.code).toBe(2);
    expect(ledger.stderr).toContain('ledger: invalid configuration: LEDGER_POOL_SIZE must be');
    const facade = await runWithEnv('dist/http-facade/main.js', { LEDGER_ADDRESS: 'bogus' });
    expect(facade.code).toBe(2);
    expect(facade.stderr).toContain('facade: invalid configuration: LEDGER_ADDRESS must be');
  });

  it("prints the stack's options on --help and refuses an unknown one in one line, exit 2", async () => {
    const help = await runWithEnv('dist/stack/main.js', {}, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm start -- \[options\]/);
    for (const option of ['--fresh', '--rinha', '--port', '--balancer', '--metrics-port']) {
      expect(help.stdout).toContain(`  ${option} `);
    }
    // Ports and a data directory of its own: were the option ever accepted, the stack
    // started would touch nothing of the project's or of another test's.
    const unknown = await runWithEnv('dist/stack/main.js', {}, [
      '--frehs',
      ...['--port', String(testPort()), '--postgres-port', String(testPort())],
      ...['--ledger-address', `127.0.0.1:${testPort()}`, '--metrics-port', 'off'],
      ...['--data-dir', path.join(tmpdir(), `config-test-${process.pid}`, 'postgres')],
    ]);
    expect(unknown.code).toBe(2);
    // Node's own wording of the problem varies by release; ours frames it.
    const lines = unknown.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^stack: .*'--frehs'.*; see npm start -- --help$/);
  });
});
