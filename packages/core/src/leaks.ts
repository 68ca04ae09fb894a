/** Guards against tensor leaks, the most common bug in tfjs training loops. */
import * as tf from '@tensorflow/tfjs-core';

/** How many times {@link tensorCountsAcross} and {@link assertNoTensorLeak} call the step. */
export interface LeakCheckOptions {
  /** Calls before counting starts, for one-time allocations such as optimizer slots. Default 1. */
  warmup?: number;
  /** Calls whose tensor counts are compared. Default 3. */
  iterations?: number;
}

/** The live-tensor count after each measured call of `step`. */
export async function tensorCountsAcross(
  step: () => unknown | Promise<unknown>,
  options: LeakCheckOptions = {},
): Promise<number[]> {
  const { warmup = 1, iterations = 3 } = options;
  for (let i = 0; i < warmup; i++) await step();
  const counts: number[] = [];
  for (let i = 0; i < iterations; i++) {
    await step();
    counts.push(tf.memory().numTensors);
  }
  return counts;
}

/**
 * Throws if the number of live tensors changes across repeated calls of `step`.
 * Use it in tests around one training step, one augmenter call or one epoch.
 */
export async function assertNoTensorLeak(
  step: () => unknown | Promise<unknown>,
  options: LeakCheckOptions = {},
): Promise<void> {
  const counts = await tensorCountsAcross(step, options);
  if (counts.some((c) => c !== counts[0])) {
    throw new Error(`tensor leak: live tensor counts across steps were [${counts.join(', ')}]`);
  }
}
