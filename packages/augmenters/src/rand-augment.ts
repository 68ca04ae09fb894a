import { type Augmenter, check, defineAugmenter, parseOptions, z } from '@perturb/core';
import { mapSamples, policyOptions } from './auto/run';
import { SPACES, applyOp, opsOf } from './auto/spaces';

/** The options of {@link randAugment}, checked. */
export const randAugmentOptions = policyOptions.extend({
  /** Operations applied in a row to each sample (RandAugment's N). Default 2. */
  n: z.int().min(0).default(2),
  /** Magnitude bin of every operation, 0 to `bins` − 1 (RandAugment's M). Default 9. */
  m: z.int().min(0).default(9),
  /** Number of magnitude bins the ranges are split into. Default 31, as torchvision. */
  bins: z.int().min(2).default(31),
});

/** Options of {@link randAugment}. */
export type RandAugmentOptions = z.input<typeof randAugmentOptions>;

/**
 * RandAugment (Cubuk et al. 2020): applies `n` operations drawn uniformly (with replacement) from
 * its 14, each at magnitude bin `m` with a random sign where the op has one, per sample.
 * Labels are unchanged.
 */
export function randAugment(options: RandAugmentOptions = {}): Augmenter {
  const {
    n,
    m,
    bins,
    interpolation,
    fill,
    name = 'randAugment',
  } = parseOptions(randAugmentOptions, options, 'randAugment options');
  check(m < bins, `"m" is ${m} with ${bins} bins in randAugment options`, `use an "m" below "bins"`);
  const ops = opsOf(SPACES.randAugment);
  return {
    name,
    transform: (batch, ctx) =>
      mapSamples(batch, (image) => {
        for (let i = 0; i < n; i++) {
          image = applyOp(ops[ctx.rng.int(ops.length)], m, bins, image, { interpolation, fill }, ctx.rng);
        }
        return image;
      }),
  };
}

defineAugmenter({
  name: 'randAugment',
  summary: 'n operations at magnitude m per sample (RandAugment, Cubuk et al. 2020)',
  schema: randAugmentOptions,
  create: (options) => randAugment(options),
});
