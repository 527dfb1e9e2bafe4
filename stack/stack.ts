// The whole stack natively, with no Docker: PostgreSQL from the npm package's
// binaries (or an external one), the ledger, and N facade processes serving one HTTP
// port round robin, in Envoy's place either through node:cluster (this process is the
// cluster primary; needs nothing installed) or through nginx where it is installed
// (facades on Unix sockets, pooled upstream connections, as Envoy does). It supervises
// them all: a crashed child is restarted, and stop() drains front to back (balancer,
// facades, ledger, database).
import { type ChildProcess, fork, spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nginxArguments, writeNginxConfig } from './nginx.js';
import { type Login, type RunningPostgres, startPostgres } from './postgres.js';
import { removeDataDir } from './postgres-binaries.js';
import { CREDENTIALS_FILE } from './postgres-credentials.js';
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
/** A child that has lived this long is healthy again: its restart delay resets. */
const HEALTHY_AFTER_MS = 10_000;

export type ComponentName = 'postgres' | 'ledger' | `facade-${number}` | 'balancer';

/** node:cluster in this process, or an nginx binary (its path) as a child. */
export type Balancer =
  | { readonly kind: 'cluster' }
  | {
      readonly kind: 'nginx';
      readonly binary: string;
      /** Requests nginx passes to the facades at once; past it, a JSON 503. */
      readonly requestsInFlightMax: number;
    };

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
  readonly balancer: Balancer;
  /**
   * First port of the metrics listeners on 127.0.0.1, or undefined for none: the
   * ledger on it, facade N on it + N (each worker its own listener, so no scrape
   * shows one worker as the whole).
   */
  readonly metricsPort: number | undefined;
  /** Extra environment for the ledger and facades (pool size, timeouts, log level...). */
  readonly childEnv: Readonly<Record<string, string>>;
  readonly log: (line: string) => void;
  /** Told of every process the stack starts, e.g. to place it in a cgroup. */
  readonly onSpawn?: (component: ComponentName, pid: number) => void;
}

export interface RunningStack {
  readonly httpUrl: string;
  /** The superuser's URL (the ledger itself logs in as its own role). */
  readonly databaseUrl: string;
  /** Where the embedded PostgreSQL's passwords are kept; undefined for an external one. */
  readonly credentialsFile: string | undefined;
  readonly startupMs: number;
  /** Each process's Prometheus endpoint, when metrics are on. */
  readonly metricsUrls: Partial<Record<ComponentName, string>>;
  /** The live process id of each component. */
  pids(): Partial<Record<ComponentName, number>>;
  stop(): Promise<void>;
}

export class StackStartError extends Error {
  override name = 'StackStartError';
}

const METRICS_HOST = '127.0.0.1';

/** The metrics address of each process (host:port), or none when metrics are off. */
export function metricsAddresses(options: StackOptions): Partial<Record<ComponentName, string>> {
  if (options.metricsPort === undefined) return {};
  const addresses: Partial<Record<ComponentName, string>> = {
    ledger: `${METRICS_HOST}:${options.metricsPort}`,
  };
  for (let index = 1; index <= options.facadeCount; index++) {
    addresses[`facade-${index}`] = `${METRICS_HOST}:${options.metricsPort + index}`;
  }
  return addresses;
}

/** The metrics environment variable of one facade: its own port, or off. */
function facadeMetricsEnv(options: StackOptions, index: number): Record<string, string> {
  return { FACADE_METRICS_ADDRESS: metricsAddresses(options)[`facade-${index}`] ?? 'off' };
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

function waitForExit(child: ChildProcess): Promise<void> {
  // Never spawned (it emitted 'error'), or already gone.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
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

/** The running children and how to restart and stop them. */
class Supervisor {
  stopping = false;
  readonly pids: Partial<Record<ComponentName, number>> = {};
  readonly children = new Map<ComponentName, ChildProcess>();
  postgres: RunningPostgres | undefined;
  private postgresRestarts = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: StackOptions) {}

  private noteSpawn(component: ComponentName, pid: number | undefined): void {
    if (pid === undefined) return;
    this.pids[component] = pid;
    this.options.onSpawn?.(component, pid);
  }

  /** Runs `action` after `delayMs` unless the stack is stopping by then; stop() cancels it. */
  private later(action: () => void, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopping) action();
    }, delayMs);
    this.timers.add(timer);
  }

  /**
   * PostgreSQL, restarted whenever it dies or a restart fails, with a growing delay
   * (the ledger answers UNAVAILABLE meanwhile).
   */
  async launchPostgres(): Promise<void> {
    const { options } = this;
    const running = await startPostgres({
      dataDir: options.dataDir,
      port: options.postgresPort,
      settings: options.rinhaMode ? RINHA_SETTINGS : DURABLE_SETTINGS,
      onSpawn: (pid) => this.noteSpawn('postgres', pid),
      onUnexpectedExit: (code, signal) => {
        if (this.stopping) return;
        options.log(`postgres exited unexpectedly (${signal ?? code}); restarting`);
        this.restartPostgres();
      },
    });
    this.postgres = running;
    // stop() came while this one was starting: it must not outlive the stack.
    if (this.stopping) await running.stop();
  }

  private restartPostgres(): void {
    this.later(
      () => {
        this.launchPostgres().then(
          () => {
            // Reset only once it has stayed up, so a crash loop keeps backing off.
            this.later(() => {
              this.postgresRestarts = 0;
            }, HEALTHY_AFTER_MS);
          },
          (error: unknown) => {
            this.options.log(`postgres restart failed: ${(error as Error).message}; retrying`);
            this.restartPostgres();
          },
        );
      },
      backoff(this.postgresRestarts++),
    );
  }

  /**
   * Starts a child and restarts it whenever it dies (or cannot be spawned), with a
   * growing delay that resets once it has lived HEALTHY_AFTER_MS.
   */
  supervise(component: ComponentName, start: () => ChildProcess, restarts = 0): void {
    const child = start();
    this.children.set(component, child);
    this.noteSpawn(component, child.pid);
    const healthyTimer = setTimeout(() => {
      restarts = 0;
    }, HEALTHY_AFTER_MS);
    healthyTimer.unref();
    let handled = false;
    const onEnd = (reason: string) => {
      clearTimeout(healthyTimer);
      if (handled || this.stopping) return;
      handled = true;
      this.options.log(`${component} ${reason}; restarting it`);
      this.later(() => this.supervise(component, start, restarts + 1), backoff(restarts));
    };
    child.once('exit', (code, signal) => onEnd(`exited unexpectedly (${signal ?? code})`));
    // A spawn that fails (binary missing, say) emits 'error' and never 'exit'.
    child.once('error', (error) => onEnd(`failed: ${error.message}`));
  }

  private async stopChild(component: ComponentName, signal: NodeJS.Signals): Promise<void> {
    const child = this.children.get(component);
    if (child === undefined) return;
    child.kill(signal);
    await waitForExit(child);
  }

  /**
   * Front to back: each layer drains its in-flight work while the one behind it still
   * serves. Also used when start-up fails half-way, so nothing started is left behind.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearTimeout(timer);
    // SIGQUIT is nginx's graceful shutdown: it finishes the requests it has.
    await this.stopChild('balancer', 'SIGQUIT');
    const facades = [...this.children.keys()].filter((name) => name.startsWith('facade-'));
    await Promise.all(facades.map((name) => this.stopChild(name, 'SIGTERM')));
    await this.stopChild('ledger', 'SIGTERM');
    await this.postgres?.stop();
  }
}

/** Waits until every path exists (services create their sockets once listening). */
async function waitForFiles(paths: readonly string[], deadlineMs: number): Promise<void> {
  while (!paths.every((file) => existsSync(file))) {
    if (Date.now() > deadlineMs)
      throw new StackStartError(`not created in time: ${paths.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function launchFacades(
  supervisor: Supervisor,
  options: StackOptions,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const { balancer } = options;
  if (balancer.kind === 'cluster') {
    cluster.setupPrimary({ exec: FACADE_MAIN, args: [], silent: false });
    const facadeEnv = {
      ...env,
      FACADE_HOST: options.httpHost,
      FACADE_PORT: String(options.httpPort),
    };
    for (let index = 1; index <= options.facadeCount; index++) {
      const workerEnv = { ...facadeEnv, ...facadeMetricsEnv(options, index) };
      supervisor.supervise(`facade-${index}`, () => cluster.fork(workerEnv).process);
    }
    return;
  }
  const runDir = path.join(path.dirname(options.dataDir), 'run');
  const sockets = Array.from({ length: options.facadeCount }, (_, index) =>
    path.join(runDir, `facade-${index + 1}.sock`),
  );
  const configFile = writeNginxConfig({
    runDir,
    listenHost: options.httpHost,
    listenPort: options.httpPort,
    facadeSockets: sockets,
    requestsInFlightMax: balancer.requestsInFlightMax,
  });
  for (const socket of sockets) rmSync(socket, { force: true });
  sockets.forEach((socket, index) => {
    supervisor.supervise(`facade-${index + 1}`, () =>
      fork(FACADE_MAIN, [], {
        env: { ...env, FACADE_SOCKET_PATH: socket, ...facadeMetricsEnv(options, index + 1) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        detached: true,
      }),
    );
  });
  // nginx starts once the facades listen, so its first requests find them.
  await waitForFiles(sockets, Date.now() + READY_TIMEOUT_MS);
  supervisor.supervise('balancer', () =>
    spawn(balancer.binary, nginxArguments(configFile, runDir), {
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
    }),
  );
}

async function launchAll(supervisor: Supervisor, options: StackOptions): Promise<string> {
  let databaseUrl = options.databaseUrl;
  let ledgerDatabaseUrl = options.databaseUrl;
  let ledgerLogin: Login | undefined;
  if (databaseUrl === undefined) {
    if (options.fresh) removeDataDir(options.dataDir);
    await supervisor.launchPostgres();
    const postgres = supervisor.postgres as RunningPostgres;
    databaseUrl = postgres.url(DATABASE_NAME);
    // The ledger logs in as its own role, which owns nothing (ledger-role.sql).
    ledgerLogin = postgres.credentials.ledger;
    ledgerDatabaseUrl = postgres.socketUrl(DATABASE_NAME, ledgerLogin);
  }
  await ensureSchema(
    databaseUrl,
    path.join(PROJECT_DIR, 'init.sql'),
    ledgerLogin && { login: ledgerLogin, sqlPath: path.join(PROJECT_DIR, 'ledger-role.sql') },
  );
  const childEnv = { ...process.env, ...options.childEnv };
  // Services on one host talk over Unix sockets: less kernel work than loopback TCP.
  const ledgerSocketPath = path.join(path.dirname(options.dataDir), 'ledger.sock');
  const ledgerEnv = {
    ...childEnv,
    DATABASE_URL: ledgerDatabaseUrl,
    LEDGER_LISTEN_ADDRESS: options.ledgerAddress,
    LEDGER_SOCKET_PATH: ledgerSocketPath,
    LEDGER_METRICS_ADDRESS: metricsAddresses(options).ledger ?? 'off',
  };
  // A socket left by a killed predecessor would pass for the new ledger listening.
  rmSync(ledgerSocketPath, { force: true });
  supervisor.supervise('ledger', () =>
    fork(LEDGER_MAIN, [], {
      env: ledgerEnv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Its own process group: Ctrl-C reaches only this process, which stops the
      // children front to back; the IPC channel still ends the ledger if we die.
      detached: true,
    }),
  );
  // The ledger binds once its pool is warm: facades started before would answer the
  // readiness probe with 503 and log a failed ledger call.
  await waitForFiles([ledgerSocketPath], Date.now() + READY_TIMEOUT_MS);
  await launchFacades(supervisor, options, {
    ...childEnv,
    LEDGER_ADDRESS: `unix:${ledgerSocketPath}`,
  });
  return databaseUrl;
}

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const startedAt = Date.now();
  const [ledgerHost = '127.0.0.1', ledgerPort = '50051'] = options.ledgerAddress.split(/:(?=\d+$)/);
  await assertPortFree(options.httpHost, options.httpPort, 'HTTP');
  await assertPortFree(ledgerHost, Number(ledgerPort), 'ledger gRPC');
  if (options.databaseUrl === undefined) {
    await assertPortFree('127.0.0.1', options.postgresPort, 'PostgreSQL');
  }
  const metrics = metricsAddresses(options);
  for (const [component, address] of Object.entries(metrics)) {
    await assertPortFree(METRICS_HOST, Number(address?.split(':')[1]), `${component} metrics`);
  }
  const supervisor = new Supervisor(options);
  const host = options.httpHost === '0.0.0.0' ? '127.0.0.1' : options.httpHost;
  const httpUrl = `http://${host}:${options.httpPort}`;
  try {
    const databaseUrl = await launchAll(supervisor, options);
    await waitUntilServing(`${httpUrl}/clientes/1/extrato`, startedAt + READY_TIMEOUT_MS);
    return {
      httpUrl,
      databaseUrl,
      // By the path asked for: as root it may be a link to the real directory.
      credentialsFile: supervisor.postgres && path.join(options.dataDir, CREDENTIALS_FILE),
      startupMs: Date.now() - startedAt,
      metricsUrls: Object.fromEntries(
        Object.entries(metrics).map(([component, address]) => [
          component,
          `http://${address}/metrics`,
        ]),
      ),
      pids: () => ({ ...supervisor.pids }),
      stop: () => supervisor.stop(),
    };
  } catch (error) {
    await supervisor.stop();
    throw error;
  }
}
