// Goal: the floor benchmark keeps working: each of its three shapes starts, carries the
// fixed-rate postings to a durable PostgreSQL and back without a single failed
// connection, and gets a CPU figure per posting for each of its processes.
// Method: `node dist/scripts/bench-floor.js` for a second or two per shape on this run's
// ports, its output read line by line. The figures themselves are not judged here.
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { testPort } from './support/ports.js';

/** About 25 s here: three shapes of 1 + 2 + 2 s of load each, plus their starts. */
const BENCH_TIMEOUT_MS = 150_000;

it(
  'measures every shape, each posting answered 200 or 422 and none lost',
  async () => {
    const bench = spawn(
      process.execPath,
      [
        'dist/scripts/bench-floor.js',
        ...['--rate', '50', '--seconds', '2', '--warmup-seconds', '1', '--rounds', '1'],
        ...['--postgres-port', String(testPort()), '--ledger-port', String(testPort())],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    for (const stream of [bench.stdout, bench.stderr]) {
      stream.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
    }
    // A bench that hangs is stopped, and fails below; 'close' waits for all of its output.
    const hung = setTimeout(() => bench.kill('SIGKILL'), BENCH_TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve) => bench.once('close', resolve));
    clearTimeout(hung);
    expect(code, output).toBe(0);
    const rows = output.split('\n').filter((line) => /^(plain|card|ours) /.test(line));
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual(['plain', 'card', 'ours']);
    for (const row of rows) {
      const match = /^(\w+)\s+(\d+\.\d{3})\s+(.+?)\s+(\{.*\})$/.exec(row);
      expect(match, row).not.toBeNull();
      const [, shape, total, parts, answers] = match as RegExpExecArray;
      const roles = [...(parts as string).matchAll(/(\w+) (\d+\.\d{3})/g)].map((part) => part[1]);
      expect(roles).toEqual(shape === 'plain' ? ['api'] : ['facade', 'ledger']);
      expect(Number(total)).toBeGreaterThan(0);
      const { statuses, errors } = JSON.parse(answers as string) as {
        statuses: Record<string, number>;
        errors: number;
      };
      // 50 a second for warm-up + measured window + 2 s: 250 postings, each answered.
      expect(errors).toBe(0);
      expect(Object.keys(statuses).every((status) => status === '200' || status === '422')).toBe(
        true,
      );
      expect(Object.values(statuses).reduce((sum, count) => sum + count, 0)).toBe(250);
    }
  },
  BENCH_TIMEOUT_MS + 10_000,
);
