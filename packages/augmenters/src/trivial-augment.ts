import { type Augmenter, defineAugmenter, parseOptions, z } from '@perturb/core';
import { mapSamples, policyOptions } from './auto/run';
import { SPACES, applyOp, opsOf } from './auto/spaces';

/** The options of {@link trivialAugment}, checked. */
export const trivialAugmentOptions = policyOptions.extend({
  /** Number of magnitude bins the ranges are split into. Default 31, as the paper and torchvision. */
  bins: z.int().min(2).default(31),
});

/** Options of {@link trivialAugment}. */
export type TrivialAugmentOptions = z.input<typeof trivialAugmentOptions>;

/**
 * TrivialAugment, wide space (Müller & Hutter 2021): one operation per sample, drawn uniformly,
 * at a magnitude bin drawn uniformly, with a random sign where the op has one. Translations
 * reach 32 pixels whatever the image size, as published. Labels are unchanged.
 */
export function trivialAugment(options: TrivialAugmentOptions = {}): Augmenter {
  const {
    bins,
    interpolation,
    fill,
    name = 'trivialAugment',
  } = parseOptions(trivialAugmentOptions, options, 'trivialAugment options');
  const ops = opsOf(SPACES.trivialAugmentWide);
  return {
    name,
    transform: (batch, ctx) =>
      mapSamples(batch, (image) => {
        const op = ops[ctx.rng.int(ops.length)];
        return applyOp(op, ctx.rng.int(bins), bins, image, { interpolation, fill }, ctx.rng);
      }),
  };
}

defineAugmenter({
  name: 'trivialAugment',
  summary:
    'one random operation at a random magnitude per sample (TrivialAugment wide, Müller & Hutter 2021)',
  schema: trivialAugmentOptions,
  create: (options) => trivialAugment(options),
});
