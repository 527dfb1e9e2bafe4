// Starts the native stack as `npm start` does (node dist/stack/main.js, built by
// `npm test`'s pretest), on this run's test ports with a fresh data directory, and
// reads which process is which from its state file. A caller that needs the data to
// outlive the process (restart on the same database) passes its own data directory,
// which stop() then leaves in place.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testPort } from './ports.js';

export interface StackState {
  httpUrl: string;
  databaseUrl: string;
  pids: Record<string, number>;
  metricsUrls: Record<string, string>;
}

export interface StackProcess {
  readonly child: ChildProcess;
  readonly httpUrl: string;
  readonly ledgerAddress: string;
  readonly databaseUrl: string;
  readonly dataDir: string;
  /** Everything the stack printed so far. */
  output(): string;
  state(): StackState;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StackProcessOptions {
  /**
   * PostgreSQL's data directory, owned by the caller: created on first use, kept by
   * stop(), reused by the next stack given the same path. Default: a new directory
   * inside the stack's work directory, deleted by stop().
   */
  readonly dataDir?: string;
  /** The project tree whose dist/stack/main.js to run, and the cwd (default: this one). */
  readonly projectDir?: string;
  /** Run the stack as this user (root only), who then owns the work directory. */
  readonly user?: { readonly uid: number; readonly gid: number };
  /** The Node binary to run it with (default: the one running the tests). */
  readonly node?: string;
}

export const STACK_MAIN = 'dist/stack/main.js';

/** A new directory for StackProcessOptions.dataDir; the caller deletes it. */
export function createDataDir(): string {
  const parent = mkdtempSync(path.join(tmpdir(), 'ledger-data-'));
  // Run as root, PostgreSQL runs as a `postgres` user that must reach its data directory.
  chmodSync(parent, 0o755);
  return path.join(parent, 'postgres');
}

export async function startStackProcess(
  extraArgs: string[] = [],
  env: Record<string, string> = {},
  options: StackProcessOptions = {},
): Promise<StackProcess> {
  const workDir = mkdtempSync(path.join(tmpdir(), 'ledger-stack-'));
  // Run as root, PostgreSQL runs as a `postgres` user that must reach its data directory.
  chmodSync(workDir, 0o755);
  if (options.user !== undefined) chownSync(workDir, options.user.uid, options.user.gid);
  const stateFile = path.join(workDir, 'state.json');
  const dataDir = options.dataDir ?? path.join(workDir, 'postgres');
  const httpPort = testPort();
  const ledgerAddress = `127.0.0.1:${testPort()}`;
  const projectDir = options.projectDir ?? process.cwd();
  const args = [
    path.join(projectDir, STACK_MAIN),
    '--port',
    String(httpPort),
    '--postgres-port',
    String(testPort()),
    '--ledger-address',
    ledgerAddress,
    '--data-dir',
    dataDir,
    '--state-file',
    stateFile,
    // Metrics are a test of their own (tests/prometheus.test.ts); elsewhere they would
    // take fixed ports that parallel stacks share.
    ...(extraArgs.includes('--metrics-port') ? [] : ['--metrics-port', 'off']),
    ...extraArgs,
  ];
  const child = spawn(options.node ?? process.execPath, args, {
    cwd: projectDir,
    ...options.user,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`stack not ready in time:\n${output}`)),
      45_000,
    );
    const onData = () => {
      if (output.includes('[stack] ready in')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`stack exited with ${code} before ready:\n${output}`));
    });
  });
  const state = (): StackState => JSON.parse(readFileSync(stateFile, 'utf8')) as StackState;
  return {
    child,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    ledgerAddress,
    databaseUrl: state().databaseUrl,
    dataDir,
    output: () => output,
    state,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      // The work directory holds the default data directory, never a caller's one.
      rmSync(workDir, { recursive: true, force: true });
      return code;
    },
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The facades' pids from the state file, sorted. */
export function facadePids(stack: StackProcess): number[] {
  return Object.entries(stack.state().pids)
    .filter(([name]) => name.startsWith('facade'))
    .map(([, pid]) => pid)
    .sort((a, b) => a - b);
}

/**
 * Which facade answered each of `count` requests to /healthz, in order, each on a new
 * connection (node:cluster balances connections, not requests).
 */
export async function answeringPids(stack: StackProcess, count: number): Promise<number[]> {
  const pids: number[] = [];
  for (let attempt = 0; attempt < count; attempt++) {
    const response = await fetch(`${stack.httpUrl}/healthz`, { headers: { connection: 'close' } });
    pids.push(((await response.json()) as { pid: number }).pid);
  }
  return pids;
}
