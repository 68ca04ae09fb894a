import * as tf from '@tensorflow/tfjs-core';
import { type Augmenter, type Batch, defineAugmenter, parseOptions, z } from '@perturb/core';
import { withMovedBoxes } from './boxes';
import { augmenterOptions } from './options';

/** The options of {@link resize}, checked. */
export const resizeOptions = augmenterOptions.extend({
  /** Output height and width in pixels: one number for a square, or `[height, width]`. Required. */
  size: z.union([z.int().min(1), z.tuple([z.int().min(1), z.int().min(1)])]),
});

/** Options of {@link resize}. */
export type ResizeOptions = z.input<typeof resizeOptions>;

/**
 * Resizes every image to `size` (the batch takes that size): images bilinearly, label maps by
 * nearest sampling, both with half-pixel centres (torchvision's `align_corners=False`, without
 * antialiasing), and boxes scaled by the same factors, (x1, y1, x2, y2) → (sx·x1, sy·y1, sx·x2,
 * sy·y2). No box leaves the image, so none is dropped.
 */
export function resize(options: ResizeOptions): Augmenter {
  const { size, name = 'resize' } = parseOptions(resizeOptions, options, 'resize options');
  const [height, width] = typeof size === 'number' ? [size, size] : size;
  return {
    name,
    targets: ['labelMap', 'boxes'],
    transform(batch) {
      const [, inHeight, inWidth] = batch.x.shape;
      if (inHeight === height && inWidth === width) return batch;
      const { labelMap } = batch;
      const resized: Batch = {
        x: tf.image.resizeBilinear(batch.x, [height, width], false, true),
        y: batch.y,
        ...(labelMap
          ? { labelMap: { ...labelMap, classes: nearestLabels(labelMap.classes, height, width) } }
          : {}),
      };
      const [sx, sy] = [width / inWidth, height / inHeight];
      return withMovedBoxes(resized, batch, () => (x, y) => [sx * x, sy * y], 0);
    },
  };
}

/** Class ids `[N, H, W]` resized by nearest sampling (never blended), as int32 again. */
function nearestLabels(classes: tf.Tensor3D, height: number, width: number): tf.Tensor3D {
  const map = tf.expandDims(tf.cast(classes, 'float32'), 3) as tf.Tensor4D;
  const nearest = tf.image.resizeNearestNeighbor(map, [height, width], false, true);
  return tf.cast(tf.squeeze(nearest, [3]), 'int32') as tf.Tensor3D;
}

defineAugmenter({
  name: 'resize',
  summary: 'resizes each image to a size (label maps by nearest, boxes scaled)',
  schema: resizeOptions,
  create: (options) => resize(options),
});
