import * as tf from '@tensorflow/tfjs-core';
import { type Augmenter, defineAugmenter, parseOptions, z } from '@perturb/core';
import { augmenterOptions } from './options';

/** The options of {@link randomCrop}, checked. */
export const randomCropOptions = augmenterOptions.extend({
  /** Pixels added on every side before cropping back to the original size. Default 4. */
  padding: z.int().min(0).default(4),
  /** Value of the padded pixels. Default 0. */
  fill: z.number().default(0),
});

/** Options of {@link randomCrop}. */
export type RandomCropOptions = z.input<typeof randomCropOptions>;

/**
 * Random crop with padding (the CIFAR recipe): pads each image by `padding` pixels of `fill`,
 * then crops it back to its size at an offset drawn per sample, uniform in [0, 2·padding] on
 * each axis. Labels are unchanged.
 */
export function randomCrop(options: RandomCropOptions = {}): Augmenter {
  const {
    padding,
    fill,
    name = 'randomCrop',
  } = parseOptions(randomCropOptions, options, 'randomCrop options');
  return {
    name,
    transform(batch, ctx) {
      if (padding === 0) return batch;
      const [n, h, w, c] = batch.x.shape;
      const padded = tf.pad(
        batch.x,
        [
          [0, 0],
          [padding, padding],
          [padding, padding],
          [0, 0],
        ],
        fill,
      );
      // One slice per sample: tfjs-wasm's batched gather (batchDims 1) reads out of bounds.
      const crops = Array.from({ length: n }, (_, i) => {
        const top = ctx.rng.int(2 * padding + 1);
        const left = ctx.rng.int(2 * padding + 1);
        return tf.slice(padded, [i, top, left, 0], [1, h, w, c]);
      });
      const x = tf.concat(crops, 0) as tf.Tensor4D;
      return { x, y: batch.y };
    },
  };
}

defineAugmenter({
  name: 'randomCrop',
  summary: 'pads each image and crops it back to its size at a random offset (the CIFAR recipe)',
  schema: randomCropOptions,
  create: (options) => randomCrop(options),
});
