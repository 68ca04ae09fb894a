import * as tf from '@tensorflow/tfjs-core';
import { type Augmenter, check, defineAugmenter, mapBatch, parseOptions, z } from '@perturb/core';
import { minBoxSize, withMovedBoxes, withoutBoxes } from './boxes';
import { augmenterOptions } from './options';

/** The options of {@link centerCrop}, checked. */
export const centerCropOptions = augmenterOptions.extend({
  /** Output height and width in pixels: one number for a square, or `[height, width]`. Required. */
  size: z.union([z.int().min(1), z.tuple([z.int().min(1), z.int().min(1)])]),
  /** Smallest width and height in pixels a box keeps once clipped; smaller ones are dropped. Default 1. */
  minBoxSize,
});

/** Options of {@link centerCrop}. */
export type CenterCropOptions = z.input<typeof centerCropOptions>;

/**
 * Crops every image to `size` at its centre, as torchvision's `CenterCrop` places the window
 * (offset round((side − size) / 2), halves to even as Python rounds), so the batch shrinks. A
 * label map is cropped with its image; boxes move with it, are clipped to the window and are
 * dropped when less than `minBoxSize` pixels wide or high remains (default 1). A size larger
 * than the images is refused: pad them first.
 */
export function centerCrop(options: CenterCropOptions): Augmenter {
  const {
    size,
    minBoxSize: minSize,
    name = 'centerCrop',
  } = parseOptions(centerCropOptions, options, 'centerCrop options');
  const [cropHeight, cropWidth] = typeof size === 'number' ? [size, size] : size;
  return {
    name,
    targets: ['labelMap', 'boxes'],
    transform(batch) {
      const [, height, width] = batch.x.shape;
      check(
        cropHeight <= height && cropWidth <= width,
        `centerCrop size ${cropHeight}×${cropWidth} is larger than the images (${height}×${width})`,
        'choose a size within the images, or pad them first (pad)',
      );
      const [top, left] = [centreOffset(height, cropHeight), centreOffset(width, cropWidth)];
      const cropped = mapBatch(withoutBoxes(batch), (t, part) =>
        part === 'y'
          ? t
          : tf.slice(
              t,
              [0, top, left, ...t.shape.slice(3).map(() => 0)],
              [-1, cropHeight, cropWidth, ...t.shape.slice(3)],
            ),
      );
      return withMovedBoxes(cropped, batch, () => (x, y) => [x - left, y - top], minSize);
    },
  };
}

/** torchvision's `int(round((side − crop) / 2))`: Python rounds a half to the even neighbour. */
function centreOffset(side: number, crop: number): number {
  const half = (side - crop) / 2;
  return Number.isInteger(half) ? half : 2 * Math.round(half / 2);
}

defineAugmenter({
  name: 'centerCrop',
  summary: 'crops each image to a size at its centre (label maps and boxes with it)',
  schema: centerCropOptions,
  create: (options) => centerCrop(options),
});
