// Hand-written inline SVG charts for the HTML report: a line chart (linear or log axis)
// and a stacked horizontal bar chart. Pure string building, no dependency and no
// script, so the report opens offline and renders the same in any browser.

export interface LineSeries {
  readonly name: string;
  readonly color: string;
  /** y per x; null leaves a gap. */
  readonly points: ReadonlyArray<readonly [number, number | null]>;
  readonly dashed?: boolean;
  /** Drawn wide and translucent, under the others, so lines sitting on it stay visible. */
  readonly wide?: boolean;
}

export interface LineChartSpec {
  readonly id: string;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  readonly logY?: boolean;
  /** A labelled horizontal line, e.g. the SLA; it widens the y axis to show it. */
  readonly referenceY?: { readonly value: number; readonly label: string };
}

export interface BarSegment {
  readonly label: string;
  readonly value: number;
  readonly color: string;
}

export interface BarRow {
  readonly label: string;
  readonly segments: readonly BarSegment[];
}

const WIDTH_PX = 960;
const HEIGHT_PX = 300;
const MARGIN = { left: 64, right: 16, top: 36, bottom: 40 } as const;
const PLOT_WIDTH_PX = WIDTH_PX - MARGIN.left - MARGIN.right;
const PLOT_HEIGHT_PX = HEIGHT_PX - MARGIN.top - MARGIN.bottom;
const LOG_FLOOR = 0.1;

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/** Round tick values covering [0, max]: steps of 1, 2 or 5 times a power of ten. */
export function linearTicks(max: number, targetCount = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / targetCount;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let index = 0; index * step < max + step; index += 1) {
    ticks.push(Number((index * step).toPrecision(12)));
  }
  return ticks;
}

/** Powers of ten from 0.1 up to the first one at or above max. */
export function logTicks(max: number): number[] {
  const ticks = [LOG_FLOOR];
  while ((ticks[ticks.length - 1] as number) < max) ticks.push((ticks.at(-1) as number) * 10);
  return ticks.length > 1 ? ticks : [LOG_FLOOR, 1];
}

function tickLabel(value: number): string {
  if (value >= 1000) return `${value / 1000}k`;
  return value > 0 && value < 1 ? value.toFixed(1) : String(value);
}

export function lineChart(spec: LineChartSpec): string {
  const xs = spec.series.flatMap((series) => series.points.map(([x]) => x));
  const ys = spec.series.flatMap((series) =>
    series.points.flatMap(([, y]) => (y === null ? [] : [y])),
  );
  const xMax = Math.max(1, ...xs);
  const yMax = Math.max(...ys, 1, spec.referenceY?.value ?? 0);
  const yTicks = spec.logY === true ? logTicks(yMax) : linearTicks(yMax);
  const yTop = yTicks.at(-1) as number;
  const xTicks = linearTicks(xMax, 10).filter((tick) => tick <= xMax);
  const xAt = (x: number): number => MARGIN.left + (x / xMax) * PLOT_WIDTH_PX;
  const yAt = (y: number): number => {
    const fraction =
      spec.logY === true
        ? Math.log10(Math.max(y, LOG_FLOOR) / LOG_FLOOR) / Math.log10(yTop / LOG_FLOOR)
        : y / yTop;
    return MARGIN.top + PLOT_HEIGHT_PX * (1 - fraction);
  };
  const grid = yTicks
    .map((tick) => {
      const y = yAt(tick).toFixed(1);
      return (
        `<line class="grid" x1="${MARGIN.left}" x2="${WIDTH_PX - MARGIN.right}" y1="${y}" y2="${y}"/>` +
        `<text class="tick" x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dy="4">${tickLabel(tick)}</text>`
      );
    })
    .join('');
  const xAxis = xTicks
    .map((tick) => {
      const x = xAt(tick).toFixed(1);
      return `<text class="tick" x="${x}" y="${HEIGHT_PX - MARGIN.bottom + 16}" text-anchor="middle">${tickLabel(tick)}</text>`;
    })
    .join('');
  const lines = spec.series.map((series) => seriesPath(series, xAt, yAt)).join('');
  const reference =
    spec.referenceY === undefined
      ? ''
      : `<line class="reference" x1="${MARGIN.left}" x2="${WIDTH_PX - MARGIN.right}" ` +
        `y1="${yAt(spec.referenceY.value).toFixed(1)}" y2="${yAt(spec.referenceY.value).toFixed(1)}"/>` +
        `<text class="reference-label" x="${WIDTH_PX - MARGIN.right - 4}" ` +
        `y="${(yAt(spec.referenceY.value) - 4).toFixed(1)}" text-anchor="end">` +
        `${escapeXml(spec.referenceY.label)}</text>`;
  const legend = spec.series
    .map((series, index) => {
      const x = MARGIN.left + index * 150;
      return (
        `<rect x="${x}" y="14" width="14" height="4" fill="${series.color}"/>` +
        `<text class="legend" x="${x + 20}" y="20">${escapeXml(series.name)}</text>`
      );
    })
    .join('');
  return (
    `<svg class="chart" data-chart="${escapeXml(spec.id)}" viewBox="0 0 ${WIDTH_PX} ${HEIGHT_PX}" ` +
    `role="img" aria-label="${escapeXml(spec.title)}" xmlns="http://www.w3.org/2000/svg">` +
    `${grid}${xAxis}${legend}${reference}${lines}` +
    `<text class="axis" x="${MARGIN.left + PLOT_WIDTH_PX / 2}" y="${HEIGHT_PX - 6}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>` +
    `<text class="axis" transform="translate(14 ${MARGIN.top + PLOT_HEIGHT_PX / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>` +
    '</svg>'
  );
}

/** One polyline per run of non-null points. */
function seriesPath(
  series: LineSeries,
  xAt: (x: number) => number,
  yAt: (y: number) => number,
): string {
  const runs: string[][] = [[]];
  for (const [x, y] of series.points) {
    if (y === null) {
      if ((runs.at(-1) as string[]).length > 0) runs.push([]);
      continue;
    }
    (runs.at(-1) as string[]).push(`${xAt(x).toFixed(1)},${yAt(y).toFixed(1)}`);
  }
  const dash = series.dashed === true ? ' stroke-dasharray="4 3"' : '';
  const stroke =
    series.wide === true ? 'stroke-width="5" stroke-opacity="0.45"' : 'stroke-width="1.6"';
  return runs
    .filter((run) => run.length > 0)
    .map((run) => {
      const points = run.length === 1 ? [run[0], run[0]] : run;
      return (
        `<polyline class="series" fill="none" stroke="${series.color}" ${stroke}${dash} ` +
        `points="${points.join(' ')}"><title>${escapeXml(series.name)}</title></polyline>`
      );
    })
    .join('');
}

/** Horizontal stacked bars, one row per label, each segment proportional to its row. */
export function stackedBarChart(id: string, title: string, rows: readonly BarRow[]): string {
  const rowHeightPx = 34;
  const labelWidthPx = 110;
  const barWidthPx = WIDTH_PX - labelWidthPx - 24;
  const heightPx = rows.length * rowHeightPx + 16;
  const bars = rows
    .map((row, index) => {
      const y = 8 + index * rowHeightPx;
      const total = row.segments.reduce((sum, segment) => sum + segment.value, 0);
      let x = labelWidthPx;
      const segments = row.segments
        .filter((segment) => segment.value > 0)
        .map((segment) => {
          const width = Math.max(2, (segment.value / total) * barWidthPx);
          const text = `${segment.label}: ${segment.value}`;
          const label =
            width > 70
              ? `<text class="bar-label" x="${(x + 6).toFixed(1)}" y="${y + 17}">${escapeXml(text)}</text>`
              : '';
          const rect =
            `<rect class="bar" x="${x.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="24" ` +
            `fill="${segment.color}"><title>${escapeXml(text)}</title></rect>${label}`;
          x += width;
          return rect;
        })
        .join('');
      return `<text class="tick" x="0" y="${y + 17}">${escapeXml(row.label)}</text>${segments}`;
    })
    .join('');
  return (
    `<svg class="chart" data-chart="${escapeXml(id)}" viewBox="0 0 ${WIDTH_PX} ${heightPx}" ` +
    `role="img" aria-label="${escapeXml(title)}" xmlns="http://www.w3.org/2000/svg">${bars}</svg>`
  );
}
