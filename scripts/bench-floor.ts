// `npm run bench:floor [-- --rate 250 --seconds 30 --rounds 3 --variants plain,card,ours]`:
// how much CPU a posting costs the Node processes on its path, for three shapes side by
// side, back to back, under the same fixed-rate load and on one durable PostgreSQL:
//   plain  one node:http process with a pg pool: the shape of the contest's fastest
//          JavaScript entries, without their native driver (scripts/floor/plain-api.ts);
//   card   the least the design card allows: a bare Fastify facade and a bare grpc-js
//          ledger over the Pipeline stream (scripts/floor/card-*.ts);
//   ours   this project's facade and ledger, metrics off.
// "card" over "plain" is what the card itself costs; "ours" over "card" is what our code
// adds and could still shed. A benchmark, not a test: it prints figures, asserts nothing.
import { type ChildProcess, fork } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
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
    // Below 32768, where the kernel picks no outgoing ports that could hold them.
    'postgres-port': { type: 'string', default: '25443' },
    'ledger-port': { type: 'string', default: '25063' },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const WARMUP_SECONDS = Number(values['warmup-seconds']);
// Our ledger also serves gRPC on TCP; the load reaches it only through its Unix socket.
const LEDGER_TCP_ADDRESS = `127.0.0.1:${values['ledger-port']}`;
const DIST_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const READY_TIMEOUT_MS = 20_000;
/** Linux counts process CPU in clock ticks of 10 ms (USER_HZ, 100 on every common build). */
const MS_PER_CLOCK_TICK = 10;

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

function processCpuMs(child: ChildProcess, role: string): number {
  if (child.exitCode !== null || child.signalCode !== null) {
    throw new Error(`the ${role} process exited during the measurement`);
  }
  const pid = child.pid as number;
  // Fields after the command name: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * MS_PER_CLOCK_TICK;
}

async function waitForFile(file: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear`);
    await sleep(50);
  }
}

/** Starts the processes back to front: each finds the one it calls already listening. */
async function startAll(specs: ProcessSpec[]): Promise<ChildProcess[]> {
  const profile = values['cpu-prof'];
  const execArgv = profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profile)}`] : [];
  const started: ChildProcess[] = [];
  for (const spec of [...specs].reverse()) {
    const child = fork(path.join(DIST_DIR, spec.main), [], {
      execArgv,
      env: { ...process.env, LOG_LEVEL: 'warn', ...spec.env },
    });
    started.unshift(child);
    await waitForFile(spec.socket);
  }
  return started;
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }),
  );
}

/** Load for warm-up + measured window; CPU read over the window only. */
async function measure(name: string, specs: ProcessSpec[], children: ChildProcess[]) {
  const driver = fork(
    path.join(DIST_DIR, 'scripts/floor/fixed-rate-driver.js'),
    [specs[0]?.socket ?? '', String(RATE), String(WARMUP_SECONDS + SECONDS + 2)],
    { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
  );
  let answers = '';
  driver.stdout?.on('data', (chunk: Buffer) => {
    answers += chunk.toString();
  });
  const driverExited = new Promise((resolve) => driver.once('exit', resolve));
  await sleep(WARMUP_SECONDS * 1000);
  const before = children.map((child, index) => processCpuMs(child, specs[index]?.role ?? ''));
  await sleep(SECONDS * 1000);
  const after = children.map((child, index) => processCpuMs(child, specs[index]?.role ?? ''));
  const stuck = setTimeout(() => driver.kill(), (SECONDS + 30) * 1000);
  await driverExited;
  clearTimeout(stuck);
  const requests = RATE * SECONDS;
  const perRequest = after.map((ms, index) => (ms - (before[index] ?? 0)) / requests);
  const total = perRequest.reduce((sum, each) => sum + each, 0);
  const parts = specs.map((spec, index) => `${spec.role} ${perRequest[index]?.toFixed(3)}`);
  console.log(
    `${name.padEnd(6)} ${total.toFixed(3).padStart(7)}   ${parts.join(' + ').padEnd(30)} ` +
      `${answers.trim() || '(the load did not finish)'}`,
  );
}

async function main(): Promise<void> {
  const variantNames = values.variants.split(',');
  for (const name of variantNames) {
    if (VARIANTS[name] === undefined) {
      console.error(`bench:floor: unknown variant ${name}; the variants are plain, card, ours`);
      process.exit(2);
    }
  }
  const workDir = mkdtempSync(path.join(tmpdir(), 'floor-bench-'));
  chmodSync(workDir, 0o755);
  const postgres = await startPostgres({
    dataDir: path.join(workDir, 'postgres'),
    port: Number(values['postgres-port']),
    settings: DURABLE_SETTINGS,
  });
  try {
    const databaseUrl = postgres.url('ledger');
    await ensureSchema(databaseUrl, path.join(PROJECT_DIR, 'init.sql'));
    console.log(
      `floor benchmark: ${RATE} postings/s, ${WARMUP_SECONDS} s warm-up, ${SECONDS} s measured, ` +
        `durable PostgreSQL, node ${process.version}`,
    );
    console.log('shape  ms CPU per posting (Node processes)   answers');
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const name of variantNames) {
        const specs = (VARIANTS[name] as Variant)(workDir, databaseUrl);
        for (const spec of specs) rmSync(spec.socket, { force: true });
        const children = await startAll(specs);
        try {
          await measure(name, specs, children);
        } finally {
          await stopAll(children);
        }
      }
    }
  } finally {
    await postgres.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
