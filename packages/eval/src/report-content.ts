/**
 * What a report shows, independent of its format: the tables (already formatted as text cells),
 * the accuracy plot and the images. The Markdown and HTML renderers both draw from this one model.
 */
import type { AggregateRow } from './aggregate';
import { type ReportProvenance, provenanceRows } from './provenance';
import { barChartSvg, lineChartSvg, methodColors } from './svg-chart';
import { svgToPng } from './svg-png';

/** A table of text cells; the first column holds names, the others numbers. */
export interface ReportTable {
  title: string;
  /** One sentence on how to read the numbers. */
  caption: string;
  header: string[];
  rows: string[][];
}

/** A PNG image shown in the report. */
export interface ReportImageData {
  title: string;
  /** Path relative to the report folder, for the Markdown link. */
  relativePath: string;
  png: Uint8Array;
  /** Pixels. */
  width: number;
  height: number;
}

/** Everything both report formats render. */
export interface ReportContent {
  title: string;
  notes?: string;
  tables: ReportTable[];
  /** The accuracy plot, drawn at `PLOT_SCALE` pixels per CSS pixel; its path is the file name beside the report. */
  plot: ReportImageData;
  images: ReportImageData[];
}

/** The file name of the accuracy plot beside the report. */
export const PLOT_FILE = 'accuracy.png';

/** The plot's PNG has this many pixels per CSS pixel, so it stays sharp on high-density screens. */
export const PLOT_SCALE = 2;

/** Accuracy in percent with two decimals. */
function percent(value: number): string {
  return (100 * value).toFixed(2);
}

/** Half the width of a row's confidence interval (NaN for one seed): what charts and tables show as ±. */
function halfWidth(row: AggregateRow): number {
  return (row.accuracy.high - row.accuracy.low) / 2;
}

function meanWithInterval(row: AggregateRow): string {
  const half = halfWidth(row);
  return Number.isNaN(half) ? percent(row.accuracy.mean) : `${percent(row.accuracy.mean)} ± ${percent(half)}`;
}

function improvementCell(row: AggregateRow, baseline: string): string {
  if (row.method === baseline) return 'baseline';
  if (row.improvement === undefined) return '—';
  return `${row.improvement >= 0 ? '+' : ''}${row.improvement.toFixed(2)}%`;
}

function pValueCell(p: number | undefined): string {
  if (p === undefined) return '—';
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(2)} h`;
}

/** The families of Holm's correction, e.g. "n = 500: 6 comparisons; n = 1000: 6 comparisons". */
function familySizes(rows: readonly AggregateRow[], sizes: readonly number[]): string {
  return sizes
    .map((size) => [size, rows.filter((r) => r.trainSize === size && r.holmP !== undefined).length])
    .filter(([, count]) => count > 0)
    .map(([size, count]) => `n = ${size}: ${count} comparison${count === 1 ? '' : 's'}`)
    .join('; ');
}

/** Methods in row order and training sizes ascending. */
function axes(rows: readonly AggregateRow[]): { methods: string[]; sizes: number[] } {
  return {
    methods: [...new Set(rows.map((r) => r.method))],
    sizes: [...new Set(rows.map((r) => r.trainSize))].sort((a, b) => a - b),
  };
}

/** The summary table (method × training-set size) and the per-row details table. */
export function reportTables(
  rows: readonly AggregateRow[],
  baseline: string,
  metric = 'accuracy',
): ReportTable[] {
  const { methods, sizes } = axes(rows);
  const cell = (method: string, size: number) =>
    rows.find((r) => r.method === method && r.trainSize === size);
  return [
    {
      title: `Test ${metric} (%)`,
      caption:
        "Mean ± half-width of the 95% Student's t interval of the mean over seeds (n − 1 degrees of freedom), per method and number of training images; one seed shows the mean alone.",
      header: ['method', ...sizes.map((size) => `n = ${size}`)],
      rows: methods.map((method) => [
        method,
        ...sizes.map((size) => {
          const row = cell(method, size);
          return row ? meanWithInterval(row) : '—';
        }),
      ]),
    },
    {
      title: 'Details',
      caption:
        `std: sample standard deviation over seeds. 95% CI: Student's t interval of the mean (n − 1 degrees of freedom). vs ${baseline}: relative improvement of the mean, ` +
        `(acc − base) / base. p: two-sided paired t-test over the seeds shared with the baseline, uncorrected. p (Holm): the same p-value adjusted by Holm's step-down method over its family — every method's paired test against ${baseline} at the same number of training images (${familySizes(rows, sizes) || 'none'}); read significance from this column. ` +
        'Time: mean training time per run (its epochs over every sitting; start-up and the final evaluation not counted). CPU: the same span in CPU time of all threads, unaffected by other load (— for runs that did not record it).',
      header: [
        'method',
        'train size',
        'seeds',
        `${metric} (%)`,
        'std (%)',
        '95% CI (%)',
        `vs ${baseline}`,
        'p (paired)',
        'p (Holm)',
        'time / run',
        'CPU / run',
      ],
      rows: rows.map((row) => [
        row.method,
        String(row.trainSize),
        String(row.accuracy.n),
        percent(row.accuracy.mean),
        Number.isNaN(row.accuracy.std) ? '—' : percent(row.accuracy.std),
        Number.isNaN(row.accuracy.low)
          ? '—'
          : `[${percent(row.accuracy.low)}, ${percent(row.accuracy.high)}]`,
        improvementCell(row, baseline),
        pValueCell(row.pairedTest?.p),
        pValueCell(row.holmP),
        formatSeconds(row.meanSeconds),
        row.meanCpuSeconds === undefined ? '—' : formatSeconds(row.meanCpuSeconds),
      ]),
    },
  ];
}

/** The provenance table: where the numbers come from. */
export function provenanceTable(provenance: ReportProvenance): ReportTable {
  return {
    title: 'Provenance',
    caption: 'The code, config, date and machine behind these numbers.',
    header: ['field', 'value'],
    rows: provenanceRows(provenance),
  };
}

/**
 * Accuracy (%) against training-set size, one line per method with a band of its 95% t
 * interval (log x axis when the sizes span a factor of 10 or more); a bar chart of the methods
 * when there is one size. Each method keeps its colour from `methodColors`.
 */
function accuracyPlotSvg(rows: readonly AggregateRow[], metric: string): string {
  const { methods, sizes } = axes(rows);
  const colors = methodColors(methods);
  const error = (row: AggregateRow) => (Number.isNaN(halfWidth(row)) ? undefined : 100 * halfWidth(row));
  const yLabel = `test ${metric} (%)`;
  if (sizes.length === 1) {
    const bars = rows.map((row) => ({
      name: row.method,
      value: 100 * row.accuracy.mean,
      error: error(row),
      color: colors.get(row.method),
    }));
    return barChartSvg(bars, { title: `Test ${metric} with ${sizes[0]} training images (95% CI)`, yLabel });
  }
  const series = methods.map((method) => ({
    name: method,
    color: colors.get(method),
    points: rows
      .filter((r) => r.method === method)
      .map((row) => ({ x: row.trainSize, y: 100 * row.accuracy.mean, error: error(row) })),
  }));
  return lineChartSvg(series, {
    title: `Test ${metric} vs training-set size (95% CI)`,
    xLabel: 'training images',
    yLabel,
    logX: sizes[0] > 0 && sizes[sizes.length - 1] / sizes[0] >= 10,
  });
}

/** The accuracy plot of `rows` as a PNG (`accuracyPlotSvg`, rasterized at `PLOT_SCALE`). */
export function accuracyPlot(rows: readonly AggregateRow[], metric = 'accuracy'): ReportImageData {
  return {
    title: `Test ${metric}`,
    relativePath: PLOT_FILE,
    ...svgToPng(accuracyPlotSvg(rows, metric), { scale: PLOT_SCALE }),
  };
}
