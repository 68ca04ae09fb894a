import { type Augmenter, defineAugmenter, parseOptions, z } from '@perturb/core';
import { rotate, rotatePoints } from './auto/geometry-ops';
import { minBoxSize } from './boxes';
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
  /** Smallest width and height in pixels a box keeps once clipped; smaller ones are dropped. Default 1. */
  minBoxSize,
});

/** Options of {@link randomRotate}. */
export type RandomRotateOptions = z.input<typeof randomRotateOptions>;

/**
 * Rotates each sample (with probability `p`) about its centre by an angle drawn per sample,
 * uniform in the `degrees` range: the image by bilinear sampling with `fill` in the
 * uncovered corners, a label map by nearest sampling with its ignore index there. A box becomes
 * the enclosing box of its rotated corners, clipped to the image (as torchvision v2 rotates
 * boxes: looser than the rotated object's own box, more so the nearer the angle is to 45°), and is dropped
 * when less than `minBoxSize` pixels wide or high remains (default 1). Runs on the host, so every
 * backend gives the same pixels.
 */
export function randomRotate(options: RandomRotateOptions = {}): Augmenter {
  const {
    degrees,
    p,
    fill,
    minBoxSize: minSize,
    name = 'randomRotate',
  } = parseOptions(randomRotateOptions, options, 'randomRotate options');
  return {
    name,
    targets: ['labelMap', 'boxes'],
    transform(batch, ctx) {
      const [low, high] = typeof degrees === 'number' ? [-degrees, degrees] : degrees;
      if (low === 0 && high === 0) return batch;
      const [, height, width] = batch.x.shape;
      return warpSamples(
        batch,
        () => {
          if (!ctx.rng.bernoulli(p)) return null;
          const angle = ctx.rng.uniform(low, high);
          return {
            pixels: (image, sampling) => rotate(image, angle, sampling),
            points: rotatePoints(angle, width, height),
          };
        },
        fill,
        minSize,
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
