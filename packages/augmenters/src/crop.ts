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
      const [n, h, w] = batch.x.shape;
      const rows = new Int32Array(n * h);
      const cols = new Int32Array(n * w);
      for (let i = 0; i < n; i++) {
        const top = ctx.rng.int(2 * padding + 1);
        const left = ctx.rng.int(2 * padding + 1);
        for (let r = 0; r < h; r++) rows[i * h + r] = top + r;
        for (let c = 0; c < w; c++) cols[i * w + c] = left + c;
      }
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
      // Two batched gathers (rows, then columns) crop every sample at its own offset in O(1) ops.
      const cropRows = tf.gather(padded, tf.tensor2d(rows, [n, h], 'int32'), 1, 1);
      const x = tf.gather(cropRows, tf.tensor2d(cols, [n, w], 'int32'), 2, 1);
      return { x, y: batch.y };
    },
  };
}
