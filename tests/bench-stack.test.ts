// Goal: the budget benchmark really runs the stack under the compose budget: every
// component in its own cgroup, its CPU counted, the load test's report written, and
// nothing left behind (no group, no process). Without cgroups it says so plainly.
// Method: `node dist/scripts/bench-stack.js` for a few seconds of the official scenario
// (time scale 0.01) on this run's ports; then its components.json and /sys/fs/cgroup.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { detectCgroups } from '../stack/cgroups.js';
import { testPort } from './support/ports.js';

const outDir = mkdtempSync(path.join(tmpdir(), 'bench-test-'));

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

interface ComponentsFile {
  cgroups: string;
  components: Array<{
    component: string;
    usage: { cpuUsageNs: number; memoryPeakBytes: number; oomKills: number };
  }>;
}

it('runs the stack under the budget, reports every component and cleans up', async () => {
  const bench = spawn(
    process.execPath,
    [
      'dist/scripts/bench-stack.js',
      '--time-scale',
      '0.01',
      '--port',
      String(testPort()),
      '--out',
      outDir,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let stdout = '';
  bench.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => bench.once('exit', resolve));
  // The contest's verdict is the benchmark's finding, not this test's: under the budget,
  // on cores shared with other test files, the run can miss the 250 ms SLA (exit 1; seen
  // once in CI at 45% under 250 ms, with 14 shed requests). Any other exit is a failure,
  // and so is an inconsistent balance.
  expect([0, 1], stdout).toContain(code);
  expect(stdout).toMatch(/^Result: (PASS|FAIL)$/m);
  expect(stdout).toContain('Inconsistent balances: 0');
  expect(existsSync(path.join(outDir, 'report.html'))).toBe(true);
  const report = JSON.parse(
    readFileSync(path.join(outDir, 'components.json'), 'utf8'),
  ) as ComponentsFile;
  const layout = detectCgroups();
  if ('unavailable' in layout) {
    expect(report.cgroups).toBe('unavailable');
    return;
  }
  expect(report.cgroups).toBe(layout.version);
  expect(report.components.map((each) => each.component).sort()).toEqual([
    'balancer',
    'facade-1',
    'facade-2',
    'ledger',
    'postgres',
  ]);
  for (const each of report.components) {
    expect(each.usage.cpuUsageNs, each.component).toBeGreaterThan(0);
    expect(each.usage.memoryPeakBytes, each.component).toBeGreaterThan(0);
    expect(each.usage.oomKills, each.component).toBe(0);
  }
  // No group of this run is left behind.
  const groupsDir = Object.values(layout.directories(''))[0] as string;
  expect(readdirSync(groupsDir)).not.toContain(`crebitos-bench-${bench.pid}`);
}, 150_000);
