// Goal: the HTML report of a real run renders in a real browser, offline, with its charts
// drawn and no console error. Method: run a short load test against the reference
// server (once correct, once with stale statements, so the KO tables show), write the
// reports, open report.html from disk in Debian's headless Chromium through
// playwright-core, and inspect the drawn SVG. A screenshot lands in reports/ for people
// to look at. Skipped only when /usr/bin/chromium is absent (.ci/run installs it).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadTestResult, runLoadTest } from '../loadtest/run-load-test.js';
import { writeReports } from '../loadtest/write-reports.js';
import { type ServerFaults, startReferenceServer } from './support/crebitos-reference-server.js';
import { testPort } from './support/ports.js';

const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

async function shortRun(faults: ServerFaults): Promise<LoadTestResult> {
  const server = await startReferenceServer(testPort(), faults);
  try {
    return await runLoadTest({ url: server.url, timeScale: 0.01, progress: null });
  } finally {
    await server.close();
  }
}

interface DrawnChart {
  readonly id: string;
  readonly widthPx: number;
  readonly heightPx: number;
  readonly lines: number;
  readonly points: number;
  readonly bars: number;
}

describe.skipIf(!existsSync(CHROMIUM_PATH))('HTML report in headless Chromium', () => {
  let workDir: string;
  let browser: BrowserContext;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'loadtest-report-'));
    browser = await chromium.launchPersistentContext(path.join(workDir, 'profile'), {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      offline: true,
      viewport: { width: 1100, height: 900 },
    });
  });

  afterAll(async () => {
    await browser?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  async function render(result: LoadTestResult, name: string) {
    const paths = await writeReports(result, path.join(workDir, name));
    const html = await readFile(paths.html, 'utf8');
    expect(html).not.toMatch(/<script|<link|https?:\/\/(?!127\.0\.0\.1|www\.w3\.org)/);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(pathToFileURL(paths.html).href);
    const charts: DrawnChart[] = await page.$$eval('svg.chart', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        const lines = [...svg.querySelectorAll('polyline')];
        return {
          id: svg.getAttribute('data-chart') ?? '',
          widthPx: box.width,
          heightPx: box.height,
          lines: lines.length,
          points: lines.reduce((sum, line) => sum + line.points.numberOfItems, 0),
          bars: svg.querySelectorAll('rect.bar').length,
        };
      }),
    );
    const summaryRows = await page.$$eval('#summary tbody tr', (rows) => rows.length);
    const screenshot = path.join('reports', `loadtest-report-${name}.png`);
    await page.screenshot({ path: screenshot, fullPage: true });
    await page.close();
    return { charts, summaryRows, errors };
  }

  it('draws the charts of a clean run without console errors', async () => {
    const result = await shortRun({});
    expect(result.passed).toBe(true);
    const { charts, summaryRows, errors } = await render(result, 'clean');
    expect(errors).toEqual([]);
    expect(summaryRows).toBe(5);
    expect(charts.map((chart) => chart.id)).toEqual(['latency', 'throughput', 'status']);
    for (const chart of charts) {
      expect(chart.widthPx).toBeGreaterThan(500);
      expect(chart.heightPx).toBeGreaterThan(50);
    }
    const [latency, throughput, status] = charts as [DrawnChart, DrawnChart, DrawnChart];
    expect(latency.lines).toBeGreaterThanOrEqual(4);
    expect(latency.points).toBeGreaterThan(4 * 3);
    expect(throughput.lines).toBeGreaterThanOrEqual(3);
    expect(status.bars).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it('shows the KO reasons of a failing run', async () => {
    const result = await shortRun({ staleStatements: true });
    expect(result.passed).toBe(false);
    const { errors, charts } = await render(result, 'stale');
    expect(errors).toEqual([]);
    expect(charts).toHaveLength(3);
    const html = await readFile(path.join(workDir, 'stale', 'report.html'), 'utf8');
    expect(html).toContain('ultimas_transacoes[0] is not &quot;danada&quot;');
    expect(html).toContain('FAIL');
  }, 60_000);
});
