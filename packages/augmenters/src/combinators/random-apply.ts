import type { Augmenter } from '@perturb/core';
import { bernoulliFlags } from '../sampling';
import { type AugmenterOptions, checkChoice, checkProbability } from '../options';
import { NO_LOSSES, assemble, childContexts } from './children';
import { transformGroups } from './groups';

/** Options of {@link randomApply}. */
export interface RandomApplyOptions extends AugmenterOptions {
  /**
   * `'sample'`: each sample is augmented with probability p, and the child runs only on that
   * random subset of the batch. `'batch'`: the whole batch is augmented with probability p.
   * Default `'sample'`.
   */
  per?: 'sample' | 'batch';
}

/**
 * Applies `child` with probability `p`. The input stage follows `per`; the loss stage is
 * applied to the whole batch with probability p (drawn per batch, independently), since a
 * child's clean weight is a statement about the whole batch.
 *
 * @param options `name` defaults to `'randomApply(child)'`.
 */
export function randomApply(child: Augmenter, p: number, options: RandomApplyOptions = {}): Augmenter {
  const { per = 'sample', name = `randomApply(${child.name})` } = options;
  checkProbability(p, 'randomApply p');
  checkChoice(per, ['sample', 'batch'], 'randomApply per');
  const transform = child.transform?.bind(child);
  const losses = child.losses?.bind(child);
  return assemble(
    name,
    transform
      ? (batch, ctx) => {
          const contextOf = childContexts(ctx);
          if (per === 'batch') return ctx.rng.bernoulli(p) ? transform(batch, contextOf(child)) : batch;
          const applied = bernoulliFlags(ctx.rng, batch.x.shape[0], p);
          return transformGroups(
            batch,
            applied.map((a) => (a ? 0 : 1)),
            [(b) => transform(b, contextOf(child)), null],
          );
        }
      : null,
    losses
      ? (batch, ctx) => {
          const contextOf = childContexts(ctx);
          return ctx.rng.bernoulli(p) ? losses(batch, contextOf(child)) : NO_LOSSES;
        }
      : null,
  );
}
