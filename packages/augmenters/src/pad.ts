import * as tf from '@tensorflow/tfjs-core';
import { type Augmenter, defineAugmenter, mapBatch, parseOptions, z } from '@perturb/core';
import { type PointMap, withMovedBoxes, withoutBoxes } from './boxes';
import { augmenterOptions } from './options';

/** The options of {@link pad}, checked. */
export const padOptions = augmenterOptions.extend({
  /** Pixels added on every side. Default 4. */
  padding: z.int().min(0).default(4),
  /** Value of the padded image pixels. Default 0. */
  fill: z.number().default(0),
});

/** Options of {@link pad}. */
export type PadOptions = z.input<typeof padOptions>;

/** `t` (`[N, H, W, …]`) with `padding` pixels of `value` added on every side of its H and W axes. */
export function padSides<T extends tf.Tensor>(t: T, padding: number, value: number): T {
  const sides: Array<[number, number]> = t.shape.map((_, axis) =>
    axis === 1 || axis === 2 ? [padding, padding] : [0, 0],
  );
  return tf.pad(t, sides, value) as T;
}

/**
 * Pads every image by `padding` pixels of `fill` on each side, so the batch grows by
 * 2·`padding` pixels in height and width. A label map is padded with its ignore index, so the
 * border counts in no loss or metric.
 */
export function pad(options: PadOptions = {}): Augmenter {
  const { padding, fill, name = 'pad' } = parseOptions(padOptions, options, 'pad options');
  return {
    name,
    targets: ['labelMap', 'boxes'],
    transform(batch) {
      if (padding === 0) return batch;
      const padded = mapBatch(withoutBoxes(batch), (t, part) =>
        part === 'y' ? t : padSides(t, padding, part === 'x' ? fill : batch.labelMap!.ignoreIndex),
      );
      const shift: PointMap = (x, y) => [x + padding, y + padding];
      return withMovedBoxes(padded, batch, () => shift, 0);
    },
  };
}

defineAugmenter({
  name: 'pad',
  summary: 'pads each image by a border of pixels (label maps by the ignore index)',
  schema: padOptions,
  create: (options) => pad(options),
});
