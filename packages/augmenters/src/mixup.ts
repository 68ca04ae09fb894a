import { type Augmenter, defineAugmenter, parseOptions, z } from '@perturb/core';
import { blend, gatherBatch } from './batch-ops';
import { augmenterOptions } from './options';
import { sampleBeta } from './sampling';

/** The options of {@link mixup}, checked. */
export const mixupOptions = augmenterOptions.extend({
  /** Concentration of the Beta(α, α) the mixing weight is drawn from. Default 1 (uniform). */
  alpha: z.number().gt(0).default(1),
});

/** Options of {@link mixup}. */
export type MixupOptions = z.input<typeof mixupOptions>;

/**
 * mixup (Zhang et al. 2018): draws λ ~ Beta(α, α) once per batch, pairs every sample with
 * one from a random permutation of the batch, and returns λ·a + (1 − λ)·b for images and
 * labels alike.
 */
export function mixup(options: MixupOptions = {}): Augmenter {
  const { alpha, name = 'mixup' } = parseOptions(mixupOptions, options, 'mixup options');
  return {
    name,
    transform(batch, ctx) {
      const lambda = sampleBeta(ctx.rng, alpha, alpha);
      const partner = gatherBatch(batch, ctx.rng.permutation(batch.x.shape[0]));
      return { x: blend(batch.x, partner.x, lambda), y: blend(batch.y, partner.y, lambda) };
    },
  };
}

defineAugmenter({
  name: 'mixup',
  summary: 'blends each sample with a random partner, images and labels alike (Zhang et al. 2018)',
  schema: mixupOptions,
  create: (options) => mixup(options),
});
