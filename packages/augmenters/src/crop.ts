import * as tf from '@tensorflow/tfjs-core';
import { type Augmenter, defineAugmenter, mapBatch, parseOptions, z } from '@perturb/core';
import { padSides } from './pad';
import { minBoxSize, withMovedBoxes, withoutBoxes } from './boxes';
import { augmenterOptions } from './options';

/** The options of {@link randomCrop}, checked. */
export const randomCropOptions = augmenterOptions.extend({
  /** Pixels added on every side before cropping back to the original size. Default 4. */
  padding: z.int().min(0).default(4),
  /** Value of the padded pixels. Default 0. */
  fill: z.number().default(0),
  /** Smallest width and height in pixels a box keeps once clipped; smaller ones are dropped. Default 1. */
  minBoxSize,
});

/** Options of {@link randomCrop}. */
export type RandomCropOptions = z.input<typeof randomCropOptions>;

/**
 * Random crop with padding (the CIFAR recipe): pads each image by `padding` pixels of `fill`,
 * then crops it back to its size at an offset drawn per sample, uniform in [0, 2·padding] on
 * each axis. Class labels are unchanged; a label map is cropped with its image, its padding
 * holding the ignore index; boxes move with the image and are clipped to it, and a box left
 * narrower or lower than `minBoxSize` pixels (default 1) is dropped (see `moveBoxes`).
 */
export function randomCrop(options: RandomCropOptions = {}): Augmenter {
  const {
    padding,
    fill,
    minBoxSize: minSize,
    name = 'randomCrop',
  } = parseOptions(randomCropOptions, options, 'randomCrop options');
  return {
    name,
    targets: ['labelMap', 'boxes'],
    transform(batch, ctx) {
      if (padding === 0) return batch;
      const [n, h, w] = batch.x.shape;
      const offsets = Array.from({ length: n }, () => {
        const top = ctx.rng.int(2 * padding + 1);
        const left = ctx.rng.int(2 * padding + 1);
        return [top, left];
      });
      // One slice per sample: tfjs-wasm's batched gather (batchDims 1) reads out of bounds.
      const crop = <T extends tf.Tensor>(t: T, value: number): T => {
        const padded = padSides(t, padding, value);
        const crops = offsets.map(([top, left], i) =>
          tf.slice(padded, [i, top, left, ...t.shape.slice(3).map(() => 0)], [1, h, w, ...t.shape.slice(3)]),
        );
        return tf.concat(crops, 0) as T;
      };
      const cropped = mapBatch(withoutBoxes(batch), (t, part) =>
        part === 'y' ? t : crop(t, part === 'x' ? fill : batch.labelMap!.ignoreIndex),
      );
      return withMovedBoxes(
        cropped,
        batch,
        (i) => {
          const [top, left] = offsets[i];
          return (x, y) => [x + padding - left, y + padding - top];
        },
        minSize,
      );
    },
  };
}

defineAugmenter({
  name: 'randomCrop',
  summary: 'pads each image and crops it back to its size at a random offset (the CIFAR recipe)',
  schema: randomCropOptions,
  create: (options) => randomCrop(options),
});
