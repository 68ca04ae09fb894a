import {
  type Augmenter,
  augmenterEntry,
  childContext,
  choiceStream,
  combinator,
  defineAugmenter,
  parseOptions,
  z,
} from '@perturb/core';
import { bernoulliFlags } from '../sampling';
import { augmenterOptions, probability } from '../options';
import { NO_LOSSES } from './children';
import { transformGroups } from './groups';

/** The options of {@link randomApply}, checked (its probability among them). */
export const randomApplyOptions = augmenterOptions.extend({
  /** Probability of applying the augmenter. */
  p: probability,
  /**
   * `'sample'`: each sample is augmented with probability p, and the child runs only on that
   * random subset of the batch. `'batch'`: the whole batch is augmented with probability p.
   * Default `'sample'`.
   */
  per: z.enum(['sample', 'batch']).default('sample'),
});

/** Options of {@link randomApply} (its probability is an argument of its own). */
export type RandomApplyOptions = Omit<z.input<typeof randomApplyOptions>, 'p'>;

/**
 * Applies `child` with probability `p`. The input stage follows `per`; the loss stage is
 * applied to the whole batch with probability p (drawn per batch, independently), since a
 * child's clean weight is a statement about the whole batch.
 *
 * @param options `name` defaults to `'randomApply(child)'`.
 */
export function randomApply(child: Augmenter, p: number, options: RandomApplyOptions = {}): Augmenter {
  const { per, name = `randomApply(${child.name})` } = parseOptions(
    randomApplyOptions,
    { ...options, p },
    'randomApply options',
  );
  const transform = child.transform?.bind(child);
  const losses = child.losses?.bind(child);
  return combinator(name, [child], {
    ...(transform && {
      transform: (batch, ctx) => {
        const choices = choiceStream(ctx, 'input');
        const run = (b: typeof batch) => transform(b, childContext(ctx, child));
        if (per === 'batch') return choices.bernoulli(p) ? run(batch) : batch;
        const applied = bernoulliFlags(choices, batch.x.shape[0], p);
        return transformGroups(
          batch,
          applied.map((a) => (a ? 0 : 1)),
          [run, null],
        );
      },
    }),
    ...(losses && {
      losses: (batch, ctx) =>
        choiceStream(ctx, 'losses').bernoulli(p) ? losses(batch, childContext(ctx, child)) : NO_LOSSES,
    }),
  });
}

defineAugmenter({
  name: 'randomApply',
  summary: 'applies its augmenter with probability p, per sample or per batch',
  schema: randomApplyOptions.extend({
    /** The augmenter to apply: a name, or a `{ name, options }` entry. */
    augmenter: augmenterEntry,
  }),
  create: ({ augmenter, p, ...options }, env) =>
    randomApply(env.augmenter(augmenter, 'randomApply augmenter'), p, options),
});
