import type { Augmenter } from '@perturb/core';
import { blend, gatherBatch } from './batch-ops';
import { type AugmenterOptions, checkPositive } from './options';
import { sampleBeta } from './sampling';

/** Options of {@link mixup}. */
export interface MixupOptions extends AugmenterOptions {
  /** Concentration of the Beta(α, α) the mixing weight is drawn from. Default 1 (uniform). */
  alpha?: number;
}

/**
 * mixup (Zhang et al. 2018): draws λ ~ Beta(α, α) once per batch, pairs every sample with
 * one from a random permutation of the batch, and returns λ·a + (1 − λ)·b for images and
 * labels alike.
 */
export function mixup(options: MixupOptions = {}): Augmenter {
  const { alpha = 1, name = 'mixup' } = options;
  checkPositive(alpha, 'mixup alpha');
  return {
    name,
    transform(batch, ctx) {
      const lambda = sampleBeta(ctx.rng, alpha, alpha);
      const partner = gatherBatch(batch, ctx.rng.permutation(batch.x.shape[0]));
      return { x: blend(batch.x, partner.x, lambda), y: blend(batch.y, partner.y, lambda) };
    },
  };
}
