import { type Augmenter, compose, defineAugmenter, parseOptions } from '@perturb/core';
import { type AugmenterOptions, augmenterOptions } from '../options';
import { buildChildren, childEntries, requireChildren } from './children';

/**
 * Runs `children` in order as one augmenter: core's `compose`, the same sequence the trainer
 * makes of its list of augmenters. Input stage: each child transforms the previous child's
 * output. Loss stage: every child's loss stage runs on the batch it is given (the final batch of
 * the input stage, as the trainer passes it); their terms are concatenated and their clean
 * weights multiplied (½ from one child and 0.7 from another weigh the clean loss by 0.35). Each
 * child draws from its own stream and keeps its own slot of the saved state, both named by its
 * name. A pipeline inside a pipeline (or in the trainer's list) is flattened into it, so
 * `train({ augmenters: [pipeline([a, b])] })` is `train({ augmenters: [a, b] })`.
 *
 * @param options `name` defaults to `'pipeline'`.
 */
export function pipeline(children: readonly Augmenter[], options: AugmenterOptions = {}): Augmenter {
  const { name = 'pipeline' } = parseOptions(augmenterOptions, options, 'pipeline options');
  requireChildren(children, 'pipeline');
  return compose(children, { name });
}

defineAugmenter({
  name: 'pipeline',
  summary: 'runs its augmenters in order, as one',
  schema: augmenterOptions.extend({
    /** The augmenters to run in order: names, or `{ name, options }` entries. */
    augmenters: childEntries,
  }),
  create: ({ augmenters, ...options }, env) => pipeline(buildChildren(env, augmenters, 'pipeline'), options),
});
