// The contest budget, read from docker-compose.yml's deploy.resources.limits: the one
// source of truth for how much CPU and memory each component may use, whether it runs
// in containers or natively under cgroups (scripts/bench-stack.ts).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { ComponentLimits } from './cgroups.js';

/** Compose service name → the native stack's component doing the same job. */
export const SERVICE_COMPONENTS: Readonly<Record<string, string>> = {
  postgres: 'postgres',
  ledger: 'ledger',
  facade1: 'facade-1',
  facade2: 'facade-2',
  envoy: 'balancer',
};

const MEMORY_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
};

/** Docker's memory notation: binary multiples, "550MB" is 550 MiB. */
export function parseMemoryBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = MEMORY_UNITS[(match?.[2] ?? '').toLowerCase() || 'b'];
  if (match === null || unit === undefined) throw new Error(`unreadable memory limit: ${text}`);
  return Math.round(Number(match[1]) * unit);
}

interface ComposeFile {
  services?: Record<
    string,
    { deploy?: { resources?: { limits?: { cpus?: string | number; memory?: string } } } }
  >;
}

export function readComposeBudget(composeFile: string): Record<string, ComponentLimits> {
  const compose = parse(readFileSync(composeFile, 'utf8')) as ComposeFile;
  const budget: Record<string, ComponentLimits> = {};
  for (const [service, definition] of Object.entries(compose.services ?? {})) {
    const limits = definition.deploy?.resources?.limits;
    const component = SERVICE_COMPONENTS[service];
    if (component === undefined || limits?.cpus === undefined || limits.memory === undefined)
      continue;
    budget[component] = { cpus: Number(limits.cpus), memoryBytes: parseMemoryBytes(limits.memory) };
  }
  return budget;
}
