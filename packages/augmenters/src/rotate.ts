import { type Augmenter, defineAugmenter, parseOptions, z } from '@perturb/core';
import { rotate } from './auto/geometry-ops';
import { augmenterOptions, probability } from './options';
import { warpSamples } from './warp';

/** The options of {@link randomRotate}, checked. */
export const randomRotateOptions = augmenterOptions.extend({
  /**
   * Rotation in degrees counter-clockwise, uniform per sample: in [−d, d] for a number d, or in
   * [min, max]. Default 10.
   */
  degrees: z
    .union([z.number().min(0).max(180), z.tuple([z.number().min(-180), z.number().max(180)])])
    .default(10),
  /** Probability that a sample is rotated. Default 1. */
  p: probability.default(1),
  /** Value of the image pixels the rotation uncovers. Default 0. */
  fill: z.number().default(0),
});

/** Options of {@link randomRotate}. */
export type RandomRotateOptions = z.input<typeof randomRotateOptions>;

/**
 * Rotates each sample (with probability `p`) about its centre by an angle drawn per sample,
 * uniform in the `degrees` range: the image by bilinear sampling with `fill` in the
 * uncovered corners, a label map by nearest sampling with its ignore index there. Runs on the
 * host, so every backend gives the same pixels.
 */
export function randomRotate(options: RandomRotateOptions = {}): Augmenter {
  const {
    degrees,
    p,
    fill,
    name = 'randomRotate',
  } = parseOptions(randomRotateOptions, options, 'randomRotate options');
  return {
    name,
    targets: ['labelMap'],
    transform(batch, ctx) {
      const [low, high] = typeof degrees === 'number' ? [-degrees, degrees] : degrees;
      if (low === 0 && high === 0) return batch;
      return warpSamples(
        batch,
        () => {
          if (!ctx.rng.bernoulli(p)) return null;
          const angle = ctx.rng.uniform(low, high);
          return (image, sampling) => rotate(image, angle, sampling);
        },
        fill,
      );
    },
  };
}

defineAugmenter({
  name: 'randomRotate',
  summary: 'rotates each sample by a random angle (label maps by nearest, ignore index in the corners)',
  schema: randomRotateOptions,
  create: (options) => randomRotate(options),
});
