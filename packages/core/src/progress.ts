/**
 * A progress bar for long work: fraction done, rate, ETA and current metrics, on stderr.
 * On a terminal it redraws one line, cut to the terminal's width (a line that wraps cannot be
 * redrawn: every redraw would leave a new line); elsewhere (CI logs, pipes) it prints a line per
 * `logEvery` units (an epoch's steps) or at most every `logIntervalMs`, so logs stay readable.
 */
/**
 * Where a bar draws: what it uses of a Node `WriteStream` such as `process.stderr`, written out
 * so the published types need no `@types/node` and tests can pass a plain object.
 */
export interface ProgressStream {
  /** True on a terminal: the bar redraws one line instead of printing lines. */
  readonly isTTY?: boolean;
  /** The terminal's width in characters; the line is cut to fit it. Default 80. */
  readonly columns?: number;
  write(text: string): unknown;
}

export interface ProgressBarOptions {
  /** Units of work in all. */
  total: number;
  /** Shown before the bar, e.g. "train resnet20". */
  label?: string;
  /** Where to draw. Default `process.stderr` in Node, else the console (one line per log). */
  stream?: ProgressStream;
  /**
   * Off a terminal, print a line each time this many more units are done (e.g. the steps of an
   * epoch: one line per epoch) and at the end, instead of every `logIntervalMs`. Default: not set.
   */
  logEvery?: number;
  /** Off a terminal and without `logEvery`, the minimum time between log lines. Default 10 s. */
  logIntervalMs?: number;
  /** Units already done when the bar starts (a resumed run), excluded from the rate. Default 0. */
  start?: number;
  /** Formats the done/total counts, e.g. as bytes. Default: the plain number. */
  formatCount?: (count: number) => string;
}

/** stderr where there is one; elsewhere (a browser) the console, which cannot redraw a line. */
function defaultStream(): ProgressStream {
  if (typeof process !== 'undefined' && process.stderr) return process.stderr;
  return { isTTY: false, write: (text) => console.info(text.trimEnd()) };
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
  private startValue: number;
  private lastLogAt = 0;
  private lastLogged: number;
  private current: number;

  constructor(private readonly options: ProgressBarOptions) {
    this.stream = options.stream ?? defaultStream();
    this.startValue = options.start ?? 0;
    this.current = this.startValue;
    this.lastLogged = this.startValue;
  }

  /** Moves the bar to `current` units done and shows `metrics`. */
  update(current: number, metrics: Metrics = {}): void {
    this.current = current;
    this.draw(metrics, false);
  }

  /**
   * Sets the units done before this run to `units`, for work found already done after the bar
   * started (parallel workers that resume one by one): they move the bar but not its rate.
   */
  setStart(units: number): void {
    this.startValue = units;
  }

  /** Finishes the line. */
  done(metrics: Metrics = {}): void {
    this.draw(metrics, true);
    if (this.stream.isTTY) this.stream.write('\n');
  }

  private draw(metrics: Metrics, final: boolean): void {
    if (this.stream.isTTY) {
      // One column is kept free: a line filling the last column wraps on some terminals.
      this.stream.write(`\r${this.render(metrics, (this.stream.columns || 80) - 1)}\x1b[K`);
    } else if (final || this.dueForLogLine()) {
      this.lastLogAt = Date.now();
      this.lastLogged = this.current;
      this.stream.write(`${this.render(metrics)}\n`);
    }
  }

  private dueForLogLine(): boolean {
    const { logEvery, logIntervalMs = 10_000, total } = this.options;
    if (this.current >= total) return true;
    if (logEvery !== undefined) {
      return Math.floor(this.current / logEvery) > Math.floor(this.lastLogged / logEvery);
    }
    return Date.now() - this.lastLogAt >= logIntervalMs;
  }

  /**
   * The bar as text, e.g. `train [#####.....] 50% 4/8 12.0s ETA 12s loss=0.41`, at most
   * `maxWidth` characters: the bar narrows, then the elapsed time, trailing metrics and the bar
   * are dropped, and the label is shortened, so the ETA and the first metrics stay visible.
   */
  render(metrics: Metrics = {}, maxWidth = Infinity): string {
    const { total, label } = this.options;
    const format = this.options.formatCount ?? String;
    const fraction = total > 0 ? Math.min(1, this.current / total) : 1;
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const doneHere = this.current - this.startValue;
    const eta = doneHere > 0 ? (elapsed / doneHere) * (total - this.current) : NaN;
    const bar = (width: number) => {
      const filled = Math.round(fraction * width);
      return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    };
    let shown = Object.entries(metrics).map(
      ([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`,
    );
    let barWidth = 24;
    let showElapsed = true;
    let title = label ?? '';
    const line = () =>
      [
        title,
        barWidth > 0 ? bar(barWidth) : '',
        `${Math.floor(fraction * 100)}%`,
        `${format(this.current)}/${format(total)}`,
        showElapsed ? formatDuration(elapsed) : '',
        `ETA ${Number.isFinite(eta) ? formatDuration(eta) : '?'}`,
        ...shown,
      ]
        .filter(Boolean)
        .join(' ');
    let text = line();
    // What gives way, in this order, until the line fits; each returns false when it cannot.
    const shrinkers: Array<() => boolean> = [
      () => barWidth > 10 && ((barWidth = Math.max(10, barWidth - (text.length - maxWidth))), true),
      () => showElapsed && ((showElapsed = false), true),
      () => shown.length > 2 && ((shown = shown.slice(0, -1)), true),
      () => barWidth > 0 && ((barWidth = 0), true),
      () => title.length > 12 && ((title = `${title.slice(0, 11)}…`), true),
      () => shown.length > 0 && ((shown = shown.slice(0, -1)), true),
    ];
    for (const shrink of shrinkers) {
      while (text.length > maxWidth && shrink()) text = line();
    }
    return text.length > maxWidth ? `${text.slice(0, Math.max(0, maxWidth - 1))}…` : text;
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
