/** Image grids written to PNG files (Node). */
import type * as tf from '@tensorflow/tfjs-core';
import { writeFileAtomic } from './atomic';
import { type ImageGridOptions, imageGridPng, imageGridSize } from './image-grid';

/**
 * Writes {@link imageGridPng}'s grid to `path`, atomically (creating the folder). Returns the
 * grid's pixel size.
 */
export function writeImageGrid(
  path: string,
  images: tf.Tensor4D,
  options: ImageGridOptions = {},
): { width: number; height: number } {
  writeFileAtomic(path, imageGridPng(images, options));
  return imageGridSize(images, options);
}
