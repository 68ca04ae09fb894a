/**
 * A progress bar for long work: fraction done, rate, ETA and current metrics, on stderr.
 * On a terminal it redraws one line; elsewhere (CI logs, pipes) it prints a line at most every
 * `logIntervalMs`, so logs stay readable.
 */
/**
 * Where a bar draws: what it uses of a Node `WriteStream` such as `process.stderr`, written out
 * so the published types need no `@types/node` and tests can pass a plain object.
 */
export interface ProgressStream {
  /** True on a terminal: the bar redraws one line instead of printing lines. */
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressBarOptions {
  /** Units of work in all. */
  total: number;
  /** Shown before the bar, e.g. "train resnet20". */
  label?: string;
  /** Where to draw. Default `process.stderr`. */
  stream?: ProgressStream;
  /** Minimum time between non-terminal log lines. Default 10 s. */
  logIntervalMs?: number;
  /** Units already done when the bar starts (a resumed run), excluded from the rate. Default 0. */
  start?: number;
  /** Formats the done/total counts, e.g. as bytes. Default: the plain number. */
  formatCount?: (count: number) => string;
}

/** Values shown after the bar as `name=value`; numbers are rounded for display. */
export type Metrics = Record<string, number | string>;

/**
 * A progress bar on a stream (stderr by default): fraction done, elapsed time, ETA and
 * metrics. On a terminal it redraws one line; elsewhere it prints a line at most every
 * `logIntervalMs` and when the work is done.
 */
export class ProgressBar {
  private readonly stream: ProgressStream;
  private readonly startedAt = Date.now();
  private readonly startValue: number;
  private lastLogAt = 0;
  private current: number;

  constructor(private readonly options: ProgressBarOptions) {
    this.stream = options.stream ?? process.stderr;
    this.startValue = options.start ?? 0;
    this.current = this.startValue;
  }

  /** Moves the bar to `current` units done and shows `metrics`. */
  update(current: number, metrics: Metrics = {}): void {
    this.current = current;
    const now = Date.now();
    if (this.stream.isTTY) {
      this.stream.write(`\r${this.render(metrics)}\x1b[K`);
    } else if (
      now - this.lastLogAt >= (this.options.logIntervalMs ?? 10_000) ||
      current >= this.options.total
    ) {
      this.lastLogAt = now;
      this.stream.write(`${this.render(metrics)}\n`);
    }
  }

  /** Finishes the line. */
  done(metrics: Metrics = {}): void {
    this.lastLogAt = 0;
    this.update(this.current, metrics);
    if (this.stream.isTTY) this.stream.write('\n');
  }

  /** The bar as text, e.g. `train [#####.....] 50% 4/8 12.0s ETA 12s loss=0.41`. */
  render(metrics: Metrics = {}): string {
    const { total, label } = this.options;
    const format = this.options.formatCount ?? String;
    const fraction = total > 0 ? Math.min(1, this.current / total) : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const doneHere = this.current - this.startValue;
    const eta = doneHere > 0 ? (elapsed / doneHere) * (total - this.current) : NaN;
    const shown = Object.entries(metrics)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`)
      .join(' ');
    return [
      label,
      `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`,
      `${Math.floor(fraction * 100)}%`,
      `${format(this.current)}/${format(total)}`,
      formatDuration(elapsed),
      `ETA ${Number.isFinite(eta) ? formatDuration(eta) : '?'}`,
      shown,
    ]
      .filter(Boolean)
      .join(' ');
  }
}

function formatNumber(v: number): string {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v * 100) / 100) : v.toPrecision(4);
}

/** 75 → "1m15s". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
