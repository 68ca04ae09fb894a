import * as tf from '@tensorflow/tfjs-core';
import { check, type Augmenter } from '@perturb/core';
import { type AugmenterOptions, checkPositive, checkProbability } from './options';

/** Options of {@link cutout}. */
export interface CutoutOptions extends AugmenterOptions {
  /**
   * Side of the square hole: a whole number of pixels (≥ 1), or a fraction of the image's
   * height and width when below 1 (rounded, at least one pixel). Default 8.
   */
  size?: number;
  /** Probability that a sample gets a hole. Default 1. */
  p?: number;
  /** Value written into the hole. Default 0. */
  fill?: number;
}

/**
 * Cutout (DeVries & Taylor 2017): fills a square of `size` pixels with `fill`, centred at a
 * pixel drawn uniformly per sample and clipped at the borders (so holes near an edge are
 * smaller). Labels are unchanged.
 */
export function cutout(options: CutoutOptions = {}): Augmenter {
  const { size = 8, p = 1, fill = 0, name = 'cutout' } = options;
  checkPositive(size, 'cutout size');
  check(
    size < 1 || Number.isInteger(size),
    `cutout size ${size} is neither a fraction nor whole pixels`,
    'pass a number below 1 (a fraction of the image) or an integer ≥ 1 (pixels)',
  );
  checkProbability(p, 'cutout p');
  return {
    name,
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
      return { x, y: batch.y };
    },
  };
}
