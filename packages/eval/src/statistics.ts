/** Statistics across seeds: mean ± sample std, t confidence intervals, relative improvement, paired t-test. */
import { PerturbError } from '@perturb/core';
import { studentTQuantile, studentTTail } from './special';

/** Mean, spread and confidence interval of a sample. */
export interface SampleSummary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 in the denominator); NaN for fewer than 2 values. */
  std: number;
  /** Lower end of the t confidence interval of the mean; NaN for fewer than 2 values. */
  low: number;
  /** Upper end of the t confidence interval of the mean; NaN for fewer than 2 values. */
  high: number;
}

/** Arithmetic mean; NaN for no values. */
export function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** Sample standard deviation (n − 1 in the denominator); NaN for fewer than 2 values. */
export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return NaN;
  const m = mean(values);
  return Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1));
}

/**
 * Mean, sample std and the `confidence` interval of the mean from Student's t with n − 1 degrees
 * of freedom (exact critical values, so 3 seeds give ±4.303·s/√3 at 95%). Default confidence 0.95.
 */
export function summarize(values: readonly number[], confidence = 0.95): SampleSummary {
  if (values.length === 0)
    throw new PerturbError('cannot summarize an empty sample', 'pass at least one value');
  if (!(confidence > 0 && confidence < 1)) {
    throw new PerturbError(
      `confidence must be strictly between 0 and 1, got ${confidence}`,
      'pass e.g. 0.95',
    );
  }
  const n = values.length;
  const m = mean(values);
  const std = sampleStd(values);
  const halfWidth = n < 2 ? NaN : (studentTQuantile(1 - (1 - confidence) / 2, n - 1) * std) / Math.sqrt(n);
  return { n, mean: m, std, low: m - halfWidth, high: m + halfWidth };
}

/** Relative improvement of `value` over `baseline` in percent: (value − baseline) / baseline · 100. */
export function relativeImprovement(value: number, baseline: number): number {
  return ((value - baseline) / baseline) * 100;
}

/** Result of a paired t-test. */
export interface PairedTTest {
  /** Number of pairs. */
  n: number;
  /** Mean of a − b. */
  meanDifference: number;
  /** t statistic (±Infinity when all differences are equal and non-zero; NaN when all are zero). */
  t: number;
  /** Degrees of freedom, n − 1. */
  df: number;
  /** Two-sided p-value (1 when all differences are zero). */
  p: number;
}

/**
 * Two-sided paired t-test of H0: mean(a − b) = 0, for samples paired by index (e.g. two methods
 * trained on the same seeds). Needs at least 2 pairs.
 */
export function pairedTTest(a: readonly number[], b: readonly number[]): PairedTTest {
  if (a.length !== b.length || a.length < 2) {
    throw new PerturbError(
      `a paired t-test needs two equally long samples of at least 2, got ${a.length} and ${b.length}`,
      'pair the values by seed',
    );
  }
  const differences = a.map((v, i) => v - b[i]);
  const n = differences.length;
  const meanDifference = mean(differences);
  const std = sampleStd(differences);
  const df = n - 1;
  if (std === 0) {
    return meanDifference === 0
      ? { n, meanDifference, t: NaN, df, p: 1 }
      : { n, meanDifference, t: Math.sign(meanDifference) * Infinity, df, p: 0 };
  }
  const t = meanDifference / (std / Math.sqrt(n));
  return { n, meanDifference, t, df, p: 2 * studentTTail(Math.abs(t), df) };
}

/**
 * Holm's step-down adjustment of p-values for one family of tests (Holm 1979): with the m values
 * sorted ascending, the i-th smallest becomes max over j ≤ i of min(1, (m − j + 1)·p_(j)), and
 * each adjusted value returns to its input position. Rejecting where the adjusted p < α
 * controls the chance of any false rejection in the family at α, with no assumption on how
 * the tests depend on each other (they share a baseline here).
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(([p, index], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[index] = running;
  });
  return adjusted;
}
