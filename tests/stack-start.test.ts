// Goal: `npm start` starts cleanly, with no warning, error or stack trace, on a new data
// directory and again on the one it left; and it works as root from a clone inside a
// private (mode 700) directory, where the `postgres` user that PostgreSQL runs as can
// reach neither the binaries in node_modules nor the data directory.
// Method: real stack processes (tests/support/stack-process.ts) started twice on one
// data directory, their output searched for warning lines; as root, a copy of the
// built project (node_modules hard-linked) inside a fresh mode-700 directory, started
// from there on its default data directory, `.data/postgres`.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDataDir } from '../stack/postgres-binaries.js';
import {
  createDataDir,
  type StackProcess,
  type StackProcessOptions,
  startStackProcess,
} from './support/stack-process.js';

const IS_ROOT = process.getuid?.() === 0;

/** Lines a person would read as trouble: pino levels 40+ (JSON or pretty), stack frames. */
function troubleLines(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => /"level":[4-6]0|\b(WARN|ERROR|FATAL)\b|^\s+at |Error:/.test(line));
}

async function postCredit(stack: StackProcess, description: string): Promise<unknown> {
  const response = await fetch(`${stack.httpUrl}/clientes/1/transacoes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ valor: 7, tipo: 'c', descricao: description }),
  });
  expect(response.status).toBe(200);
  return response.json();
}

async function balance(stack: StackProcess): Promise<number> {
  const response = await fetch(`${stack.httpUrl}/clientes/1/extrato`);
  return ((await response.json()) as { saldo: { total: number } }).saldo.total;
}

/** Who the ledger's connections log in as (the state file's URL is the superuser's). */
async function ledgerSessionUsers(stack: StackProcess): Promise<string[]> {
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ usename: string }>(
      `SELECT DISTINCT usename FROM pg_stat_activity
        WHERE datname = 'ledger' AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    );
    return rows.map((row) => row.usename);
  } finally {
    await client.end();
  }
}

/** Starts, posts, stops, starts again on the same data: both starts must be clean. */
async function startTwice(
  dataDir: string,
  extra: Omit<StackProcessOptions, 'dataDir'> = {},
): Promise<StackProcess[]> {
  const options = { ...extra, dataDir };
  const first = await startStackProcess([], {}, options);
  try {
    expect(await postCredit(first, 'first')).toEqual({ limite: 100000, saldo: 7 });
    expect(await ledgerSessionUsers(first)).toEqual(['ledger']);
  } finally {
    expect(await first.stop()).toBe(0);
  }
  const second = await startStackProcess([], {}, options);
  try {
    expect(await balance(second)).toBe(7);
  } finally {
    expect(await second.stop()).toBe(0);
  }
  expect(troubleLines(first.output())).toEqual([]);
  expect(troubleLines(second.output())).toEqual([]);
  return [first, second];
}

describe('a clean start', () => {
  const dataDir = createDataDir();
  afterAll(() => rmSync(path.dirname(dataDir), { recursive: true, force: true }));

  it('prints no warning on a new data directory nor on the existing one', async () => {
    const [first] = await startTwice(dataDir);
    expect(first?.output()).toMatch(/\[stack\] ready in [\d.]+ s/);
  }, 120_000);
});

/**
 * A copy of the built project in a new directory of mode `mode` (dependencies hard-linked:
 * a full copy in a second, without the disk), with a Node binary of its own when asked.
 */
function copyProject(mode: number, withNode = false): { dir: string; node?: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ledger-copy-'));
  chmodSync(dir, mode);
  const projectDir = path.join(dir, 'repo');
  mkdirSync(projectDir, { mode: 0o755 });
  for (const file of ['dist', 'init.sql', 'ledger-role.sql', 'package.json']) {
    cpSync(file, path.join(projectDir, file), { recursive: true });
  }
  execFileSync('cp', ['-al', 'node_modules', path.join(projectDir, 'node_modules')]);
  if (!withNode) return { dir };
  // The tests' own Node may live where another user cannot reach it (a private cache).
  const node = path.join(dir, 'node');
  cpSync(process.execPath, node);
  chmodSync(node, 0o755);
  return { dir, node };
}

describe.skipIf(!IS_ROOT)('as root, from a clone inside a private directory', () => {
  // Skipped unless root: only root runs PostgreSQL as another user, the case at stake.
  it('starts, serves and restarts on its default data directory', async () => {
    const privateDir = copyProject(0o700).dir;
    const projectDir = path.join(privateDir, 'repo');
    const dataDir = path.join(projectDir, '.data', 'postgres');
    try {
      expect(statSync(privateDir).mode & 0o777).toBe(0o700);

      const [first] = await startTwice(dataDir, { projectDir });
      expect(first?.output()).not.toContain('EACCES');

      // The data lives where the postgres user can reach it, named by .data/postgres;
      // --fresh (removeDataDir) deletes both the link and the data.
      expect(lstatSync(dataDir).isSymbolicLink()).toBe(true);
      const target = readlinkSync(dataDir);
      expect(target).toMatch(/^\/var\/lib\/crebitos-ledger\/[0-9a-f]{16}\/postgres$/);
      expect(statSync(target).uid).toBe(Number(execFileSync('id', ['-u', 'postgres'])));
      removeDataDir(dataDir);
      expect([existsSync(dataDir), existsSync(path.dirname(target))]).toEqual([false, false]);
    } finally {
      removeDataDir(dataDir);
      rmSync(privateDir, { recursive: true, force: true });
    }
  }, 150_000);
});

describe.skipIf(!IS_ROOT)('as an ordinary user', () => {
  // Skipped unless root, who alone can become another user; as an ordinary user, the
  // clean-start test above is already this case.
  it('starts, serves and restarts, with PostgreSQL running as that user', async () => {
    const dataDir = createDataDir();
    // This checkout may sit where that user cannot enter (CI clones into a private
    // directory too): the user runs a copy it can read, as it would its own clone.
    const copy = copyProject(0o755, true);
    try {
      const user = {
        uid: Number(execFileSync('id', ['-u', 'nobody']).toString()),
        gid: Number(execFileSync('id', ['-g', 'nobody']).toString()),
      };
      chownSync(path.dirname(dataDir), user.uid, user.gid);
      const projectDir = path.join(copy.dir, 'repo');
      await startTwice(dataDir, { user, projectDir, ...(copy.node ? { node: copy.node } : {}) });
      expect(statSync(dataDir).uid).toBe(user.uid);
      const credentials = statSync(path.join(dataDir, 'ledger-credentials.json'));
      expect([credentials.uid, credentials.mode & 0o777]).toEqual([user.uid, 0o600]);
    } finally {
      rmSync(path.dirname(dataDir), { recursive: true, force: true });
      rmSync(copy.dir, { recursive: true, force: true });
    }
  }, 120_000);
});
