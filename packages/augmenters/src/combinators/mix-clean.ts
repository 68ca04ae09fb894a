import { check, type Augmenter, type Rng } from '@perturb/core';
import { selectSamples } from '../batch-ops';
import { bernoulliFlags } from '../sampling';
import { type AugmenterOptions, checkProbability } from '../options';
import { assemble, childContexts } from './children';

/** Options of {@link mixClean}. */
export interface MixCleanOptions extends AugmenterOptions {
  /**
   * Replace exactly round(ratio·N) samples, a random subset, instead of each sample
   * independently with probability `ratio` (Stutz et al.'s half clean, half adversarial batches).
   * Default false.
   */
  exact?: boolean;
}

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
  const { exact = false, name = `mixClean(${child.name})` } = options;
  checkProbability(ratio, 'mixClean ratio');
  const transform = child.transform?.bind(child);
  check(
    transform,
    `mixClean got "${child.name}", which has no input stage to mix`,
    'pass an augmenter with a transform, or use randomApply for loss stages',
  );
  const losses = child.losses?.bind(child);
  return assemble(
    name,
    (batch, ctx) => {
      const contextOf = childContexts(ctx);
      const n = batch.x.shape[0];
      const replaced = exact
        ? exactFlags(ctx.rng, n, Math.round(ratio * n))
        : bernoulliFlags(ctx.rng, n, ratio);
      if (!replaced.some((r) => r)) return batch;
      return selectSamples(replaced, transform(batch, contextOf(child)), batch);
    },
    losses ? (batch, ctx) => losses(batch, childContexts(ctx)(child)) : null,
  );
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
