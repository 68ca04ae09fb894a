import * as tf from '@tensorflow/tfjs-core';
import type { Augmenter } from '@perturb/core';
import { selectSamples } from './batch-ops';
import { type AugmenterOptions, checkProbability } from './options';
import { bernoulliFlags } from './sampling';

/** Options of {@link horizontalFlip}. */
export interface HorizontalFlipOptions extends AugmenterOptions {
  /** Probability that a sample is mirrored. Default 0.5. */
  p?: number;
}

/** Mirrors each sample left–right with probability `p`, decided per sample. Labels are unchanged. */
export function horizontalFlip(options: HorizontalFlipOptions = {}): Augmenter {
  const { p = 0.5, name = 'horizontalFlip' } = options;
  checkProbability(p, 'horizontalFlip p');
  return {
    name,
    transform(batch, ctx) {
      const flags = bernoulliFlags(ctx.rng, batch.x.shape[0], p);
      if (!flags.some((f) => f)) return batch;
      const flipped = { x: tf.reverse(batch.x, 2), y: batch.y };
      return selectSamples(flags, flipped, batch);
    },
  };
}
