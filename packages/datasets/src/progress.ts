/** Download progress: the numbers, and the default stderr reporter. */
import { ProgressBar } from '@perturb/core';

/** One progress report of a download. */
export interface DownloadProgress {
  readonly url: string;
  /** Bytes on disk so far, including those of an earlier, resumed attempt. */
  readonly receivedBytes: number;
  /** Size of the complete file, when known. */
  readonly totalBytes?: number;
  /** Transfer rate of this attempt, in bytes per second. */
  readonly bytesPerSecond: number;
  /** True on the last report of a completed transfer. */
  readonly done: boolean;
}

/** Receives download progress reports. */
export type ProgressListener = (progress: DownloadProgress) => void;

const UNITS = ['B', 'kB', 'MB', 'GB'];

/** `bytes` with a decimal unit, e.g. `26.4 MB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

/**
 * A listener drawing a progress bar on stderr (core's `ProgressBar`: redrawn in place on a
 * terminal, a line every few seconds otherwise).
 */
export function stderrProgress(label: string): ProgressListener {
  let bar: ProgressBar | null = null;
  return (p) => {
    bar ??= new ProgressBar({
      total: p.totalBytes ?? p.receivedBytes,
      label,
      start: p.receivedBytes,
      logIntervalMs: 5000,
      formatCount: formatBytes,
    });
    const rate = { rate: `${formatBytes(p.bytesPerSecond)}/s` };
    if (p.done) bar.done(rate);
    else bar.update(p.receivedBytes, rate);
  };
}
