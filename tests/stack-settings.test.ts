// Goal: the native stack runs PostgreSQL with the settings and the budget that
// production does, so what the budget benchmark measures is what compose deploys.
// Method: parse docker-compose.yml and docker-compose.rinha.yml and compare their -c
// flags with stack/postgres-settings.ts, and their limits with what the benchmark reads.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseMemoryBytes, readComposeBudget } from '../stack/budget.js';
import { DURABLE_SETTINGS, RINHA_SETTINGS } from '../stack/postgres-settings.js';

function postgresFlags(file: string): Record<string, string> {
  const compose = parse(readFileSync(file, 'utf8')) as {
    services: { postgres: { command: string[] } };
  };
  const flags: Record<string, string> = {};
  const command = compose.services.postgres.command;
  command.forEach((part, index) => {
    if (part !== '-c') return;
    const [name, value] = (command[index + 1] ?? '').split('=');
    if (name !== undefined && value !== undefined) flags[name] = value;
  });
  return flags;
}

describe('native PostgreSQL settings', () => {
  it('are the durable settings of docker-compose.yml', () => {
    expect(DURABLE_SETTINGS).toEqual(postgresFlags('docker-compose.yml'));
  });

  it('in Rinha mode differ only by synchronous_commit=off, like docker-compose.rinha.yml', () => {
    expect(RINHA_SETTINGS).toEqual({ ...DURABLE_SETTINGS, synchronous_commit: 'off' });
    const override = parse(readFileSync('docker-compose.rinha.yml', 'utf8')) as {
      services: { postgres: { command: string[] } };
    };
    expect(override.services.postgres.command.join(' ')).toContain('synchronous_commit=off');
  });
});

describe('the budget the benchmark reads', () => {
  it('maps every compose service to a native component, within 1.5 CPU and 550MB', () => {
    const budget = readComposeBudget('docker-compose.yml');
    expect(Object.keys(budget).sort()).toEqual([
      'balancer',
      'facade-1',
      'facade-2',
      'ledger',
      'postgres',
    ]);
    const cpus = Object.values(budget).reduce((sum, limits) => sum + limits.cpus, 0);
    const memoryBytes = Object.values(budget).reduce((sum, limits) => sum + limits.memoryBytes, 0);
    expect(cpus).toBeCloseTo(1.5, 6);
    expect(memoryBytes).toBeLessThanOrEqual(550 * 1024 * 1024);
  });

  it("reads memory in Docker's binary units", () => {
    expect(parseMemoryBytes('550MB')).toBe(550 * 1024 * 1024);
    expect(parseMemoryBytes('1g')).toBe(1024 ** 3);
    expect(parseMemoryBytes('512')).toBe(512);
    expect(() => parseMemoryBytes('lots')).toThrow(/unreadable/);
  });
});
