// The whole stack natively, with no Docker: PostgreSQL from the npm package's
// binaries (or an external one), the ledger, and N facade processes serving one HTTP
// port round robin through node:cluster (this process is the cluster primary, in
// Envoy's place). It supervises them all: a crashed child is restarted, and stop()
// drains front to back (facades, then the ledger, then the database).
import { type ChildProcess, fork } from 'node:child_process';
import cluster, { type Worker } from 'node:cluster';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningPostgres, startPostgres } from './postgres.js';
import { DURABLE_SETTINGS, RINHA_SETTINGS } from './postgres-settings.js';
import { ensureSchema } from './schema.js';

export const PROJECT_DIR = fileURLToPath(new URL('../..', import.meta.url));
const DIST_DIR = fileURLToPath(new URL('..', import.meta.url));
const LEDGER_MAIN = path.join(DIST_DIR, 'ledger-service', 'main.js');
const FACADE_MAIN = path.join(DIST_DIR, 'http-facade', 'main.js');
const DATABASE_NAME = 'ledger';

const RESTART_DELAY_MIN_MS = 100;
const RESTART_DELAY_MAX_MS = 2000;
const CHILD_STOP_TIMEOUT_MS = 15_000;
const READY_TIMEOUT_MS = 40_000;

export type ComponentName = 'postgres' | 'ledger' | `facade-${number}`;

export interface StackOptions {
  readonly dataDir: string;
  /** Delete the data directory first: a new database for a Rinha run. */
  readonly fresh: boolean;
  /** Opt-in: synchronous_commit off (see postgres-settings.ts). */
  readonly rinhaMode: boolean;
  /** An external PostgreSQL instead of the embedded one. */
  readonly databaseUrl: string | undefined;
  readonly postgresPort: number;
  readonly ledgerAddress: string;
  readonly httpHost: string;
  readonly httpPort: number;
  readonly facadeCount: number;
  /** Extra environment for the ledger and facades (pool size, timeouts, log level...). */
  readonly childEnv: Readonly<Record<string, string>>;
  readonly log: (line: string) => void;
  /** Told of every process the stack starts, e.g. to place it in a cgroup. */
  readonly onSpawn?: (component: ComponentName, pid: number) => void;
}

export interface RunningStack {
  readonly httpUrl: string;
  readonly databaseUrl: string;
  readonly startupMs: number;
  /** The live process id of each component. */
  pids(): Partial<Record<ComponentName, number>>;
  stop(): Promise<void>;
}

export class StackStartError extends Error {
  override name = 'StackStartError';
}

/** Fails with a clear message when a port is already taken, before anything starts. */
async function assertPortFree(host: string, port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new StackStartError(
          error.code === 'EADDRINUSE'
            ? `port ${port} (${what}) is already in use on ${host}: stop what holds it or choose another port`
            : `cannot use port ${port} (${what}) on ${host}: ${error.message}`,
        ),
      ),
    );
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

function backoff(attempt: number): number {
  return Math.min(RESTART_DELAY_MAX_MS, RESTART_DELAY_MIN_MS * 2 ** attempt);
}

function waitForExit(child: ChildProcess | Worker['process']): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), CHILD_STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
  });
}

async function waitUntilServing(url: string, deadlineMs: number): Promise<void> {
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadlineMs)
      throw new StackStartError(`the stack did not answer ${url} in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const startedAt = Date.now();
  const [ledgerHost = '127.0.0.1', ledgerPort = '50051'] = options.ledgerAddress.split(/:(?=\d+$)/);
  await assertPortFree(options.httpHost, options.httpPort, 'HTTP');
  await assertPortFree(ledgerHost, Number(ledgerPort), 'ledger gRPC');
  if (options.databaseUrl === undefined) {
    await assertPortFree('127.0.0.1', options.postgresPort, 'PostgreSQL');
  }

  let stopping = false;
  const pids: Partial<Record<ComponentName, number>> = {};
  const noteSpawn = (component: ComponentName, pid: number | undefined) => {
    if (pid === undefined) return;
    pids[component] = pid;
    options.onSpawn?.(component, pid);
  };

  // PostgreSQL, restarted if it dies (the ledger answers UNAVAILABLE meanwhile).
  let postgres: RunningPostgres | undefined;
  let databaseUrl = options.databaseUrl;
  if (databaseUrl === undefined) {
    if (options.fresh) rmSync(options.dataDir, { recursive: true, force: true });
    let postgresRestarts = 0;
    const launchPostgres = async (): Promise<RunningPostgres> => {
      const running = await startPostgres({
        dataDir: options.dataDir,
        port: options.postgresPort,
        settings: options.rinhaMode ? RINHA_SETTINGS : DURABLE_SETTINGS,
        onUnexpectedExit: (code, signal) => {
          if (stopping) return;
          options.log(`postgres exited unexpectedly (${signal ?? code}); restarting`);
          setTimeout(() => {
            launchPostgres().then(
              (next) => {
                postgres = next;
                postgresRestarts = 0;
              },
              (error: unknown) =>
                options.log(`postgres restart failed: ${(error as Error).message}`),
            );
          }, backoff(postgresRestarts++));
        },
      });
      noteSpawn('postgres', running.pid);
      return running;
    };
    postgres = await launchPostgres();
    databaseUrl = postgres.url(DATABASE_NAME);
  }
  await ensureSchema(databaseUrl, path.join(PROJECT_DIR, 'init.sql'));

  // The ledger, restarted if it dies.
  const childEnv = { ...process.env, ...options.childEnv };
  let ledger: ChildProcess | undefined;
  let ledgerRestarts = 0;
  const launchLedger = () => {
    const child = fork(LEDGER_MAIN, [], {
      env: { ...childEnv, DATABASE_URL: databaseUrl, LEDGER_LISTEN_ADDRESS: options.ledgerAddress },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    ledger = child;
    noteSpawn('ledger', child.pid);
    const healthyTimer = setTimeout(() => {
      ledgerRestarts = 0;
    }, 10_000);
    child.once('exit', (code, signal) => {
      clearTimeout(healthyTimer);
      if (stopping) return;
      options.log(`ledger exited unexpectedly (${signal ?? code}); restarting`);
      setTimeout(launchLedger, backoff(ledgerRestarts++));
    });
  };
  launchLedger();

  // The facades: cluster workers sharing the HTTP port, replaced if one dies.
  cluster.setupPrimary({ exec: FACADE_MAIN, args: [], silent: false });
  const facadeEnv = {
    ...childEnv,
    FACADE_HOST: options.httpHost,
    FACADE_PORT: String(options.httpPort),
    LEDGER_ADDRESS: options.ledgerAddress,
  };
  const facades = new Map<number, Worker>();
  const launchFacade = (index: number) => {
    const worker = cluster.fork(facadeEnv);
    facades.set(index, worker);
    noteSpawn(`facade-${index}`, worker.process.pid);
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      options.log(`facade-${index} exited unexpectedly (${signal ?? code}); replacing it`);
      setTimeout(() => launchFacade(index), RESTART_DELAY_MIN_MS);
    });
  };
  for (let index = 1; index <= options.facadeCount; index++) launchFacade(index);

  const httpUrl = `http://${options.httpHost === '0.0.0.0' ? '127.0.0.1' : options.httpHost}:${options.httpPort}`;
  const stop = async () => {
    stopping = true;
    // Front to back: each layer drains its in-flight work while the next still serves.
    await Promise.all(
      [...facades.values()].map((worker) => {
        worker.process.kill('SIGTERM');
        return waitForExit(worker.process);
      }),
    );
    if (ledger) {
      ledger.kill('SIGTERM');
      await waitForExit(ledger);
    }
    await postgres?.stop();
  };

  try {
    await waitUntilServing(`${httpUrl}/clientes/1/extrato`, startedAt + READY_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    httpUrl,
    databaseUrl,
    startupMs: Date.now() - startedAt,
    pids: () => ({ ...pids }),
    stop,
  };
}
