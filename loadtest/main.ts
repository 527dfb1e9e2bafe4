// `npm run loadtest`: parses the flags, runs the load test with a progress line on
// stderr, prints the summary, writes the reports and exits 1 on any KO or
// inconsistency so it can gate a pipeline (2 for bad flags or a target never ready).
import { parseCliOptions, USAGE } from './cli-options.js';
import { renderTextSummary } from './report-text.js';
import { runLoadTest } from './run-load-test.js';
import { writeReports } from './write-reports.js';

async function main(): Promise<number> {
  let options: ReturnType<typeof parseCliOptions>;
  try {
    options = parseCliOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let result: Awaited<ReturnType<typeof runLoadTest>>;
  try {
    result = await runLoadTest({
      url: options.url,
      timeScale: options.timeScale,
      rateScale: options.rateScale,
      skipWait: options.skipWait,
      requestTimeoutMs: options.requestTimeoutMs,
      progress: process.stderr,
    });
  } catch (error) {
    process.stderr.write(`load test not run: ${(error as Error).message}\n`);
    return 2;
  }
  process.stdout.write(`${renderTextSummary(result)}\n`);
  const paths = await writeReports(result, options.outDir);
  process.stdout.write(`Reports: ${paths.html}\n         ${paths.json}\n`);
  return result.passed ? 0 : 1;
}

process.exitCode = await main();
