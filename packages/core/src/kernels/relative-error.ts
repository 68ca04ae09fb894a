/** The error measure the kernel tests compare backends and references with. */

/**
 * max |actual − expected| / max |expected|: relative to the output's scale, so near-zero entries
 * don't dominate. Arrays of different lengths are an error.
 */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) {
    throw new Error(`relativeError: ${actual.length} values against ${expected.length} expected`);
  }
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}
