/**
 * Median wall time of a step after warm-up: the figure every benchmark row reports. `clock`
 * (milliseconds; default `performance.now`) is there so the harness can be tested without sleeping.
 */
export async function medianStepMs(
  step: () => unknown,
  options: { warmup?: number; repeats?: number; clock?: () => number } = {},
): Promise<number> {
  const { warmup = 1, repeats = 5, clock = () => performance.now() } = options;
  for (let i = 0; i < warmup; i++) await step();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = clock();
    await step();
    times.push(clock() - started);
  }
  return median(times);
}

/** The middle value (the upper one of an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
