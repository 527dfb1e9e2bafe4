// Samples the resident memory of a set of processes from /proc while a test runs,
// keeping the peak of each, so a test can assert that memory stays bounded; and reads
// the kernel's count of connections its full listen queues dropped.
import { readFileSync } from 'node:fs';

export interface MemorySampler {
  /** Peak resident set size of each named process, in MiB. */
  peaksMib(): Record<string, number>;
  stop(): void;
}

const SAMPLE_INTERVAL_MS = 100;

export function residentMib(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0; // the process is gone
  }
}

export function sampleMemory(pids: Readonly<Record<string, number>>): MemorySampler {
  const peaks: Record<string, number> = {};
  const sample = () => {
    for (const [name, pid] of Object.entries(pids)) {
      peaks[name] = Math.max(peaks[name] ?? 0, residentMib(pid));
    }
  };
  sample();
  const timer = setInterval(sample, SAMPLE_INTERVAL_MS);
  return {
    peaksMib: () => ({ ...peaks }),
    stop: () => clearInterval(timer),
  };
}

/**
 * The kernel's count of connections dropped because a listen queue was full
 * (TcpExt ListenDrops, machine-wide): how often the accept backlog shed load.
 */
export function listenDropCount(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const header = lines.findIndex((line) => line.startsWith('TcpExt:'));
    const names = lines[header]?.split(/\s+/) ?? [];
    const values = lines[header + 1]?.split(/\s+/) ?? [];
    return Number(values[names.indexOf('ListenDrops')] ?? 0);
  } catch {
    return 0;
  }
}
