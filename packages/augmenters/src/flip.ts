import * as tf from '@tensorflow/tfjs-core';
import { type Augmenter, defineAugmenter, mapBatch, parseOptions, type z } from '@perturb/core';
import { selectSamples } from './batch-ops';
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
 * unchanged; a label map is mirrored with its image.
 */
export function horizontalFlip(options: HorizontalFlipOptions = {}): Augmenter {
  const { p, name = 'horizontalFlip' } = parseOptions(
    horizontalFlipOptions,
    options,
    'horizontalFlip options',
  );
  return {
    name,
    targets: ['labelMap'],
    transform(batch, ctx) {
      const flags = bernoulliFlags(ctx.rng, batch.x.shape[0], p);
      if (!flags.some((f) => f)) return batch;
      const flipped = mapBatch(batch, (t, part) => (part === 'y' ? t : tf.reverse(t, 2)));
      return selectSamples(flags, flipped, batch);
    },
  };
}

defineAugmenter({
  name: 'horizontalFlip',
  summary: 'mirrors each sample left–right with probability p',
  schema: horizontalFlipOptions,
  create: (options) => horizontalFlip(options),
});
