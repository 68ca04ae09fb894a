import { type Augmenter, defineAugmenter, parseOptions, z } from '@perturb/core';
import { AUTO_AUGMENT_BINS, POLICIES } from './auto/policies';
import { mapSamples, policyOptions } from './auto/run';
import { SPACES, applyOp } from './auto/spaces';

/** The options of {@link autoAugment}, checked. */
export const autoAugmentOptions = policyOptions.extend({
  /** The learned policy to apply. Default `'cifar10'`, the only one shipped so far. */
  policy: z.enum(['cifar10']).default('cifar10'),
});

/** Options of {@link autoAugment}. */
export type AutoAugmentOptions = z.input<typeof autoAugmentOptions>;

/**
 * AutoAugment (Cubuk et al. 2019) with a published policy: per sample, one sub-policy drawn
 * uniformly, whose two operations each apply with their own probability, at their magnitude
 * bin of 10, with a random sign where the op has one. Labels are unchanged.
 */
export function autoAugment(options: AutoAugmentOptions = {}): Augmenter {
  const {
    policy,
    interpolation,
    fill,
    name = 'autoAugment',
  } = parseOptions(autoAugmentOptions, options, 'autoAugment options');
  const subPolicies = POLICIES[policy];
  return {
    name,
    transform: (batch, ctx) =>
      mapSamples(batch, (image) => {
        for (const [op, p, bin = 0] of subPolicies[ctx.rng.int(subPolicies.length)]) {
          if (!ctx.rng.bernoulli(p)) continue;
          const step = { name: op, range: SPACES.autoAugment[op] };
          image = applyOp(step, bin, AUTO_AUGMENT_BINS, image, { interpolation, fill }, ctx.rng);
        }
        return image;
      }),
  };
}

defineAugmenter({
  name: 'autoAugment',
  summary: "a learned policy's sub-policy per sample (AutoAugment, Cubuk et al. 2019; CIFAR-10 policy)",
  schema: autoAugmentOptions,
  create: (options) => autoAugment(options),
});
