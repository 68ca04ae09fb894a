/** What a latent perturbation does to images: pixel distances and a picture. */
import * as tf from '@tensorflow/tfjs-core';
import { writeImageGrid } from '@perturb/flows';

/** Mean per-image pixel distances between clean and perturbed images. */
export interface PixelDistances {
  linf: number;
  l2: number;
  l1: number;
}

/** The mean over the batch of each image's L∞, L2 and L1 distance between `clean` and `perturbed`. */
export function pixelDistances(clean: tf.Tensor4D, perturbed: tf.Tensor4D): PixelDistances {
  return tf.tidy(() => {
    const diff = tf.reshape(tf.sub(perturbed, clean), [clean.shape[0], -1]);
    const mean = (t: tf.Tensor) => tf.mean(t).dataSync()[0];
    return {
      linf: mean(tf.max(tf.abs(diff), 1)),
      l2: mean(tf.norm(diff, 2, 1)),
      l1: mean(tf.sum(tf.abs(diff), 1)),
    };
  });
}

/**
 * Writes a PNG with one row per image: clean | perturbed | |difference| (scaled so the largest
 * difference in the batch is white).
 */
export function writePerturbationGrid(path: string, clean: tf.Tensor4D, perturbed: tf.Tensor4D): void {
  const rows = tf.tidy(() => {
    const diff = tf.abs(tf.sub(perturbed, clean));
    const scaled = tf.div(diff, tf.maximum(tf.max(diff), 1e-8));
    // Interleave per image so each row of the grid is [clean, perturbed, difference].
    const [, h, w, c] = clean.shape;
    return tf.reshape(tf.stack([clean, perturbed, scaled], 1), [-1, h, w, c]) as tf.Tensor4D;
  });
  writeImageGrid(path, rows, { cols: 3 });
  rows.dispose();
}
