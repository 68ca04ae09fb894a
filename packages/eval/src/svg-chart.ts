/**
 * A small SVG chart writer for reports: line charts with error bars (optionally on a log x axis)
 * and bar charts, with axes, ticks, grid lines and a legend. Output is a standalone `<svg>`
 * string that can be embedded inline in HTML or saved as a `.svg` file.
 */
import { escapeXml } from './escape';

/** One point of a line series; `error` draws a symmetric error bar of that half-length. */
export interface ChartPoint {
  x: number;
  y: number;
  error?: number;
}

/** One named line. */
export interface ChartSeries {
  name: string;
  points: ChartPoint[];
}

/** One named bar; `error` draws a symmetric error bar of that half-length. */
export interface ChartBar {
  name: string;
  value: number;
  error?: number;
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

/** Colour-blind-safe palette (Okabe & Ito), cycled over series. */
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
const FONT = 'font-family="system-ui, sans-serif" fill="#333"';

/** The colour of the i-th series or bar. */
function seriesColor(index: number): string {
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

function makeFrame(options: ChartOptions, yLow: number, yHigh: number, legendWidth: number): Frame {
  const width = options.width ?? 640;
  const height = options.height ?? 380;
  const left = 64;
  const right = width - 16 - legendWidth;
  const top = options.title ? 36 : 16;
  const bottom = height - 48;
  const pad = yHigh > yLow ? 0.05 * (yHigh - yLow) : Math.max(1, Math.abs(yHigh) * 0.05);
  // A range ending at 0 (bars) keeps 0 as its end instead of padding past it.
  const yTicks = niceTicks(yLow === 0 ? 0 : yLow - pad, yHigh === 0 ? 0 : yHigh + pad);
  const [lowTick, highTick] = [yTicks[0], yTicks[yTicks.length - 1]];
  const y = (value: number) => bottom - ((value - lowTick) / (highTick - lowTick || 1)) * (bottom - top);
  return { width, height, left, right, top, bottom, y, yTicks };
}

/** The svg element around `body`, with title, y grid and ticks, axis lines and axis labels. */
function frameSvg(frame: Frame, options: ChartOptions, body: string[]): string {
  const { width, height, left, right, top, bottom } = frame;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
  ];
  if (options.title)
    parts.push(text((left + right) / 2, 22, options.title, 'middle', 'font-weight="600"', 14));
  for (const tick of frame.yTicks) {
    const y = px(frame.y(tick));
    parts.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(text(left - 6, y + 4, formatNumber(tick), 'end'));
  }
  parts.push(...body);
  parts.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333"/>`);
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#333"/>`);
  if (options.xLabel) parts.push(text((left + right) / 2, height - 10, options.xLabel, 'middle'));
  if (options.yLabel) {
    const cy = (top + bottom) / 2;
    parts.push(text(16, cy, options.yLabel, 'middle', `transform="rotate(-90 16 ${px(cy)})"`));
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** A line chart of `series`, one colour each, with error bars and a legend on the right. */
export function lineChartSvg(series: readonly ChartSeries[], options: LineChartOptions = {}): string {
  const points = series.flatMap((s) => s.points);
  const logX = options.logX ?? false;
  const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
  const legendWidth = 24 + 7 * Math.max(0, ...series.map((s) => s.name.length)) + 16;
  const frame = makeFrame(
    options,
    Math.min(...points.map((p) => p.y - (p.error ?? 0))),
    Math.max(...points.map((p) => p.y + (p.error ?? 0))),
    legendWidth,
  );
  const toAxis = (x: number) => (logX ? Math.log10(x) : x);
  const [xMin, xMax] = [toAxis(xs[0]), toAxis(xs[xs.length - 1])];
  // Inset the x range so end points and their error bars do not sit on the axes.
  const inset = 24;
  const x = (value: number) =>
    xMax > xMin
      ? frame.left + inset + ((toAxis(value) - xMin) / (xMax - xMin)) * (frame.right - frame.left - 2 * inset)
      : (frame.left + frame.right) / 2;
  const body: string[] = [];
  for (const tick of xs) {
    body.push(
      `<line x1="${px(x(tick))}" y1="${frame.bottom}" x2="${px(x(tick))}" y2="${frame.bottom + 5}" stroke="#333"/>`,
    );
    body.push(text(x(tick), frame.bottom + 18, formatNumber(tick), 'middle'));
  }
  series.forEach((s, i) => {
    const color = seriesColor(i);
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    body.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${sorted.map((p) => `${px(x(p.x))},${px(frame.y(p.y))}`).join(' ')}"/>`,
    );
    for (const p of sorted) {
      if (p.error) body.push(errorBar(x(p.x), frame.y(p.y - p.error), frame.y(p.y + p.error), color));
      body.push(`<circle cx="${px(x(p.x))}" cy="${px(frame.y(p.y))}" r="3.5" fill="${color}"/>`);
    }
    const ly = frame.top + 8 + 20 * i;
    body.push(
      `<line x1="${frame.right + 16}" y1="${ly}" x2="${frame.right + 36}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
    );
    body.push(text(frame.right + 42, ly + 4, s.name, 'start'));
  });
  return frameSvg(frame, options, body);
}

/** A bar chart from a zero baseline, one colour per bar, names under the bars, with error bars. */
export function barChartSvg(bars: readonly ChartBar[], options: ChartOptions = {}): string {
  const frame = makeFrame(
    options,
    Math.min(0, ...bars.map((b) => b.value - (b.error ?? 0))),
    Math.max(0, ...bars.map((b) => b.value + (b.error ?? 0))),
    0,
  );
  const slot = (frame.right - frame.left) / bars.length;
  const body = bars.flatMap((bar, i) => {
    const color = seriesColor(i);
    const center = frame.left + slot * (i + 0.5);
    const barWidth = Math.min(80, slot * 0.6);
    const [y0, y1] = [frame.y(0), frame.y(bar.value)];
    const parts = [
      `<rect x="${px(center - barWidth / 2)}" y="${px(Math.min(y0, y1))}" width="${px(barWidth)}" height="${px(Math.abs(y1 - y0))}" fill="${color}"><title>${escapeXml(`${bar.name}: ${formatNumber(bar.value)}`)}</title></rect>`,
      text(center, frame.bottom + 18, bar.name, 'middle'),
    ];
    if (bar.error)
      parts.push(errorBar(center, frame.y(bar.value - bar.error), frame.y(bar.value + bar.error), '#333'));
    return parts;
  });
  return frameSvg(frame, options, body);
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
