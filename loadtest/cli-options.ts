// Parses the command line of `npm run loadtest` into a frozen options object, with a
// message naming the flag when something is wrong, before anything is sent.
import { parseArgs } from 'node:util';
import { RATE_SCALE_MAX, RATE_SCALE_MIN, TIME_SCALE_MAX, TIME_SCALE_MIN } from './schedule.js';

export interface CliOptions {
  readonly url: string;
  readonly timeScale: number;
  readonly rateScale: number;
  readonly outDir: string;
  readonly skipWait: boolean;
  readonly requestTimeoutMs: number;
  readonly help: boolean;
}

export const USAGE = `Usage: npm run loadtest -- [options]

  --url <url>             target (default http://127.0.0.1:9999)
  --time-scale <n>        multiply the load's durations: 0.25 runs the 4-minute load in 1
                          minute at the same peak rates; the ~5 s of validations stay as
                          they are (default 1; ${TIME_SCALE_MIN} to ${TIME_SCALE_MAX})
  --rate-scale <n>        multiply arrival rates, e.g. 5 for 1,100 debits/s at the peak
                          (default 1; ${RATE_SCALE_MIN} to ${RATE_SCALE_MAX})
  --out <dir>             report directory (default reports/loadtest-<timestamp>)
  --skip-wait             skip the readiness wait (polling the statement for up to 40 s)
  --request-timeout-ms <n> per-request timeout (default 60000, Gatling's)
  -h, --help              this text

Exit status: 0 when every request was OK with no inconsistency, 1 otherwise,
2 for bad options or a target that never became ready.`;

function numberFlag(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`--${name} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

export function parseCliOptions(argv: readonly string[], now = new Date()): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      url: { type: 'string' },
      'time-scale': { type: 'string' },
      'rate-scale': { type: 'string' },
      out: { type: 'string' },
      'skip-wait': { type: 'boolean' },
      'request-timeout-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  const url = values.url ?? 'http://127.0.0.1:9999';
  if (!/^http:\/\/[^/]+/.test(url)) throw new Error(`--url must be an http:// URL, got "${url}"`);
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return Object.freeze({
    url: url.replace(/\/+$/, ''),
    timeScale: numberFlag('time-scale', values['time-scale'], 1, TIME_SCALE_MIN, TIME_SCALE_MAX),
    rateScale: numberFlag('rate-scale', values['rate-scale'], 1, RATE_SCALE_MIN, RATE_SCALE_MAX),
    outDir: values.out ?? `reports/loadtest-${stamp}`,
    skipWait: values['skip-wait'] === true,
    requestTimeoutMs: numberFlag(
      'request-timeout-ms',
      values['request-timeout-ms'],
      60_000,
      1,
      600_000,
    ),
    help: values.help === true,
  });
}
