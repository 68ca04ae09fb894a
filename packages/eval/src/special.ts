/**
 * The special functions behind Student's t: log-gamma, the regularized incomplete beta function,
 * and the t distribution's CDF, tail and quantile. Double precision to about 1e-12 relative.
 */
import { PerturbError } from '@perturb/core';

/** Lanczos coefficients for g = 7, nine terms: about 15 significant digits for x > 0. */
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos approximation). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x); // reflection
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const FRACTION_EPSILON = 1e-15;
const FRACTION_TINY = 1e-300;
const FRACTION_MAX_TERMS = 1000;

/** The continued fraction of I_x(a, b) by the modified Lentz method; converges fast for x < (a+1)/(a+b+2). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const guard = (v: number) => (Math.abs(v) < FRACTION_TINY ? FRACTION_TINY : v);
  let c = 1;
  let d = 1 / guard(1 - ((a + b) * x) / (a + 1));
  let value = d;
  for (let m = 1; m <= FRACTION_MAX_TERMS; m++) {
    // Each m contributes an even term, then an odd term, of the fraction's coefficients.
    for (const coefficient of [
      (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)),
      (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1)),
    ]) {
      d = 1 / guard(1 + coefficient * d);
      c = guard(1 + coefficient / c);
      value *= c * d;
    }
    if (Math.abs(c * d - 1) < FRACTION_EPSILON) return value;
  }
  return value;
}

/** The regularized incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1]. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0 && x >= 0 && x <= 1)) {
    throw new PerturbError(
      `I_x(a, b) is undefined for x = ${x}, a = ${a}, b = ${b}`,
      'pass a, b > 0 and x in [0, 1]',
    );
  }
  if (x === 0 || x === 1) return x;
  const logFront = a * Math.log(x) + b * Math.log1p(-x) - (logGamma(a) + logGamma(b) - logGamma(a + b));
  // The fraction converges quickly only left of the mean; use I_x(a, b) = 1 − I_{1−x}(b, a) on the right.
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(b, a, 1 - x)) / b;
}

function checkDegrees(df: number): void {
  if (!(df > 0))
    throw new PerturbError(
      `Student's t needs positive degrees of freedom, got ${df}`,
      'pass df > 0 (n − 1 for n samples)',
    );
}

/** P(T > t) for Student's t with `df` degrees of freedom, computed without cancellation for large t. */
export function studentTTail(t: number, df: number): number {
  checkDegrees(df);
  if (Number.isNaN(t)) return NaN;
  const upper = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? upper : 1 - upper;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  return 1 - studentTTail(t, df);
}

/** The p-quantile of Student's t with `df` degrees of freedom, e.g. `studentTQuantile(0.975, 2)` ≈ 4.303. */
export function studentTQuantile(p: number, df: number): number {
  checkDegrees(df);
  if (!(p > 0 && p < 1))
    throw new PerturbError(
      `a quantile needs a probability strictly between 0 and 1, got ${p}`,
      'pass p in (0, 1)',
    );
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  // Bisection on the tail, which falls monotonically: slow but unconditionally robust for any df.
  const target = 1 - p;
  let low = 0;
  let high = 1;
  while (studentTTail(high, df) > target) high *= 2;
  for (let i = 0; i < 200 && high - low > 1e-13 * high; i++) {
    const mid = (low + high) / 2;
    if (studentTTail(mid, df) > target) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}
