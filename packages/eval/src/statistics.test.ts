import { describe, expect, it } from 'vitest';
import { holmAdjust, mean, pairedTTest, relativeImprovement, sampleStd, summarize } from './statistics';

describe('statistics across seeds', () => {
  it('summarizes with the sample std and a t interval', () => {
    const summary = summarize([0.612, 0.598, 0.63]);
    expect(summary.n).toBe(3);
    expect(summary.mean).toBeCloseTo(0.6133333333, 9);
    expect(summary.std).toBeCloseTo(0.0160416125540213, 12);
    expect(summary.low).toBeCloseTo(0.5734837586306014, 10);
    expect(summary.high).toBeCloseTo(0.6531829080360652, 10);
  });

  it('has no spread or interval for a single value', () => {
    const summary = summarize([0.5]);
    expect(summary.mean).toBe(0.5);
    expect(summary.std).toBeNaN();
    expect(summary.low).toBeNaN();
    expect(sampleStd([1])).toBeNaN();
    expect(mean([1, 2, 6])).toBe(3);
  });

  it('computes relative improvement in percent', () => {
    expect(relativeImprovement(0.55, 0.5)).toBeCloseTo(10, 12);
    expect(relativeImprovement(0.45, 0.5)).toBeCloseTo(-10, 12);
  });

  it('matches SciPy ttest_rel on known data', () => {
    const test = pairedTTest([0.9, 0.92, 0.91, 0.95, 0.93], [0.88, 0.9, 0.9, 0.91, 0.92]);
    expect(test.n).toBe(5);
    expect(test.df).toBe(4);
    expect(test.meanDifference).toBeCloseTo(0.02, 12);
    expect(test.t).toBeCloseTo(3.6514837167011174, 9);
    expect(test.p).toBeCloseTo(0.021742978465236453, 10);
    const small = pairedTTest([0.612, 0.598, 0.63], [0.571, 0.58, 0.566]);
    expect(small.t).toBeCloseTo(3.087568830883651, 9);
    expect(small.p).toBeCloseTo(0.09083235561001268, 10);
  });

  it('handles constant differences and rejects unpaired input', () => {
    expect(pairedTTest([1, 2], [1, 2]).p).toBe(1);
    expect(pairedTTest([2, 3], [1, 2])).toMatchObject({ t: Infinity, p: 0 });
    expect(() => pairedTTest([1, 2, 3], [1, 2])).toThrow(/paired t-test/);
    expect(() => summarize([])).toThrow(/empty/);
  });

  it("adjusts p-values by Holm's step-down method, in their input order", () => {
    // Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, max(0.06, 0.04·1) = 0.06.
    const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((p, i) => expect(adjusted[i]).toBeCloseTo(p, 12));
    // Capped at 1, and monotone: a larger p never gets a smaller adjusted value.
    expect(holmAdjust([0.5, 0.6])).toEqual([1, 1]);
    const tied = holmAdjust([0.02, 0.9, 0.02]);
    [0.06, 0.9, 0.06].forEach((p, i) => expect(tied[i]).toBeCloseTo(p, 12));
    expect(holmAdjust([0.2])).toEqual([0.2]);
    expect(holmAdjust([])).toEqual([]);
  });

  it('lets the one p < 0.05 of seven comparisons fail after Holm', () => {
    // The case: one small p among many does not survive the correction.
    const adjusted = holmAdjust([0.04, 0.3, 0.5, 0.12, 0.2, 0.7, 0.08]);
    expect(adjusted[0]).toBeCloseTo(0.28, 12);
    expect(Math.min(...adjusted)).toBeGreaterThan(0.05);
  });
});
