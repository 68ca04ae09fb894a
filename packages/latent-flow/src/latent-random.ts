import { type Augmenter, type ThreatNorm, check, projectToBall } from '@perturb/core';
import type { Glow } from '@perturb/flows';
import type * as tf from '@tensorflow/tfjs-core';
import { latentAugmenter } from './flow-perturbation';

/** Options of {@link latentRandom}. */
export interface LatentRandomOptions {
  /** The trained flow F (frozen). */
  flow: Glow;
  /** Standard deviation of δ ~ N(0, ε²I), and the radius of the projection if any. Default 0.2 (flow-lp). */
  epsilon?: number;
  /**
   * Project δ onto the L2 or L∞ ball of radius ε ('l2' makes δ a random direction of norm ε
   * whenever the draw lies outside, as flow-lp's CIFAR-10 setting `L2, ε = 20`). Default none.
   */
  projection?: ThreatNorm | 'none';
  /** Probability that a sample is replaced by its perturbation. Default 1. */
  ratio?: number;
  /** Default `'latentRandom'`. */
  name?: string;
}

/**
 * LA-Glow's random latent perturbation (Yüksel et al. 2021): z = F(x), δ ~ N(0, ε²I) over the
 * latents of every level, x' = clamp(F⁻¹(z + δ), 0, 1). The noise comes from `ctx.rng`.
 */
export function latentRandom(options: LatentRandomOptions): Augmenter {
  const { flow, epsilon = 0.2, projection = 'none', ratio = 1, name = 'latentRandom' } = options;
  check(
    epsilon >= 0 && Number.isFinite(epsilon),
    `latentRandom epsilon is ${epsilon}`,
    'pass a finite number ≥ 0',
  );
  check(
    ['none', 'l2', 'linf'].includes(projection),
    `latentRandom projection is "${projection}"`,
    'use "none", "l2" or "linf"',
  );
  return latentAugmenter(name, flow, ratio, (latents, _batch, ctx) => {
    const noise = latents.map((z) => ctx.rng.normalTensor(z.shape, 0, epsilon) as tf.Tensor4D);
    return projection === 'none' ? noise : projectToBall(noise, projection, epsilon);
  });
}
