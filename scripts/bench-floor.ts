// `npm run bench:floor [-- --rate 250 --seconds 30 --rounds 3 --variants plain,card,ours]`:
// how much CPU a posting costs the Node processes on its path, for three shapes side by
// side, back to back, under the same fixed-rate load and on one durable PostgreSQL:
//   plain  one node:http process with a pg pool: the shape of the contest's fastest
//          JavaScript entries, without their native driver (scripts/floor/plain-api.ts);
//   card   the least the design card allows: a bare Fastify facade and a bare grpc-js
//          ledger over the Pipeline stream, one posting per message and one query per
//          posting (scripts/floor/card-*.ts);
//   ours   this project's facade and ledger, metrics off.
// "card" over "plain" is what the card itself costs; "ours" over "card" is what our code
// adds and could still shed. Every shape starts from the same balances, and the order of
// the shapes turns each round. A benchmark, not a test: it prints figures, asserts nothing.
import { type ChildProcess, fork } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startPostgres } from '../stack/postgres.js';
import { DURABLE_SETTINGS } from '../stack/postgres-settings.js';
import { ensureSchema } from '../stack/schema.js';
import { PROJECT_DIR } from '../stack/stack.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '250' },
    seconds: { type: 'string', default: '30' },
    'warmup-seconds': { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    variants: { type: 'string', default: 'plain,card,ours' },
    'cpu-prof': { type: 'string' },
    // Below 32768 (no outgoing port can hold them) and outside the ports the test suite
    // takes (tests/support/ports.ts), so a benchmark and `npm test` can run together.
    'postgres-port': { type: 'string', default: '19443' },
    'ledger-port': { type: 'string', default: '19463' },
  },
});

function positiveInteger(name: string): number {
  const raw = values[name as keyof typeof values] as string;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    console.error(`bench:floor: --${name} must be a positive integer, got ${raw}`);
    process.exit(2);
  }
  return value;
}

const RATE = positiveInteger('rate');
const SECONDS = positiveInteger('seconds');
const WARMUP_SECONDS = positiveInteger('warmup-seconds');
const ROUNDS = positiveInteger('rounds');
// Our ledger also serves gRPC on TCP; the load reaches it only through its Unix socket.
const LEDGER_TCP_ADDRESS = `127.0.0.1:${positiveInteger('ledger-port')}`;
const DIST_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
/** The load runs this long past the measured window, so the window never sees it end. */
const LOAD_TAIL_SECONDS = 2;
/** Past the load's end, a driver still waiting for answers is stopped: the shape hung. */
const ANSWERS_GRACE_MS = 30_000;
/** Linux counts process CPU in clock ticks of 10 ms (USER_HZ, 100 on every common build). */
const CLOCK_TICK_MS = 10;
// Each shape starts from the five clients at zero, so each meets the limits as often.
const RESET_SQL = `TRUNCATE transactions, idempotency_keys;
                   UPDATE clients SET balance_cents = 0`;

interface ProcessSpec {
  readonly role: string;
  readonly main: string;
  readonly env: Record<string, string>;
  /** The Unix socket it listens on once ready. */
  readonly socket: string;
}

/** The processes of a variant, front (the one the load reaches) first. */
type Variant = (workDir: string, databaseUrl: string) => ProcessSpec[];

const VARIANTS: Record<string, Variant> = {
  plain: (dir, url) => [
    {
      role: 'api',
      main: 'scripts/floor/plain-api.js',
      env: { FLOOR_DATABASE_URL: url, FLOOR_SOCKET_PATH: `${dir}/front.sock` },
      socket: `${dir}/front.sock`,
    },
  ],
  card: (dir, url) => [
    {
      role: 'facade',
      main: 'scripts/floor/card-facade.js',
      env: {
        FLOOR_SOCKET_PATH: `${dir}/front.sock`,
        FLOOR_LEDGER_SOCKET_PATH: `${dir}/ledger.sock`,
      },
      socket: `${dir}/front.sock`,
    },
    {
      role: 'ledger',
      main: 'scripts/floor/card-ledger.js',
      env: { FLOOR_DATABASE_URL: url, FLOOR_LEDGER_SOCKET_PATH: `${dir}/ledger.sock` },
      socket: `${dir}/ledger.sock`,
    },
  ],
  ours: (dir, url) => [
    {
      role: 'facade',
      main: 'http-facade/main.js',
      env: { FACADE_SOCKET_PATH: `${dir}/front.sock`, LEDGER_ADDRESS: `unix:${dir}/ledger.sock` },
      socket: `${dir}/front.sock`,
    },
    {
      role: 'ledger',
      main: 'ledger-service/main.js',
      env: {
        DATABASE_URL: url,
        LEDGER_SOCKET_PATH: `${dir}/ledger.sock`,
        LEDGER_LISTEN_ADDRESS: LEDGER_TCP_ADDRESS,
        LEDGER_METRICS_ADDRESS: 'off',
      },
      socket: `${dir}/ledger.sock`,
    },
  ],
};

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function processCpuMs(child: ChildProcess, role: string): number {
  if (hasExited(child)) throw new Error(`the ${role} process exited during the measurement`);
  // The fields after the command name (which may itself hold ") "): utime and stime
  // are the 12th and 13th of them.
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
}

/** Until the process listens on its socket; fails at once if it exits first. */
async function waitForSocket(child: ChildProcess, spec: ProcessSpec): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!existsSync(spec.socket)) {
    if (hasExited(child)) throw new Error(`the ${spec.role} process exited before listening`);
    if (Date.now() > deadline) throw new Error(`the ${spec.role} process never listened`);
    await sleep(50);
  }
}

/**
 * Starts the processes back to front, each once the one it calls listens, into
 * `started` (front first), so that a failed start still stops those already running.
 */
async function startAll(specs: ProcessSpec[], started: ChildProcess[]): Promise<void> {
  const profile = values['cpu-prof'];
  const execArgv = profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profile)}`] : [];
  for (const spec of [...specs].reverse()) {
    rmSync(spec.socket, { force: true });
    const child = fork(path.join(DIST_DIR, spec.main), [], {
      execArgv,
      env: { ...process.env, LOG_LEVEL: 'warn', ...spec.env },
    });
    started.unshift(child);
    await waitForSocket(child, spec);
  }
}

/** SIGTERM (a clean exit writes --cpu-prof's profile), SIGKILL if that is not enough. */
async function stop(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(killer);
}

/** The driver's one JSON line, read once its output has closed. */
function driverAnswers(driver: ChildProcess): Promise<string> {
  let output = '';
  driver.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve) => driver.once('close', () => resolve(output.trim())));
}

/** Load for warm-up + measured window; CPU read over the window only. */
async function measure(name: string, specs: ProcessSpec[], children: ChildProcess[]) {
  const loadSeconds = WARMUP_SECONDS + SECONDS + LOAD_TAIL_SECONDS;
  const driver = fork(
    path.join(DIST_DIR, 'scripts/floor/fixed-rate-driver.js'),
    [specs[0]?.socket ?? '', String(RATE), String(loadSeconds)],
    { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
  );
  const answers = driverAnswers(driver);
  const hung = setTimeout(() => driver.kill(), loadSeconds * 1000 + ANSWERS_GRACE_MS);
  try {
    await sleep(WARMUP_SECONDS * 1000);
    const before = children.map((child, index) => processCpuMs(child, specs[index]?.role ?? ''));
    await sleep(SECONDS * 1000);
    const after = children.map((child, index) => processCpuMs(child, specs[index]?.role ?? ''));
    const requests = RATE * SECONDS;
    // Rounded before they are added, so the printed parts add up to the printed total.
    const parts = after.map((ms, index) =>
      Number(((ms - (before[index] ?? 0)) / requests).toFixed(3)),
    );
    const total = parts.reduce((sum, each) => sum + each, 0);
    const roles = specs.map((spec, index) => `${spec.role} ${parts[index]?.toFixed(3)}`);
    console.log(
      `${name.padEnd(6)} ${total.toFixed(3).padStart(7)}   ${roles.join(' + ').padEnd(30)} ` +
        `${(await answers) || '(the load did not finish)'}`,
    );
  } finally {
    clearTimeout(hung);
    await stop(driver);
  }
}

/** Each shape, fresh processes and the same starting balances; the order turns each round. */
async function runRounds(variantNames: string[], workDir: string, databaseUrl: string) {
  const database = new pg.Client({ connectionString: databaseUrl });
  await database.connect();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const turned = variantNames.map(
        (_, index) => variantNames[(index + round) % variantNames.length],
      );
      for (const name of turned as string[]) {
        await database.query(RESET_SQL);
        const specs = (VARIANTS[name] as Variant)(workDir, databaseUrl);
        const children: ChildProcess[] = [];
        try {
          await startAll(specs, children);
          await measure(name, specs, children);
        } finally {
          await Promise.all(children.map(stop));
        }
      }
    }
  } finally {
    await database.end();
  }
}

async function main(): Promise<void> {
  const variantNames = values.variants.split(',');
  for (const name of variantNames) {
    if (!Object.hasOwn(VARIANTS, name)) {
      console.error(`bench:floor: unknown variant ${name}; the variants are plain, card, ours`);
      process.exit(2);
    }
  }
  const workDir = mkdtempSync(path.join(tmpdir(), 'floor-bench-'));
  try {
    // mkdtemp makes it private; as root, PostgreSQL runs as its own user
    // (stack/postgres.ts), which must reach its data directory inside.
    chmodSync(workDir, 0o755);
    const postgres = await startPostgres({
      dataDir: path.join(workDir, 'postgres'),
      port: positiveInteger('postgres-port'),
      settings: DURABLE_SETTINGS,
    });
    try {
      const databaseUrl = postgres.url('ledger');
      await ensureSchema(databaseUrl, path.join(PROJECT_DIR, 'init.sql'));
      console.log(
        `floor benchmark: ${RATE} postings/s, ${WARMUP_SECONDS} s warm-up, ${SECONDS} s ` +
          `measured, durable PostgreSQL, node ${process.version}`,
      );
      console.log('shape  ms CPU per posting (Node processes)   answers');
      await runRounds(variantNames, workDir, databaseUrl);
    } finally {
      await postgres.stop();
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
