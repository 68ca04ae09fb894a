import * as tf from '@tensorflow/tfjs-core';
import { type Augmenter, defineAugmenter, parseOptions, z } from '@perturb/core';
import { augmenterOptions, probability } from './options';

/** The options of {@link cutout}, checked. */
export const cutoutOptions = augmenterOptions.extend({
  /**
   * Side of the square hole: a whole number of pixels (≥ 1), or a fraction of the image's
   * height and width when below 1 (rounded, at least one pixel). Default 8.
   */
  size: z
    .number()
    .gt(0)
    .refine((size) => size < 1 || Number.isInteger(size), {
      message: 'Use a fraction below 1 (of the image) or a whole number ≥ 1 (pixels)',
    })
    .default(8),
  /** Probability that a sample gets a hole. Default 1. */
  p: probability.default(1),
  /** Value written into the hole. Default 0. */
  fill: z.number().default(0),
});

/** Options of {@link cutout}. */
export type CutoutOptions = z.input<typeof cutoutOptions>;

/**
 * Cutout (DeVries & Taylor 2017): fills a square of `size` pixels with `fill`, centred at a
 * pixel drawn uniformly per sample and clipped at the borders (so holes near an edge are
 * smaller). Labels, label maps and boxes are unchanged: an occluded object keeps its box, as
 * torchvision v2's `RandomErasing` keeps it.
 */
export function cutout(options: CutoutOptions = {}): Augmenter {
  const { size, p, fill, name = 'cutout' } = parseOptions(cutoutOptions, options, 'cutout options');
  return {
    name,
    // It occludes pixels without moving any, so label maps and boxes stay as they are.
    targets: ['labelMap', 'boxes'],
    transform(batch, ctx) {
      const [n, h, w] = batch.x.shape;
      const holeH = size < 1 ? Math.max(1, Math.round(size * h)) : size;
      const holeW = size < 1 ? Math.max(1, Math.round(size * w)) : size;
      const hole = new Float32Array(n * h * w);
      let any = false;
      for (let i = 0; i < n; i++) {
        if (!ctx.rng.bernoulli(p)) continue;
        any = true;
        const top = ctx.rng.int(h) - Math.floor(holeH / 2);
        const left = ctx.rng.int(w) - Math.floor(holeW / 2);
        for (let r = Math.max(0, top); r < Math.min(h, top + holeH); r++) {
          hole.fill(1, (i * h + r) * w + Math.max(0, left), (i * h + r) * w + Math.min(w, left + holeW));
        }
      }
      if (!any) return batch;
      const inHole = tf.tensor4d(hole, [n, h, w, 1]);
      const x = tf.add(tf.mul(batch.x, tf.sub(1, inHole)), tf.mul(inHole, fill)) as tf.Tensor4D;
      return { ...batch, x };
    },
  };
}

defineAugmenter({
  name: 'cutout',
  summary: 'fills a square hole at a random centre of each sample (DeVries & Taylor 2017)',
  schema: cutoutOptions,
  create: (options) => cutout(options),
});
