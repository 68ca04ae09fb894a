import type { Augmenter, LossStage } from '@perturb/core';
import type { AugmenterOptions } from '../options';
import { assemble, checkChildren, childContexts } from './children';

/**
 * Runs `children` in order as one augmenter. Input stage: each child transforms the previous
 * child's output. Loss stage: every child's loss stage runs on the batch it is given (the
 * final batch of the input stage, as the trainer passes it); their terms are concatenated and
 * their clean weights multiplied (½ from one child and 0.7 from another weigh the clean loss by
 * 0.35). Each child draws from its own stream, named by its name.
 *
 * @param options `name` defaults to `'pipeline'`.
 */
export function pipeline(children: readonly Augmenter[], options: AugmenterOptions = {}): Augmenter {
  checkChildren(children, 'pipeline');
  const withTransform = children.filter((c) => c.transform);
  const withLosses = children.filter((c) => c.losses);
  return assemble(
    options.name ?? 'pipeline',
    withTransform.length === 0
      ? null
      : (batch, ctx) => {
          const contextOf = childContexts(ctx);
          return withTransform.reduce((current, child) => child.transform!(current, contextOf(child)), batch);
        },
    withLosses.length === 0
      ? null
      : (batch, ctx) => {
          const contextOf = childContexts(ctx);
          return combineLossStages(withLosses.map((child) => child.losses!(batch, contextOf(child))));
        },
  );
}

/** All terms of `stages`, with the product of their clean weights. */
export function combineLossStages(stages: readonly LossStage[]): LossStage {
  return {
    cleanWeight: stages.reduce((weight, stage) => weight * (stage.cleanWeight ?? 1), 1),
    terms: () => stages.flatMap((stage) => stage.terms()),
  };
}
