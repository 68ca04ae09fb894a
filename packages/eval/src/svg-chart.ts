/**
 * A small SVG chart writer for reports: line charts with ± error bands (optionally on a log x
 * axis) and bar charts with error bars and value labels, with axes, ticks, grid lines and a
 * legend. The y axis spans the data (and errors), not 0: differences of a few points stay
 * visible, and a bar chart whose axis does not start at 0 marks the cut with a break on the axis.
 * Output is a standalone `<svg>` string; `svgToPng` turns it into the report's PNG.
 */
import { escapeXml } from './escape';

/** One point of a line series; `error` draws a symmetric band of that half-width around the line. */
export interface ChartPoint {
  x: number;
  y: number;
  error?: number;
}

/** One named line; `color` (any SVG colour) defaults to the palette's colour of its position. */
export interface ChartSeries {
  name: string;
  points: ChartPoint[];
  color?: string;
}

/** One named bar; `error` draws a symmetric error bar of that half-length; `color` as a series'. */
export interface ChartBar {
  name: string;
  value: number;
  error?: number;
  color?: string;
}

/** Options shared by the charts. */
export interface ChartOptions {
  /** Title above the plot. Default none. */
  title?: string;
  /** Default none. */
  xLabel?: string;
  /** Default none. */
  yLabel?: string;
  /** Pixels. Default 640. */
  width?: number;
  /** Pixels. Default 380. */
  height?: number;
}

/** Options of `lineChartSvg`. */
export interface LineChartOptions extends ChartOptions {
  /** Logarithmic x axis (all x must be > 0). Default false. */
  logX?: boolean;
}

/**
 * Colour-blind-safe palettes: Okabe & Ito's eight, then Paul Tol's "muted" eight for larger
 * comparisons; cycled beyond sixteen.
 */
const PALETTE = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#000000',
  '#F0E442',
  '#332288',
  '#117733',
  '#44AA99',
  '#88CCEE',
  '#DDCC77',
  '#CC6677',
  '#AA4499',
  '#882255',
];
/**
 * The font family the charts name; the only one the rasterizer (`svg-png.ts`, Node) loads.
 * Defined here so drawing a chart, which runs anywhere, does not import the rasterizer.
 */
export const CHART_FONT_FAMILY = 'DejaVu Sans';

const FONT = `font-family="'${CHART_FONT_FAMILY}', sans-serif" fill="#333"`;
/** Width of DejaVu Sans text, a little generous (its lowercase averages about 0.5 em), to make room for labels. */
const textWidth = (content: string, size = 12) => 0.55 * size * content.length;

/** The palette's i-th colour: the default of the i-th series or bar, and a stable colour per name by its index. */
export function paletteColor(index: number): string {
  return PALETTE[index % PALETTE.length];
}

/** Round tick values covering [low, high]: steps of 1, 2 or 5 × 10^k, about `count` of them. */
export function niceTicks(low: number, high: number, count = 5): number[] {
  if (!(high > low)) return [low];
  const rough = (high - low) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let v = Math.floor(low / step) * step; v <= high + step * 1e-9; v += step)
    ticks.push(roundTo(v, step));
  if (ticks[ticks.length - 1] < high) ticks.push(roundTo(ticks[ticks.length - 1] + step, step));
  return ticks;
}

/** `value` without the floating-point noise finer than `step` (0.30000000000000004 → 0.3). */
function roundTo(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(decimals));
}

/** Plot area and the axis machinery shared by both chart kinds. */
interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  /** Data y → pixel y. */
  y: (value: number) => number;
  yTicks: number[];
}

/** The y-axis ticks' range: the data's, padded by 5% each side and rounded out to ticks. */
function yRange(yLow: number, yHigh: number): number[] {
  const pad = yHigh > yLow ? 0.05 * (yHigh - yLow) : Math.max(1, Math.abs(yHigh) * 0.05);
  return niceTicks(yLow - pad, yHigh + pad);
}

/** Pixels beside the plot area: tick labels and the y label on the left, breathing room on the right. */
const MARGIN = { left: 64, right: 16 };

/** Extra pixels a chart keeps free around the plot area for its labels. Each defaults to 0. */
interface FrameSpace {
  right?: number;
  top?: number;
  bottom?: number;
}

function makeFrame(options: ChartOptions, yLow: number, yHigh: number, space: FrameSpace): Frame {
  const width = options.width ?? 640;
  const height = options.height ?? 380;
  const left = MARGIN.left;
  const right = width - MARGIN.right - (space.right ?? 0);
  const top = (options.title ? 36 : 16) + (space.top ?? 0);
  const bottom = height - 48 - (space.bottom ?? 0);
  const yTicks = yRange(yLow, yHigh);
  const [lowTick, highTick] = [yTicks[0], yTicks[yTicks.length - 1]];
  const y = (value: number) => bottom - ((value - lowTick) / (highTick - lowTick || 1)) * (bottom - top);
  return { width, height, left, right, top, bottom, y, yTicks };
}

/**
 * The svg element around `body`, with title, y grid and ticks, axis lines and axis labels;
 * `overlay` is drawn over the axes.
 */
function frameSvg(frame: Frame, options: ChartOptions, body: string[], overlay: string[] = []): string {
  const { width, height, left, right, top, bottom } = frame;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
  ];
  if (options.title) parts.push(text(width / 2, 22, options.title, 'middle', 'font-weight="bold"', 14));
  for (const tick of frame.yTicks) {
    const y = px(frame.y(tick));
    parts.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(text(left - 6, y + 4, formatNumber(tick), 'end'));
  }
  parts.push(...body);
  parts.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333"/>`);
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#333"/>`);
  parts.push(...overlay);
  if (options.xLabel) parts.push(text((left + right) / 2, height - 10, options.xLabel, 'middle'));
  if (options.yLabel) {
    const cy = (top + bottom) / 2;
    parts.push(text(16, cy, options.yLabel, 'middle', `transform="rotate(-90 16 ${px(cy)})"`));
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * A line chart of `series`, one colour each, with a translucent ± `error` band around each line
 * (bands stay readable where methods overlap, unlike error bars at the same x) and a legend on
 * the right.
 */
export function lineChartSvg(series: readonly ChartSeries[], options: LineChartOptions = {}): string {
  const points = series.flatMap((s) => s.points);
  const logX = options.logX ?? false;
  const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
  const legendWidth = 26 + Math.max(0, ...series.map((s) => textWidth(s.name))) + 16;
  const frame = makeFrame(
    options,
    Math.min(...points.map((p) => p.y - (p.error ?? 0))),
    Math.max(...points.map((p) => p.y + (p.error ?? 0))),
    { right: legendWidth },
  );
  const toAxis = (x: number) => (logX ? Math.log10(x) : x);
  const [xMin, xMax] = [toAxis(xs[0]), toAxis(xs[xs.length - 1])];
  // Inset the x range so end points do not sit on the axes.
  const inset = 24;
  const x = (value: number) =>
    xMax > xMin
      ? frame.left + inset + ((toAxis(value) - xMin) / (xMax - xMin)) * (frame.right - frame.left - 2 * inset)
      : (frame.left + frame.right) / 2;
  const at = (value: number, y: number) => `${px(x(value))},${px(frame.y(y))}`;
  const body: string[] = [];
  for (const tick of xs) {
    body.push(
      `<line x1="${px(x(tick))}" y1="${frame.bottom}" x2="${px(x(tick))}" y2="${frame.bottom + 5}" stroke="#333"/>`,
    );
    body.push(text(x(tick), frame.bottom + 18, formatNumber(tick), 'middle'));
  }
  series.forEach((s, i) => {
    const color = s.color ?? paletteColor(i);
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    if (sorted.some((p) => p.error)) {
      const upper = sorted.map((p) => at(p.x, p.y + (p.error ?? 0)));
      const lower = sorted.map((p) => at(p.x, p.y - (p.error ?? 0))).reverse();
      body.push(
        `<polygon points="${[...upper, ...lower].join(' ')}" fill="${color}" fill-opacity="0.15" stroke="none"/>`,
      );
    }
    body.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${sorted.map((p) => at(p.x, p.y)).join(' ')}"/>`,
    );
    for (const p of sorted)
      body.push(`<circle cx="${px(x(p.x))}" cy="${px(frame.y(p.y))}" r="3.5" fill="${color}"/>`);
    const ly = frame.top + 8 + 20 * i;
    body.push(
      `<line x1="${frame.right + 16}" y1="${ly}" x2="${frame.right + 36}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
    );
    body.push(text(frame.right + 42, ly + 4, s.name, 'start'));
  });
  return frameSvg(frame, options, body);
}

/**
 * A bar chart, one colour per bar, with error bars and each bar's value (± error) above it;
 * names under the bars, slanted when they would not fit side by side. The y axis spans the
 * values and errors; bars rise from 0 where the axis holds it, else from the axis' end nearest
 * to 0, which then carries a break mark (two slanted strokes): the bars' lengths are not
 * proportional to their values, their value labels say what they are.
 */
export function barChartSvg(bars: readonly ChartBar[], options: ChartOptions = {}): string {
  const plotWidth = (options.width ?? 640) - MARGIN.left - MARGIN.right;
  const longestName = Math.max(...bars.map((b) => textWidth(b.name)));
  const slantNames = longestName > plotWidth / bars.length - 8;
  // A name slanted by 30° reaches half its length below its baseline; the bottom margin already
  // holds 26 px of that, less the x label's line.
  const nameDepth = slantNames ? Math.max(0, longestName / 2 - 26 + (options.xLabel ? 24 : 0)) : 0;
  const frame = makeFrame(
    options,
    Math.min(...bars.map((b) => b.value - (b.error ?? 0))),
    Math.max(...bars.map((b) => b.value + (b.error ?? 0))),
    // Room above the tallest bar for its value label, and below the axis for slanted names.
    { top: 14, bottom: Math.min(nameDepth, (options.height ?? 380) / 3) },
  );
  const [lowTick, highTick] = [frame.yTicks[0], frame.yTicks[frame.yTicks.length - 1]];
  const base = Math.min(Math.max(0, lowTick), highTick);
  const slot = (frame.right - frame.left) / bars.length;
  // Every label with the same decimals: three significant digits of the largest value.
  const largest = Math.max(...bars.map((b) => Math.abs(b.value)));
  const decimals = largest > 0 ? Math.min(6, Math.max(0, 2 - Math.floor(Math.log10(largest)))) : 0;
  const body = bars.flatMap((bar, i) => {
    const color = bar.color ?? paletteColor(i);
    const center = frame.left + slot * (i + 0.5);
    const barWidth = Math.min(80, slot * 0.6);
    const [y0, y1] = [frame.y(base), frame.y(bar.value)];
    const nameY = frame.bottom + 18;
    const parts = [
      `<rect x="${px(center - barWidth / 2)}" y="${px(Math.min(y0, y1))}" width="${px(barWidth)}" height="${px(Math.abs(y1 - y0))}" fill="${color}"/>`,
      slantNames
        ? text(center + 4, nameY, bar.name, 'end', `transform="rotate(-30 ${px(center + 4)} ${px(nameY)})"`)
        : text(center, nameY, bar.name, 'middle'),
    ];
    if (bar.error)
      parts.push(errorBar(center, frame.y(bar.value - bar.error), frame.y(bar.value + bar.error), '#333'));
    const label = bar.value.toFixed(decimals) + (bar.error ? ` ± ${bar.error.toFixed(decimals)}` : '');
    parts.push(
      text(center, frame.y(Math.max(base, bar.value + (bar.error ?? 0))) - 6, label, 'middle', '', 11),
    );
    return parts;
  });
  return frameSvg(frame, options, body, base === 0 ? [] : [axisBreak(frame.left, frame.y(base))]);
}

/** The break mark on the y axis at pixel height `y`: a gap bridged by two slanted strokes. */
function axisBreak(x: number, y: number): string {
  const [l, r] = [px(x - 6), px(x + 6)];
  const [a, b] = [px(y - 10), px(y - 4)];
  return (
    `<rect class="axis-break" x="${l}" y="${px(y - 12)}" width="12" height="10" fill="#fff"/>` +
    `<path class="axis-break" d="M${l} ${px(y - 8)}L${r} ${a}M${l} ${px(y - 2)}L${r} ${b}" stroke="#333" stroke-width="1.2" fill="none"/>`
  );
}

function errorBar(x: number, yLow: number, yHigh: number, color: string): string {
  const [cx, a, b] = [px(x), px(yLow), px(yHigh)];
  return `<path d="M${cx} ${a}V${b}M${px(x - 4)} ${a}H${px(x + 4)}M${px(x - 4)} ${b}H${px(x + 4)}" stroke="${color}" stroke-width="1.5" fill="none"/>`;
}

function text(
  x: number,
  y: number,
  content: string,
  anchor: 'start' | 'middle' | 'end',
  extra = '',
  size = 12,
): string {
  return `<text x="${px(x)}" y="${px(y)}" text-anchor="${anchor}" font-size="${size}" ${FONT}${extra ? ` ${extra}` : ''}>${escapeXml(content)}</text>`;
}

/** Pixel coordinates to 0.1 px keep the SVG short. */
function px(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Tick label: at most 4 significant digits, no float noise, no trailing zeros. */
function formatNumber(value: number): string {
  return String(Number(value.toPrecision(4)));
}

/** One colour per method, by its position in the row order (the config's): the same in every chart. */
export function methodColors(methods: readonly string[]): Map<string, string> {
  return new Map(methods.map((method, i) => [method, paletteColor(i)]));
}
