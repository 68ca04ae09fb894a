/** A PNG of what an augmenter does: clean vs augmented batches, on core's image grid. */
import * as tf from '@tensorflow/tfjs-core';
import { writeImageGrid } from '@perturb/core/node';

/**
 * Writes a PNG with one row per image: clean | augmented | |difference| (scaled so the largest
 * difference in the batch is white), to see what an augmenter does.
 */
export function writeAugmentationGrid(path: string, clean: tf.Tensor4D, augmented: tf.Tensor4D): void {
  const rows = tf.tidy(() => {
    const diff = tf.abs(tf.sub(augmented, clean));
    const scaled = tf.div(diff, tf.maximum(tf.max(diff), 1e-8));
    const [, h, w, c] = clean.shape;
    // Interleave per image so each row of the grid is [clean, augmented, difference].
    return tf.reshape(tf.stack([clean, augmented, scaled], 1), [-1, h, w, c]) as tf.Tensor4D;
  });
  writeImageGrid(path, rows, { cols: 3 });
  rows.dispose();
}
