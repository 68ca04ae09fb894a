/** PNG grids of images: flow samples and reconstructions, clean vs augmented batches. */
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { PerturbError, writeFileAtomic } from '@perturb/core';

/** Options of `writeImageGrid`. */
export interface ImageGridOptions {
  /** Images per row. Default ⌈√N⌉. */
  cols?: number;
  /** Pixels of background between images and around the grid. Default 1. */
  padding?: number;
  /** Background gray level in [0, 1]. Default 1 (white). */
  background?: number;
}

/**
 * Writes images (NHWC, values in [0, 1], clamped; 1 channel for gray or 3 for RGB) as one PNG
 * grid, atomically. Returns the grid's pixel size.
 */
export function writeImageGrid(
  path: string,
  images: tf.Tensor4D,
  options: ImageGridOptions = {},
): { width: number; height: number } {
  const [n, h, w, c] = images.shape;
  if (c !== 1 && c !== 3) {
    throw new PerturbError(
      `cannot write ${c}-channel images as PNG`,
      'pass images with 1 (gray) or 3 (RGB) channels',
    );
  }
  if (n === 0) throw new PerturbError('no images to write into a grid', 'pass at least one image');
  const cols = Math.min(n, options.cols ?? Math.ceil(Math.sqrt(n)));
  const rows = Math.ceil(n / cols);
  const pad = options.padding ?? 1;
  const width = cols * (w + pad) + pad;
  const height = rows * (h + pad) + pad;
  const png = new PNG({ width, height });
  png.data.fill(Math.round(255 * (options.background ?? 1)));
  const values = images.dataSync();
  for (let i = 0; i < n; i++) {
    const top = pad + Math.floor(i / cols) * (h + pad);
    const left = pad + (i % cols) * (w + pad);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const source = ((i * h + y) * w + x) * c;
        const target = ((top + y) * width + left + x) * 4;
        for (let k = 0; k < 3; k++) png.data[target + k] = toByte(values[source + (c === 3 ? k : 0)]);
        png.data[target + 3] = 255;
      }
    }
  }
  writeFileAtomic(path, PNG.sync.write(png));
  return { width, height };
}

function toByte(v: number): number {
  return Number.isNaN(v) ? 0 : Math.round(255 * Math.min(1, Math.max(0, v)));
}

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
