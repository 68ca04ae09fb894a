import * as tf from '@tensorflow/tfjs-core';
import { type Augmenter, check } from '@perturb/core';

export interface GaussianNoiseOptions {
  /** Standard deviation of the noise, in pixel units ([0, 1] images). Default 0.05. */
  std?: number;
  /** Default 'gaussianNoise'. */
  name?: string;
}

/**
 * Adds N(0, std²) noise to every pixel and clamps to [0, 1]. All randomness comes from
 * `ctx.rng`, the stream the trainer derives for this augmenter, so seeded runs repeat exactly.
 */
export function gaussianNoise(options: GaussianNoiseOptions = {}): Augmenter {
  const { std = 0.05, name = 'gaussianNoise' } = options;
  check(std >= 0 && Number.isFinite(std), `gaussianNoise std is ${std}`, 'pass a finite number ≥ 0');
  return {
    name,
    transform(batch, ctx) {
      const noise = ctx.rng.normalTensor(batch.x.shape, 0, std);
      return { x: tf.clipByValue(tf.add(batch.x, noise), 0, 1) as tf.Tensor4D, y: batch.y };
    },
  };
}
