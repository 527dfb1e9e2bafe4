// Writes a run's reports into one directory: report.html, result.json and summary.txt.
// Separate from the run so the budget benchmark can add its own figures first.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderHtmlReport } from './report-html.js';
import { renderJsonReport } from './report-json.js';
import { renderTextSummary } from './report-text.js';
import type { LoadTestResult } from './run-load-test.js';

export interface ReportPaths {
  readonly html: string;
  readonly json: string;
  readonly text: string;
}

export async function writeReports(result: LoadTestResult, outDir: string): Promise<ReportPaths> {
  await mkdir(outDir, { recursive: true });
  const paths = {
    html: path.join(outDir, 'report.html'),
    json: path.join(outDir, 'result.json'),
    text: path.join(outDir, 'summary.txt'),
  };
  await writeFile(paths.html, renderHtmlReport(result));
  await writeFile(paths.json, renderJsonReport(result));
  await writeFile(paths.text, `${renderTextSummary(result)}\n`);
  return paths;
}
