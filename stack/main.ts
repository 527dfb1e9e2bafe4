// `npm start`: the whole stack natively, no Docker. Its options are USAGE below
// (`npm start -- --help` prints them); DATABASE_URL selects an external PostgreSQL
// instead of the embedded one.
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readInteger } from '../common/env.js';
import { detectCgroups, placeProcess, placeProcessTree } from './cgroups.js';
import { DEFAULT_REQUESTS_IN_FLIGHT_MAX, findNginx, REQUESTS_IN_FLIGHT_LIMIT } from './nginx.js';
import { PostgresSetupError } from './postgres-binaries.js';
import {
  type Balancer,
  type ComponentName,
  PROJECT_DIR,
  type RunningStack,
  StackStartError,
  startStack,
} from './stack.js';

const USAGE = `Usage: npm start -- [options]

  --fresh              delete the database first (a clean Rinha run)
  --rinha              opt-in speed: synchronous_commit off (see "Durability" in README.md)
  --port N             HTTP port (9999)
  --host H             HTTP host (127.0.0.1)
  --facades N          facade processes (2)
  --data-dir D         PostgreSQL data (.data/postgres)
  --postgres-port N    embedded PostgreSQL (5433)
  --ledger-address H:P the ledger's gRPC on TCP (127.0.0.1:50051)
  --balancer B         cluster (node:cluster in this process; the default, needs nothing)
                       or nginx (an installed nginx, facades on Unix sockets; as Envoy)
  --state-file F       write {httpUrl, databaseUrl, pids} as JSON (mode 0600: the URL is
                       the superuser's, password included), kept current (for tools)
  --metrics-port N     first metrics port on 127.0.0.1 (9464, or STACK_METRICS_PORT): the
                       ledger N, facade K N + K; off serves no metrics and records none
  --cgroup-parent G    place each component in the control group G/<component>, made
                       beforehand by the launching process, relative to its own groups
                       (the budget benchmark, scripts/bench-stack.ts)
  -h, --help           this text

Environment: DATABASE_URL (an external PostgreSQL instead of the embedded one), and the
variables in README.md's configuration table.`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h', default: false },
  fresh: { type: 'boolean', default: false },
  rinha: { type: 'boolean', default: false },
  port: { type: 'string', default: '9999' },
  host: { type: 'string', default: '127.0.0.1' },
  facades: { type: 'string', default: '2' },
  'data-dir': { type: 'string', default: path.join(PROJECT_DIR, '.data', 'postgres') },
  'postgres-port': { type: 'string', default: '5433' },
  'ledger-address': { type: 'string', default: '127.0.0.1:50051' },
  'state-file': { type: 'string' },
  balancer: { type: 'string', default: 'cluster' },
  'cgroup-parent': { type: 'string' },
  'metrics-port': { type: 'string', default: process.env.STACK_METRICS_PORT || '9464' },
} as const;

function parseOptions() {
  try {
    return parseArgs({ options: OPTIONS, strict: true }).values;
  } catch (error) {
    if (!String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS_')) throw error;
    // An unknown or malformed option: one line and the way to the list, not a stack trace.
    console.error(`stack: ${(error as Error).message}; see npm start -- --help`);
    process.exit(2);
  }
}

const values = parseOptions();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function integerOption(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`stack: --${name} must be an integer from ${min} to ${max}, got ${raw}`);
    process.exit(2);
  }
  return value;
}

const log = (line: string) => console.log(`[stack] ${line}`);

function balancerOption(raw: string): Balancer {
  if (raw === 'cluster') return { kind: 'cluster' };
  if (raw !== 'nginx') {
    console.error(`stack: --balancer must be cluster or nginx, got ${raw}`);
    process.exit(2);
  }
  const binary = findNginx();
  if (binary === undefined) {
    console.error(
      'stack: --balancer nginx, but no nginx is installed (apt-get install nginx-light)',
    );
    process.exit(2);
  }
  return { kind: 'nginx', binary, requestsInFlightMax: balancerRequestsMax() };
}

/** STACK_BALANCER_REQUESTS_MAX, checked before anything starts. */
function balancerRequestsMax(): number {
  try {
    return readInteger(process.env, 'STACK_BALANCER_REQUESTS_MAX', DEFAULT_REQUESTS_IN_FLIGHT_MAX, {
      min: 1,
      max: REQUESTS_IN_FLIGHT_LIMIT,
    });
  } catch (error) {
    console.error(`stack: ${(error as Error).message}`);
    process.exit(2);
  }
}

const cgroupParent = values['cgroup-parent'];
// Group names are relative to the launcher's own groups (it made them; it is our parent).
const cgroups = cgroupParent === undefined ? undefined : detectCgroups(process.ppid);
if (cgroups !== undefined && 'unavailable' in cgroups) {
  console.error(`stack: --cgroup-parent given but ${cgroups.unavailable}`);
  process.exit(2);
}

const CGROUP_SWEEP_DELAY_MS = 500;

function placeInCgroup(component: ComponentName, pid: number): void {
  if (cgroups === undefined || 'unavailable' in cgroups) return;
  // Every process is placed as it is spawned, before it works, and its children
  // inherit. A process can fork before we get to it (nginx's worker may), so the
  // whole tree is swept again a moment later.
  const group = `${cgroupParent}/${component}`;
  placeProcess(cgroups, group, pid);
  setTimeout(() => placeProcessTree(cgroups, group, pid), CGROUP_SWEEP_DELAY_MS).unref();
}

let stackRef: RunningStack | undefined;
/** Tools (tests, the benchmark) read which process is which from this file. */
function writeState(): void {
  const file = values['state-file'];
  if (file === undefined || stackRef === undefined) return;
  const state = {
    httpUrl: stackRef.httpUrl,
    databaseUrl: stackRef.databaseUrl,
    pids: stackRef.pids(),
    metricsUrls: stackRef.metricsUrls,
  };
  // Private: databaseUrl carries the superuser's password.
  writeFileSync(`${file}.tmp`, JSON.stringify(state), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

// Signals are caught from the very start: one that arrives while the stack is still
// starting stops it as soon as it is up (a failed start cleans up by itself).
let signalled: string | undefined;
let stopping = false;
function shutdown(signal: string): void {
  if (stackRef === undefined) {
    signalled = signal;
    return;
  }
  if (stopping) return;
  stopping = true;
  log(`${signal}: draining facades, then the ledger, then PostgreSQL`);
  stackRef.stop().then(
    () => {
      log('stopped');
      process.exit(0);
    },
    (error: unknown) => {
      console.error(`stack: stop failed: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
// Started with an IPC channel (npm run bench): if that parent dies, the stack stops too
// rather than outliving it with its ports and cgroups held.
if (process.send !== undefined) process.on('disconnect', () => shutdown('parent exited'));

try {
  const stack = await startStack({
    dataDir: path.resolve(values['data-dir']),
    fresh: values.fresh,
    rinhaMode: values.rinha,
    databaseUrl: process.env.DATABASE_URL || undefined,
    postgresPort: integerOption('postgres-port', values['postgres-port'], 1, 65535),
    ledgerAddress: values['ledger-address'],
    httpHost: values.host,
    httpPort: integerOption('port', values.port, 1, 65535),
    facadeCount: integerOption('facades', values.facades, 1, 64),
    balancer: balancerOption(values.balancer),
    metricsPort:
      values['metrics-port'] === 'off'
        ? undefined
        : integerOption('metrics-port', values['metrics-port'], 1, 65535 - 64),
    childEnv: {},
    log,
    onSpawn: (component, pid) => {
      placeInCgroup(component, pid);
      writeState();
    },
  });
  stackRef = stack;
  writeState();
  const pids = stack.pids();
  log(
    `ready in ${(stack.startupMs / 1000).toFixed(1)} s (${values.rinha ? 'RINHA MODE: synchronous_commit off' : 'durable'})`,
  );
  log(
    `  HTTP       ${stack.httpUrl}   (facades ${Object.entries(pids)
      .filter(([name]) => name.startsWith('facade'))
      .map(([, pid]) => pid)
      .join(', ')}, round robin by ${values.balancer})`,
  );
  log(`  gRPC       ${values['ledger-address']}   (ledger ${pids.ledger})`);
  for (const [component, url] of Object.entries(stack.metricsUrls)) {
    log(`  metrics ${url}   (${component})`);
  }
  log(
    `  PostgreSQL ${stack.databaseUrl.replace(/:[^:@/]*@/, ':***@')}${pids.postgres ? `   (pid ${pids.postgres})` : ''}`,
  );
  if (stack.credentialsFile !== undefined) log(`  passwords  ${stack.credentialsFile}`);
  log(`  try: curl -s ${stack.httpUrl}/clientes/1/extrato`);
  log('Ctrl-C stops everything.');

  if (signalled !== undefined) shutdown(signalled);
} catch (error) {
  // One sentence for a person; the stack trace only when asked for (LOG_LEVEL=debug).
  const known = error instanceof StackStartError || error instanceof PostgresSetupError;
  const debug = process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace';
  const message = !known && debug ? (error as Error).stack : (error as Error).message;
  console.error(`stack: cannot start: ${message}`);
  process.exit(1);
}
