/**
 * Euclidean projection onto the probability simplex {w : w ≥ 0, Σw = 1}: the nearest point,
 * w = max(v − θ, 0) with the one θ that makes the result sum to 1 (found by sorting, as in
 * Duchi et al. 2008). When no entry would turn negative this is the uniform shift
 * v − (Σv − 1)/n that the official L-ALFA code applies.
 */
export function projectOntoSimplex(values: readonly number[]): number[] {
  const sorted = [...values].sort((a, b) => b - a);
  let prefix = 0;
  let theta = 0;
  for (let k = 0; k < sorted.length; k++) {
    prefix += sorted[k];
    const candidate = (prefix - 1) / (k + 1);
    // The largest k whose k-th largest value stays positive after the shift fixes θ.
    if (sorted[k] - candidate > 0) theta = candidate;
  }
  return values.map((v) => Math.max(v - theta, 0));
}
