/**
 * Images as one PNG grid (flow samples and reconstructions, VAE-GAN samples, clean vs augmented
 * batches). Encoded by fast-png, a pure-JS codec (no native addon, runs in browsers too), so the
 * packages that write grids pull no rasterizer or fonts. Writing one to a file is
 * `image-grid-file.ts`, in the Node entry.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { encode } from 'fast-png';
import { PerturbError } from './errors';

/** How {@link imageGridPng} lays the images out. */
export interface ImageGridOptions {
  /** Images per row. Default ⌈√N⌉. */
  cols?: number;
  /** Pixels of background between images and around the grid. Default 1. */
  padding?: number;
  /** Background gray level in [0, 1]. Default 1 (white). */
  background?: number;
}

/** Where each image goes in a grid, and the grid's size. */
interface GridLayout {
  cols: number;
  pad: number;
  width: number;
  height: number;
}

/**
 * Encodes images (NHWC, values in [0, 1], clamped, NaN as 0; 1 channel for gray or 3 for RGB)
 * as one PNG grid, gray or RGB like the images.
 */
export function imageGridPng(images: tf.Tensor4D, options: ImageGridOptions = {}): Uint8Array {
  const [n, h, w, c] = images.shape;
  const { cols, pad, width, height } = layout(images, options);
  const data = new Uint8Array(width * height * c).fill(toByte(options.background ?? 1));
  const values = images.dataSync();
  for (let i = 0; i < n; i++) {
    const top = pad + Math.floor(i / cols) * (h + pad);
    const left = pad + (i % cols) * (w + pad);
    for (let y = 0; y < h; y++) {
      const source = (i * h + y) * w * c;
      const target = ((top + y) * width + left) * c;
      for (let k = 0; k < w * c; k++) data[target + k] = toByte(values[source + k]);
    }
  }
  return encode({ width, height, data, channels: c, depth: 8 });
}

/** The pixel size of {@link imageGridPng}'s grid of `images`. */
export function imageGridSize(
  images: tf.Tensor4D,
  options: ImageGridOptions = {},
): { width: number; height: number } {
  const { width, height } = layout(images, options);
  return { width, height };
}

function layout(images: tf.Tensor4D, options: ImageGridOptions): GridLayout {
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
  return { cols, pad, width: cols * (w + pad) + pad, height: rows * (h + pad) + pad };
}

function toByte(v: number): number {
  return Number.isNaN(v) ? 0 : Math.round(255 * Math.min(1, Math.max(0, v)));
}
