import {
  type Augmenter,
  type Batch,
  type Rng,
  check,
  childContext,
  choiceStream,
  combinator,
  defineAugmenter,
  parseOptions,
  z,
} from '@perturb/core';
import { augmenterOptions } from '../options';
import { NO_LOSSES, buildChildren, childEntries, requireChildren } from './children';
import { transformGroups } from './groups';

/** The options of {@link oneOf}, checked (its weights among them). */
export const oneOfOptions = augmenterOptions.extend({
  /** Relative chances, one per augmenter, ≥ 0 with at least one > 0. Default: all equal. */
  weights: z
    .array(z.number().min(0))
    .refine((weights) => weights.some((w) => w > 0), { message: 'Give at least one weight > 0' })
    .optional(),
});

/** Options of {@link oneOf} (its weights are an argument of their own). */
export type OneOfOptions = Omit<z.input<typeof oneOfOptions>, 'weights'>;

/**
 * Applies one of `children` to each sample, picked per sample with probability proportional to
 * `weights`; each child runs once per call, on the samples that picked it. Loss stage: one
 * child is picked per batch (by the same weights, independently of the input stage's picks)
 * and its loss stage used; picking a child without one adds no terms.
 *
 * @param weights relative, non-negative, one per child. Default: all equal.
 * @param options `name` defaults to `'oneOf(a|b|…)'` from the children's names.
 */
export function oneOf(
  children: readonly Augmenter[],
  weights?: readonly number[],
  options: OneOfOptions = {},
): Augmenter {
  const settings = parseOptions(oneOfOptions, { ...options, weights }, 'oneOf options');
  requireChildren(children, 'oneOf');
  const chances = settings.weights ?? children.map(() => 1);
  check(
    chances.length === children.length,
    `oneOf got ${chances.length} weights for ${children.length} augmenters`,
    'pass one weight per augmenter',
  );
  const pick = weightedPicker(chances);
  return combinator(settings.name ?? `oneOf(${children.map((c) => c.name).join('|')})`, children, {
    ...(children.some((c) => c.transform) && {
      transform: (batch, ctx) => {
        const choices = choiceStream(ctx, 'input');
        const groups = Array.from({ length: batch.x.shape[0] }, () => pick(choices));
        const transforms = children.map((child) =>
          child.transform ? (b: Batch) => child.transform!(b, childContext(ctx, child)) : null,
        );
        return transformGroups(batch, groups, transforms);
      },
    }),
    ...(children.some((c) => c.losses) && {
      losses: (batch, ctx) => {
        const child = children[pick(choiceStream(ctx, 'losses'))];
        return child.losses ? child.losses(batch, childContext(ctx, child)) : NO_LOSSES;
      },
    }),
  });
}

/** Draws an index with probability proportional to its weight. */
function weightedPicker(weights: readonly number[]): (rng: Rng) => number {
  const total = weights.reduce((a, b) => a + b, 0);
  const lastPositive = weights.reduce((last, w, i) => (w > 0 ? i : last), 0);
  return (rng) => {
    let remaining = rng.next() * total;
    for (let i = 0; i < weights.length; i++) {
      remaining -= weights[i];
      if (remaining < 0 && weights[i] > 0) return i;
    }
    return lastPositive; // rounding left a sliver of `total` unassigned
  };
}

defineAugmenter({
  name: 'oneOf',
  summary: 'applies one of its augmenters to each sample, picked by weight',
  schema: oneOfOptions.extend({
    /** The augmenters to pick from: names, or `{ name, options }` entries. */
    augmenters: childEntries,
  }),
  create: ({ augmenters, weights, ...options }, env) =>
    oneOf(buildChildren(env, augmenters, 'oneOf'), weights, options),
});
