// `npm run bench -- [--time-scale 1] [--rate-scale 1] [--rinha] [--balancer nginx|cluster]
// [--out DIR] [--cpu-prof DIR]`: the native stack under the contest's budget, with the
// Rinha load test against it. --cpu-prof writes a V8 CPU profile of each Node process
// of the stack (ledger, facades, supervisor) into DIR when it exits: profile, then change.
// Each component (PostgreSQL, the ledger, each facade, the balancer, i.e. the stack's
// cluster primary) runs in its own cgroup with the CPU and memory limits of
// docker-compose.yml; the load generator (this process) runs outside the budget.
// Reports the load test's results plus each component's CPU use, throttling and peak
// memory. Without cgroups (not root, no cgroup filesystem) it says so and runs
// unconstrained.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { renderTextSummary } from '../loadtest/report-text.js';
import { type LoadTestResult, runLoadTest } from '../loadtest/run-load-test.js';
import { writeReports } from '../loadtest/write-reports.js';
import { readComposeBudget } from '../stack/budget.js';
import {
  type CgroupLayout,
  type ComponentLimits,
  type ComponentUsage,
  createGroup,
  detectCgroups,
  placeProcess,
  readUsage,
  removeGroups,
} from '../stack/cgroups.js';
import { findNginx } from '../stack/nginx.js';

const { values } = parseArgs({
  options: {
    'time-scale': { type: 'string', default: '1' },
    'rate-scale': { type: 'string', default: '1' },
    rinha: { type: 'boolean', default: false },
    out: { type: 'string' },
    'cpu-prof': { type: 'string' },
    compose: { type: 'string', default: 'docker-compose.yml' },
    port: { type: 'string', default: '9999' },
    // nginx where installed (closest to production's Envoy), else node:cluster.
    balancer: { type: 'string', default: findNginx() === undefined ? 'cluster' : 'nginx' },
  },
});

const SAMPLE_INTERVAL_MS = 1000;
const MIB = 1024 * 1024;

interface ComponentReport {
  component: string;
  limits: ComponentLimits;
  usage: ComponentUsage;
  cpuAverageCores: number;
  cpuPeakCores: number;
}

function startStackProcess(workDir: string, cgroupParent: string | undefined): ChildProcess {
  // The stack forks its Node children with its own execArgv: they are profiled too.
  const profileDir = values['cpu-prof'];
  const args = [
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : []),
    'dist/stack/main.js',
    '--fresh',
    '--port',
    values.port,
    // Not the dev stack's defaults, so a running `npm start` does not collide; below
    // 32768, where the kernel picks no outgoing ports that could hold them.
    '--postgres-port',
    '25434',
    '--ledger-address',
    '127.0.0.1:25052',
    '--data-dir',
    path.join(workDir, 'postgres'),
    '--state-file',
    path.join(workDir, 'state.json'),
    '--balancer',
    values.balancer,
    ...(values.rinha ? ['--rinha'] : []),
    ...(cgroupParent ? ['--cgroup-parent', cgroupParent] : []),
  ];
  return spawn(process.execPath, args, {
    // The IPC channel ends the stack if this process dies before its finally runs.
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
}

function waitForReady(stack: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    stack.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
      if (output.includes('[stack] ready in')) resolve();
    });
    stack.once('exit', (code) =>
      reject(new Error(`the stack exited (${code}) before it was ready`)),
    );
  });
}

/** CPU milliseconds a component spent per request of the load test: the budget's unit. */
function cpuPerRequestMs(cpuUsageNs: number, requestCount: number): number {
  return cpuUsageNs / 1e6 / Math.max(1, requestCount);
}

function renderComponents(reports: readonly ComponentReport[], requestCount: number): string {
  const lines = [
    'component   cpu limit  cpu avg  cpu peak(1s)  cpu ms/req  throttled periods  throttled ms  mem peak / limit MB  OOM',
  ];
  let totalNs = 0;
  for (const report of reports) {
    const memoryShare = (100 * report.usage.memoryPeakBytes) / report.limits.memoryBytes;
    const perRequestMs = cpuPerRequestMs(report.usage.cpuUsageNs, requestCount);
    totalNs += report.usage.cpuUsageNs;
    lines.push(
      `${report.component.padEnd(11)} ${report.limits.cpus.toFixed(2).padStart(9)} ` +
        `${report.cpuAverageCores.toFixed(3).padStart(8)} ${report.cpuPeakCores.toFixed(3).padStart(13)} ` +
        `${perRequestMs.toFixed(3).padStart(11)} ` +
        `${String(report.usage.throttledPeriods).padStart(18)} ` +
        `${(report.usage.throttledNs / 1e6).toFixed(0).padStart(13)} ` +
        `${(report.usage.memoryPeakBytes / MIB).toFixed(1).padStart(10)} / ${(report.limits.memoryBytes / MIB).toFixed(0).padStart(4)} (${memoryShare.toFixed(0)}%)` +
        `${String(report.usage.oomKills).padStart(5)}`,
    );
  }
  const totalMs = cpuPerRequestMs(totalNs, requestCount);
  lines.push(
    `CPU per request, every component: ${totalMs.toFixed(3)} ms (${requestCount} requests)`,
  );
  return lines.join('\n');
}

/** Creates one limited group per component and says what it did. */
function prepareGroups(
  layout: CgroupLayout,
  parent: string,
  budget: Record<string, ComponentLimits>,
): void {
  console.log(
    `bench: cgroup ${layout.version}, balancer ${values.balancer}, budget from ${values.compose}:`,
  );
  for (const [component, limits] of Object.entries(budget)) {
    createGroup(layout, `${parent}/${component}`, limits);
    console.log(
      `  ${component.padEnd(10)} ${limits.cpus} CPU, ${(limits.memoryBytes / MIB).toFixed(0)} MB`,
    );
  }
}

/**
 * Measures each component's group from start() on: start-up (initdb, module loading,
 * JIT) is not the load, so CPU and throttling count from there; memory peaks cover the
 * whole run. Samples CPU every second for the busiest-second figure.
 */
class UsageMeter {
  private readonly before = new Map<string, ComponentUsage>();
  private readonly samples = new Map<string, number[]>();
  private sampler: NodeJS.Timeout | undefined;

  constructor(
    private readonly layout: CgroupLayout,
    private readonly parent: string,
    private readonly budget: Record<string, ComponentLimits>,
  ) {}

  private read(component: string): ComponentUsage {
    return readUsage(this.layout, `${this.parent}/${component}`);
  }

  start(): void {
    const previous = new Map<string, number>();
    for (const component of Object.keys(this.budget)) {
      const usage = this.read(component);
      this.before.set(component, usage);
      previous.set(component, usage.cpuUsageNs);
    }
    let previousAtMs = performance.now();
    this.sampler = setInterval(() => {
      // Divided by the time that really passed: under overload this process's timers
      // fire late, and a second's share of a longer interval would read as a peak.
      const nowMs = performance.now();
      const elapsedMs = nowMs - previousAtMs;
      previousAtMs = nowMs;
      for (const component of Object.keys(this.budget)) {
        // A read that fails (EMFILE while the load test holds every descriptor) skips
        // this sample and the next, which would span two intervals; it must not end the
        // bench with the stack left running.
        let now: number;
        try {
          now = this.read(component).cpuUsageNs;
        } catch {
          previous.delete(component);
          continue;
        }
        if (!previous.has(component)) {
          previous.set(component, now);
          continue;
        }
        const cores = (now - (previous.get(component) as number)) / (elapsedMs * 1e6);
        this.samples.set(component, [...(this.samples.get(component) ?? []), cores]);
        previous.set(component, now);
      }
    }, SAMPLE_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.sampler);
  }

  finish(durationMs: number): ComponentReport[] {
    this.stop();
    return Object.entries(this.budget).map(([component, limits]) => {
      const total = this.read(component);
      const start = this.before.get(component);
      const usage: ComponentUsage = {
        ...total,
        cpuUsageNs: total.cpuUsageNs - (start?.cpuUsageNs ?? 0),
        throttledPeriods: total.throttledPeriods - (start?.throttledPeriods ?? 0),
        throttledNs: total.throttledNs - (start?.throttledNs ?? 0),
      };
      return {
        component,
        limits,
        usage,
        cpuAverageCores: usage.cpuUsageNs / (durationMs * 1e6),
        cpuPeakCores: Math.max(0, ...(this.samples.get(component) ?? [])),
      };
    });
  }
}

async function writeResults(result: LoadTestResult, reports: ComponentReport[], cgroups: string) {
  const outDir =
    values.out ?? path.join('reports', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(outDir, { recursive: true });
  const paths = await writeReports(result, outDir);
  const componentsFile = path.join(outDir, 'components.json');
  const summary = {
    cgroups,
    balancer: values.balancer,
    rinhaMode: values.rinha,
    components: reports,
  };
  writeFileSync(componentsFile, JSON.stringify(summary, null, 2));
  console.log(`Reports: ${paths.html}\n         ${paths.json}\n         ${componentsFile}`);
}

async function main(): Promise<number> {
  const budget = readComposeBudget(values.compose);
  const detected = detectCgroups();
  const layout = 'unavailable' in detected ? undefined : detected;
  if ('unavailable' in detected)
    console.warn(`bench: ${detected.unavailable}; running UNCONSTRAINED`);
  const cgroupParent = `crebitos-bench-${process.pid}`;
  if (layout) prepareGroups(layout, cgroupParent, budget);

  const workDir = mkdtempSync(path.join(tmpdir(), 'crebitos-bench-'));
  chmodSync(workDir, 0o755);
  const stack = startStackProcess(workDir, layout ? cgroupParent : undefined);
  // With node:cluster the stack process itself balances; with nginx it only
  // supervises, outside the budget, as the Docker daemon does.
  if (layout && stack.pid !== undefined && values.balancer === 'cluster') {
    placeProcess(layout, `${cgroupParent}/balancer`, stack.pid);
  }
  const meter = layout ? new UsageMeter(layout, cgroupParent, budget) : undefined;
  try {
    await waitForReady(stack);
    meter?.start();
    const result = await runLoadTest({
      url: `http://127.0.0.1:${values.port}`,
      timeScale: Number(values['time-scale']),
      rateScale: Number(values['rate-scale']),
      progress: process.stderr,
    });
    const reports = meter?.finish(result.durationMs) ?? [];
    console.log(renderTextSummary(result));
    if (layout) {
      const seconds = (result.durationMs / 1000).toFixed(1);
      console.log(
        `\nComponents under the budget (${seconds} s of load test):\n` +
          renderComponents(reports, result.total.count),
      );
    }
    await writeResults(result, reports, layout?.version ?? 'unavailable');
    const state = JSON.parse(readFileSync(path.join(workDir, 'state.json'), 'utf8')) as {
      pids: object;
    };
    console.log(`Stack processes: ${JSON.stringify(state.pids)}`);
    return result.passed ? 0 : 1;
  } finally {
    meter?.stop();
    stack.kill('SIGTERM');
    await new Promise((resolve) =>
      stack.exitCode === null ? stack.once('exit', resolve) : resolve(null),
    );
    if (layout) {
      const groups = Object.keys(budget).map((component) => `${cgroupParent}/${component}`);
      await removeGroups(layout, [...groups, cgroupParent]);
    }
    rmSync(workDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
