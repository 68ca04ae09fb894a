import { describe, expect, it } from 'vitest';
import { logGamma, regularizedIncompleteBeta, studentTCdf, studentTQuantile, studentTTail } from './special';

describe('special functions', () => {
  it('computes ln Γ at known points', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(logGamma(0.1)).toBeCloseTo(2.252712651734206, 11);
  });

  it('computes the regularized incomplete beta function against closed forms and SciPy values', () => {
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 14);
    expect(regularizedIncompleteBeta(0.4, 3, 1)).toBeCloseTo(0.4 ** 3, 14);
    expect(regularizedIncompleteBeta(0.5, 4.5, 4.5)).toBeCloseTo(0.5, 14);
    expect(regularizedIncompleteBeta(0.3, 2, 3)).toBeCloseTo(0.3483, 13); // binomial sum
    expect(regularizedIncompleteBeta(0.35, 20, 30)).toBeCloseTo(0.23856016353438214, 12);
    expect(regularizedIncompleteBeta(0.9, 0.5, 7.5)).toBeCloseTo(0.9999999932897103, 13);
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
    expect(() => regularizedIncompleteBeta(1.5, 2, 3)).toThrow(/undefined/);
  });

  it('gives the t distribution table critical values', () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706204736, 6);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.30265273, 8);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.776445105, 8);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228138852, 8);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042272456, 8);
    expect(studentTQuantile(0.995, 5)).toBeCloseTo(4.032142984, 8);
    expect(studentTQuantile(0.9995, 1)).toBeCloseTo(636.6192488, 4);
    expect(studentTQuantile(0.025, 2)).toBeCloseTo(-4.30265273, 8);
    expect(studentTQuantile(0.5, 3)).toBeCloseTo(0, 10);
  });

  it('computes t tails and the CDF', () => {
    expect(2 * studentTTail(2, 10)).toBeCloseTo(0.07338803477074037, 12);
    expect(studentTCdf(0, 7)).toBeCloseTo(0.5, 14);
    expect(studentTCdf(-2, 10)).toBeCloseTo(studentTTail(2, 10), 14);
    expect(studentTCdf(studentTQuantile(0.9, 3), 3)).toBeCloseTo(0.9, 10);
    expect(() => studentTTail(1, 0)).toThrow(/degrees of freedom/);
  });
});
