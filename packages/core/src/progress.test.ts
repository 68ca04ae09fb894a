import { describe, expect, it } from 'vitest';
import { ProgressBar, formatDuration } from './progress';

function fakeStream(isTTY: boolean) {
  const lines: string[] = [];
  return { stream: { isTTY, write: (s: string) => lines.push(s) }, lines };
}

describe('ProgressBar', () => {
  it('renders fraction, counts, ETA and metrics', () => {
    const { stream } = fakeStream(false);
    const bar = new ProgressBar({ total: 8, label: 'train', stream });
    bar.update(4, { loss: 0.41234, epoch: 2 });
    expect(bar.render({ loss: 0.41234 })).toMatch(
      /^train \[#{12}\.{12}\] 50% 4\/8 \S+ ETA \S+ loss=0\.4123$/,
    );
  });

  it('logs whole lines off a terminal, throttled, and always the last one', () => {
    const { stream, lines } = fakeStream(false);
    const bar = new ProgressBar({ total: 3, stream, logIntervalMs: 60_000 });
    bar.update(1);
    bar.update(2);
    bar.update(3);
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
  });

  it('formats durations', () => {
    expect(formatDuration(5.25)).toBe('5.3s');
    expect(formatDuration(75)).toBe('1m15s');
    expect(formatDuration(3 * 3600 + 120)).toBe('3h02m');
  });
});
