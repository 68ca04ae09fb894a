import { Rng } from '@perturb/core';
import { describe, expect, it } from 'vitest';
import { sampleBeta } from './sampling';

describe('sampleBeta', () => {
  it.each([
    [2, 6],
    [0.4, 0.4],
    [1, 1],
  ])('matches the mean and variance of Beta(%d, %d)', (a, b) => {
    const rng = new Rng(1);
    const draws = Array.from({ length: 20000 }, () => sampleBeta(rng, a, b));
    const mean = draws.reduce((s, v) => s + v, 0) / draws.length;
    const variance = draws.reduce((s, v) => s + (v - mean) ** 2, 0) / draws.length;
    expect(mean).toBeCloseTo(a / (a + b), 2);
    expect(variance).toBeCloseTo((a * b) / ((a + b) ** 2 * (a + b + 1)), 2);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThanOrEqual(1);
  });
});
