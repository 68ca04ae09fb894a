import { type Augmenter, defineAugmenter, parseOptions, z } from '@perturb/core';
import { zoom, zoomPoints } from './auto/geometry-ops';
import { minBoxSize } from './boxes';
import { augmenterOptions } from './options';
import { warpSamples } from './warp';

/** The options of {@link randomScale}, checked. */
export const randomScaleOptions = augmenterOptions
  .extend({
    /** Each sample is scaled by a factor uniform in [min, max]. Default [0.5, 2] (DeepLab's recipe). */
    scale: z.tuple([z.number().gt(0), z.number().gt(0)]).default([0.5, 2]),
    /** Value of the image pixels a scale below 1 uncovers. Default 0. */
    fill: z.number().default(0),
    /** Smallest width and height in pixels a box keeps once clipped; smaller ones are dropped. Default 1. */
    minBoxSize,
  })
  .refine((options) => options.scale[0] <= options.scale[1], {
    message: 'scale is [min, max]: put the smaller factor first',
    path: ['scale'],
  });

/** Options of {@link randomScale}. */
export type RandomScaleOptions = z.input<typeof randomScaleOptions>;

/**
 * The segmentation recipe's random scale and crop, at the batch's size: each sample is scaled by
 * a factor drawn per sample, uniform in [min, max], and placed at a random offset, so a larger
 * image is cropped and a smaller one padded back to the original size. The image is sampled
 * bilinearly (padding holds `fill`), a label map by nearest (padding holds its ignore index);
 * boxes are scaled and moved with the image, clipped to it, and dropped when less than
 * `minBoxSize` pixels wide or high remains (default 1).
 * Runs on the host, so every backend gives the same pixels.
 */
export function randomScale(options: RandomScaleOptions = {}): Augmenter {
  const {
    scale,
    fill,
    minBoxSize: minSize,
    name = 'randomScale',
  } = parseOptions(randomScaleOptions, options, 'randomScale options');
  return {
    name,
    targets: ['labelMap', 'boxes'],
    transform(batch, ctx) {
      const [, height, width] = batch.x.shape;
      // The scaled image's corner lies a whole number of pixels between 0 and (side − scaled
      // side), which is negative when it is larger (a crop) and positive when smaller (a pad).
      const offset = (side: number, factor: number) => {
        const room = Math.round(side - factor * side);
        const shift = ctx.rng.int(Math.abs(room) + 1);
        return room < 0 ? -shift : shift;
      };
      return warpSamples(
        batch,
        () => {
          const factor = ctx.rng.uniform(scale[0], scale[1]);
          const left = offset(width, factor);
          const top = offset(height, factor);
          return {
            pixels: (image, sampling) => zoom(image, factor, left, top, sampling),
            points: zoomPoints(factor, left, top),
          };
        },
        fill,
        minSize,
      );
    },
  };
}

defineAugmenter({
  name: 'randomScale',
  summary: 'scales each sample by a random factor and crops or pads it back (label maps by nearest)',
  schema: randomScaleOptions,
  create: (options) => randomScale(options),
});
