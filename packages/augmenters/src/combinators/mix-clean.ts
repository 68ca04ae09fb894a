import {
  type Augmenter,
  type Rng,
  augmenterEntry,
  check,
  childContext,
  choiceStream,
  combinator,
  defineAugmenter,
  parseOptions,
  z,
} from '@perturb/core';
import { selectSamples } from '../batch-ops';
import { bernoulliFlags } from '../sampling';
import { augmenterOptions, probability } from '../options';

/** The options of {@link mixClean}, checked (its ratio among them). */
export const mixCleanOptions = augmenterOptions.extend({
  /** Probability that a sample is replaced by its augmented version. */
  ratio: probability,
  /**
   * Replace exactly round(ratio·N) samples, a random subset, instead of each sample
   * independently with probability `ratio` (Stutz et al.'s half clean, half adversarial batches).
   * Default false.
   */
  exact: z.boolean().default(false),
});

/** Options of {@link mixClean} (its ratio is an argument of its own). */
export type MixCleanOptions = Omit<z.input<typeof mixCleanOptions>, 'ratio'>;

/**
 * Runs `child` on the whole batch and keeps its output for each sample with probability
 * `ratio`, the clean sample otherwise: LA-Glow's `ratio`, and the clean/adversarial mix of
 * LA-VAE-GAN and A-FAN at ratio 0.5. Unlike {@link randomApply}, the child sees the whole batch
 * (an attack's BatchNorm statistics come from all samples, as in the papers' code); it is not
 * run at all when no sample is chosen. The child's loss stage, if any, is passed through unchanged.
 *
 * @param ratio probability that a sample is replaced by its augmented version.
 * @param options `name` defaults to `'mixClean(child)'`.
 */
export function mixClean(child: Augmenter, ratio: number, options: MixCleanOptions = {}): Augmenter {
  const { exact, name = `mixClean(${child.name})` } = parseOptions(
    mixCleanOptions,
    { ...options, ratio },
    'mixClean options',
  );
  const transform = child.transform?.bind(child);
  const losses = child.losses?.bind(child);
  check(
    transform,
    `mixClean got "${child.name}", which has no input stage to mix`,
    'pass an augmenter with a transform, or use randomApply for loss stages',
  );
  return combinator(name, [child], {
    transform: (batch, ctx) => {
      const choices = choiceStream(ctx, 'input');
      const n = batch.x.shape[0];
      const replaced = exact
        ? exactFlags(choices, n, Math.round(ratio * n))
        : bernoulliFlags(choices, n, ratio);
      if (!replaced.some((r) => r)) return batch;
      return selectSamples(replaced, transform(batch, childContext(ctx, child)), batch);
    },
    ...(losses && { losses: (batch, ctx) => losses(batch, childContext(ctx, child)) }),
  });
}

/** Exactly `count` of `n` flags set, at random positions. */
function exactFlags(rng: Rng, n: number, count: number): boolean[] {
  const flags = new Array<boolean>(n).fill(false);
  rng
    .permutation(n)
    .slice(0, count)
    .forEach((i) => (flags[i] = true));
  return flags;
}

defineAugmenter({
  name: 'mixClean',
  summary: 'replaces a ratio of the samples by its augmenter’s output, keeping the rest clean',
  schema: mixCleanOptions.extend({
    /** The augmenter whose output is mixed in: a name, or a `{ name, options }` entry. */
    augmenter: augmenterEntry,
  }),
  create: ({ augmenter, ratio, ...options }, env) =>
    mixClean(env.augmenter(augmenter, 'mixClean augmenter'), ratio, options),
});
