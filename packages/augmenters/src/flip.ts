import * as tf from '@tensorflow/tfjs-core';
import { type Augmenter, defineAugmenter, mapBatch, parseOptions, type z } from '@perturb/core';
import { selectSamples } from './batch-ops';
import { type PointMap, withMovedBoxes, withoutBoxes } from './boxes';
import { augmenterOptions, probability } from './options';
import { bernoulliFlags } from './sampling';

/** The options of {@link horizontalFlip}, checked. */
export const horizontalFlipOptions = augmenterOptions.extend({
  /** Probability that a sample is mirrored. Default 0.5. */
  p: probability.default(0.5),
});

/** Options of {@link horizontalFlip}. */
export type HorizontalFlipOptions = z.input<typeof horizontalFlipOptions>;

/**
 * Mirrors each sample left–right with probability `p`, decided per sample. Class labels are
 * unchanged; a label map is mirrored with its image, and a box (x1, y1, x2, y2) of a W-wide
 * image becomes (W − x2, y1, W − x1, y2).
 */
export function horizontalFlip(options: HorizontalFlipOptions = {}): Augmenter {
  const { p, name = 'horizontalFlip' } = parseOptions(
    horizontalFlipOptions,
    options,
    'horizontalFlip options',
  );
  return {
    name,
    targets: ['labelMap', 'boxes'],
    transform(batch, ctx) {
      const flags = bernoulliFlags(ctx.rng, batch.x.shape[0], p);
      if (!flags.some((f) => f)) return batch;
      const pixels = withoutBoxes(batch);
      const flipped = mapBatch(pixels, (t, part) => (part === 'y' ? t : tf.reverse(t, 2)));
      const width = batch.x.shape[2];
      const mirror: PointMap = (x, y) => [width - x, y];
      // A mirror moves no box out of the image, so none is dropped.
      return withMovedBoxes(
        selectSamples(flags, flipped, pixels),
        batch,
        (i) => (flags[i] ? mirror : null),
        0,
      );
    },
  };
}

defineAugmenter({
  name: 'horizontalFlip',
  summary: 'mirrors each sample left–right with probability p',
  schema: horizontalFlipOptions,
  create: (options) => horizontalFlip(options),
});
