// Linux control groups for the budget benchmark: one group per component with the
// CPU and memory limits docker-compose.yml gives it, so the native stack runs under
// the contest's budget without Docker. cgroup v2 (unified) and v1 (per-controller
// hierarchies) are both supported; the CPU period is 100 ms, as Docker's.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';
export const CPU_PERIOD_US = 100_000;

export interface ComponentLimits {
  readonly cpus: number;
  readonly memoryBytes: number;
}

export interface ComponentUsage {
  readonly cpuUsageNs: number;
  readonly throttledPeriods: number;
  readonly throttledNs: number;
  readonly memoryPeakBytes: number;
  readonly oomKills: number;
}

export type CgroupVersion = 'v1' | 'v2';

export interface CgroupLayout {
  readonly version: CgroupVersion;
  /** The group's directory for each controller it needs ('unified' for v2). */
  directories(group: string): Record<string, string>;
}

function currentPath(controller: string, pid: number | 'self'): string | undefined {
  // Lines of /proc/<pid>/cgroup: "hierarchy-id:controllers:path".
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const [, controllers, groupPath] = line.split(':');
    if (controllers === undefined || groupPath === undefined) continue;
    if (controller === '' ? controllers === '' : controllers.split(',').includes(controller)) {
      return groupPath;
    }
  }
  return undefined;
}

/**
 * Which cgroup layout this machine offers with writable cpu and memory control, if
 * any. Group names are relative to the groups of process `basePid` (by default this
 * one), so a launcher and the processes it starts agree on where a group is.
 */
export function detectCgroups(
  basePid: number | 'self' = 'self',
): CgroupLayout | { readonly unavailable: string } {
  if (process.getuid?.() !== 0) return { unavailable: 'not root: cannot create control groups' };
  const unifiedControllers = path.join(CGROUP_ROOT, 'cgroup.controllers');
  if (existsSync(unifiedControllers)) {
    const controllers = readFileSync(unifiedControllers, 'utf8').split(/\s+/);
    if (controllers.includes('cpu') && controllers.includes('memory')) {
      const base = path.join(CGROUP_ROOT, currentPath('', basePid) ?? '/');
      return { version: 'v2', directories: (group) => ({ unified: path.join(base, group) }) };
    }
  }
  const v1 = ['cpu', 'cpuacct', 'memory'];
  if (v1.every((controller) => existsSync(path.join(CGROUP_ROOT, controller, 'cgroup.procs')))) {
    return {
      version: 'v1',
      directories: (group) =>
        Object.fromEntries(
          v1.map((controller) => [
            controller,
            path.join(CGROUP_ROOT, controller, currentPath(controller, basePid) ?? '/', group),
          ]),
        ),
    };
  }
  return { unavailable: 'no cgroup filesystem with cpu and memory controllers' };
}

function write(file: string, value: string): void {
  writeFileSync(file, value);
}

function readNumber(file: string): number {
  return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : 0;
}

function readKeyed(file: string): Record<string, number> {
  if (!existsSync(file)) return {};
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/))
      .map(([key, value]) => [key ?? '', Number(value)]),
  );
}

export function createGroup(layout: CgroupLayout, group: string, limits: ComponentLimits): void {
  const directories = layout.directories(group);
  for (const directory of Object.values(directories)) mkdirSync(directory, { recursive: true });
  const quotaUs = Math.round(limits.cpus * CPU_PERIOD_US);
  if (layout.version === 'v2') {
    const directory = directories.unified as string;
    write(path.join(directory, 'cpu.max'), `${quotaUs} ${CPU_PERIOD_US}`);
    write(path.join(directory, 'memory.max'), String(limits.memoryBytes));
    // As Docker: no swap beyond the memory limit.
    if (existsSync(path.join(directory, 'memory.swap.max')))
      write(path.join(directory, 'memory.swap.max'), '0');
  } else {
    write(path.join(directories.cpu as string, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
    write(path.join(directories.cpu as string, 'cpu.cfs_quota_us'), String(quotaUs));
    write(
      path.join(directories.memory as string, 'memory.limit_in_bytes'),
      String(limits.memoryBytes),
    );
  }
}

/** Moves one process (not its existing children) into a group. */
export function placeProcess(layout: CgroupLayout, group: string, pid: number): void {
  for (const directory of Object.values(layout.directories(group))) {
    write(path.join(directory, 'cgroup.procs'), String(pid));
  }
}

/** A process and all its descendants, read from /proc (parent ids in /proc/PID/stat). */
export function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parentPid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parentPid, [...(children.get(parentPid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const tree = [rootPid];
  for (let index = 0; index < tree.length; index++) {
    tree.push(...(children.get(tree[index] as number) ?? []));
  }
  return tree;
}

/** Moves a process and every descendant it has now into a group. */
export function placeProcessTree(layout: CgroupLayout, group: string, rootPid: number): void {
  for (const pid of processTree(rootPid)) {
    try {
      placeProcess(layout, group, pid);
    } catch {
      // it ended meanwhile
    }
  }
}

export function readUsage(layout: CgroupLayout, group: string): ComponentUsage {
  const directories = layout.directories(group);
  if (layout.version === 'v2') {
    const directory = directories.unified as string;
    const cpu = readKeyed(path.join(directory, 'cpu.stat'));
    return {
      cpuUsageNs: (cpu.usage_usec ?? 0) * 1000,
      throttledPeriods: cpu.nr_throttled ?? 0,
      throttledNs: (cpu.throttled_usec ?? 0) * 1000,
      memoryPeakBytes: readNumber(path.join(directory, 'memory.peak')),
      oomKills: readKeyed(path.join(directory, 'memory.events')).oom_kill ?? 0,
    };
  }
  const cpu = readKeyed(path.join(directories.cpu as string, 'cpu.stat'));
  return {
    cpuUsageNs: readNumber(path.join(directories.cpuacct as string, 'cpuacct.usage')),
    throttledPeriods: cpu.nr_throttled ?? 0,
    throttledNs: cpu.throttled_time ?? 0,
    memoryPeakBytes: readNumber(
      path.join(directories.memory as string, 'memory.max_usage_in_bytes'),
    ),
    oomKills:
      readKeyed(path.join(directories.memory as string, 'memory.oom_control')).oom_kill ?? 0,
  };
}

/**
 * Kills whatever is still inside the groups (a component orphaned when its parent was
 * OOM-killed, say), then removes them, children first.
 */
export async function removeGroups(layout: CgroupLayout, groups: readonly string[]): Promise<void> {
  for (const group of groups) {
    for (const directory of Object.values(layout.directories(group))) {
      const procs = path.join(directory, 'cgroup.procs');
      if (!existsSync(procs)) continue;
      for (const pid of readFileSync(procs, 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const group of [...groups].sort((a, b) => b.length - a.length)) {
    for (const directory of Object.values(layout.directories(group))) {
      try {
        rmdirSync(directory);
      } catch {
        // already gone, or a straggler still inside: left for the next run's name
      }
    }
  }
}
