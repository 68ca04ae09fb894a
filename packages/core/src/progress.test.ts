import { describe, expect, it, vi } from 'vitest';
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

  it('leaves units done before the run out of the rate, including those found after it started', () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const bar = new ProgressBar({ total: 100, stream: fakeStream(false).stream, start: 10 });
      vi.advanceTimersByTime(10_000);
      bar.setStart(40); // 30 more units turn out to have been done before.
      bar.update(50); // 10 units in 10 s: 50 left take 50 s.
      expect(bar.render()).toMatch(/ 50\/100 10s ETA 50s$/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('formats durations', () => {
    expect(formatDuration(5.25)).toBe('5.3s');
    expect(formatDuration(75)).toBe('1m15s');
    expect(formatDuration(3 * 3600 + 120)).toBe('3h02m');
  });
});

describe('ProgressBar on a narrow terminal', () => {
  const metrics = { epoch: '12/30', loss: 0.41234, acc: 0.8765, lr: 0.0123, 'test acc': 0.9 };

  it.each([80, 60, 40])('never wraps %i columns and keeps the ETA and the loss while they fit', (columns) => {
    const lines: string[] = [];
    const stream = {
      isTTY: true,
      columns,
      write: (s: string) => lines.push(s),
    } as unknown as NodeJS.WriteStream;
    const bar = new ProgressBar({
      total: 8000,
      label: 'train resnet20 randomCrop+horizontalFlip seed 0',
      stream,
    });
    bar.update(4000, metrics);
    const drawn = lines[0].replace('\r', '').replace('\x1b[K', '');
    expect(drawn.length).toBeLessThan(columns);
    if (columns >= 60) expect(drawn).toMatch(/ETA \S+ epoch=12\/30 loss=0\.4123/);
  });

  it('shows everything when it fits', () => {
    const { stream } = fakeStream(false);
    const bar = new ProgressBar({ total: 8, label: 'train', stream });
    bar.update(4);
    expect(bar.render(metrics)).toMatch(
      /ETA \S+ epoch=12\/30 loss=0.4123 acc=0.8765 lr=0.01230 test acc=0.9000$/,
    );
    expect(bar.render(metrics, 80).length).toBeLessThanOrEqual(80);
  });

  it('prints one line per logEvery units off a terminal, and the last', () => {
    const { stream, lines } = fakeStream(false);
    const bar = new ProgressBar({ total: 10, stream, logEvery: 4 });
    for (let step = 1; step <= 10; step++) bar.update(step);
    bar.done();
    expect(lines.map((l) => l.match(/ (\d+)\/10 /)![1])).toEqual(['4', '8', '10', '10']);
  });
});
