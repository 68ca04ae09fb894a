/** Median wall time of a step after warm-up: the figure every benchmark row reports. */
export async function medianStepMs(
  step: () => unknown,
  options: { warmup?: number; repeats?: number } = {},
): Promise<number> {
  const { warmup = 1, repeats = 5 } = options;
  for (let i = 0; i < warmup; i++) await step();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await step();
    times.push(performance.now() - started);
  }
  return median(times);
}

/** The middle value (the upper one of an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
