/**
 * Host-side random draws. Every per-sample decision is drawn here from the augmenter's `Rng`
 * and only then turned into a tensor, so a seeded run is identical on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@perturb/core';

/** One Bernoulli(p) draw per sample. */
export function bernoulliFlags(rng: Rng, count: number, p: number): boolean[] {
  return Array.from({ length: count }, () => rng.bernoulli(p));
}

/** A rank-1 bool tensor from host flags. */
export function flagTensor(flags: readonly boolean[]): tf.Tensor1D {
  return tf.tensor1d(flags.map(Number), 'bool');
}

/** Gamma(shape, 1) by Marsaglia & Tsang (2000); shapes below 1 via the Gamma(shape + 1)·U^(1/shape) boost. */
export function sampleGamma(rng: Rng, shape: number): number {
  if (shape < 1) {
    let u = 0;
    while (u === 0) u = rng.next();
    return sampleGamma(rng, shape + 1) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = rng.normal();
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = rng.next();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function sampleBeta(rng: Rng, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  return x / (x + y);
}
