import * as tf from '@tensorflow/tfjs-core';
import { type Augmenter, defineAugmenter, parseOptions, z } from '@perturb/core';
import { blend, gatherBatch } from './batch-ops';
import { augmenterOptions } from './options';
import { sampleBeta } from './sampling';

/** The options of {@link cutmix}, checked. */
export const cutmixOptions = augmenterOptions.extend({
  /** Concentration of the Beta(α, α) the kept area fraction is drawn from. Default 1 (uniform). */
  alpha: z.number().gt(0).default(1),
});

/** Options of {@link cutmix}. */
export type CutmixOptions = z.input<typeof cutmixOptions>;

/**
 * CutMix (Yun et al. 2019): per batch, draws λ ~ Beta(α, α) and a box of about (1 − λ) of the
 * image area centred at a uniform pixel (clipped at the borders); pastes that box from a
 * randomly paired sample of the batch into every sample, and mixes labels by the area actually
 * kept, λ' = 1 − box area / image area.
 */
export function cutmix(options: CutmixOptions = {}): Augmenter {
  const { alpha, name = 'cutmix' } = parseOptions(cutmixOptions, options, 'cutmix options');
  return {
    name,
    transform(batch, ctx) {
      const [n, h, w] = batch.x.shape;
      const lambda = sampleBeta(ctx.rng, alpha, alpha);
      const box = centredBox(ctx.rng.int(h), ctx.rng.int(w), h, w, Math.sqrt(1 - lambda));
      const partner = gatherBatch(batch, ctx.rng.permutation(n));
      const inBox = new Float32Array(h * w);
      for (let r = box.top; r < box.bottom; r++) inBox.fill(1, r * w + box.left, r * w + box.right);
      const keptArea = 1 - ((box.bottom - box.top) * (box.right - box.left)) / (h * w);
      const x = blend(batch.x, partner.x, tf.sub(1, tf.tensor4d(inBox, [1, h, w, 1])));
      return { x, y: blend(batch.y, partner.y, keptArea) };
    },
  };
}

/** The box of sides ⌊side·h⌋ × ⌊side·w⌋ centred at (row, col), clipped to the image. */
function centredBox(row: number, col: number, h: number, w: number, side: number) {
  const boxH = Math.floor(h * side);
  const boxW = Math.floor(w * side);
  return {
    top: clamp(row - Math.floor(boxH / 2), 0, h),
    bottom: clamp(row + Math.ceil(boxH / 2), 0, h),
    left: clamp(col - Math.floor(boxW / 2), 0, w),
    right: clamp(col + Math.ceil(boxW / 2), 0, w),
  };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

defineAugmenter({
  name: 'cutmix',
  summary: 'pastes a random box from a random partner, labels mixed by area (Yun et al. 2019)',
  schema: cutmixOptions,
  create: (options) => cutmix(options),
});
