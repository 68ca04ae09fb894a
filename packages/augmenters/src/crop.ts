import * as tf from '@tensorflow/tfjs-core';
import type { Augmenter } from '@perturb/core';
import { type AugmenterOptions, checkInteger } from './options';

/** Options of {@link randomCrop}. */
export interface RandomCropOptions extends AugmenterOptions {
  /** Pixels added on every side before cropping back to the original size. Default 4. */
  padding?: number;
  /** Value of the padded pixels. Default 0. */
  fill?: number;
}

/**
 * Random crop with padding (the CIFAR recipe): pads each image by `padding` pixels of `fill`,
 * then crops it back to its size at an offset drawn per sample, uniform in [0, 2·padding] on
 * each axis. Labels are unchanged.
 */
export function randomCrop(options: RandomCropOptions = {}): Augmenter {
  const { padding = 4, fill = 0, name = 'randomCrop' } = options;
  checkInteger(padding, 'randomCrop padding', 0);
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
