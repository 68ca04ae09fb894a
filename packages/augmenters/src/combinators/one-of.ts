import { check, type Augmenter, type Batch, type Rng } from '@perturb/core';
import type { AugmenterOptions } from '../options';
import { NO_LOSSES, assemble, checkChildren, childContexts } from './children';
import { transformGroups } from './groups';

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
  options: AugmenterOptions = {},
): Augmenter {
  checkChildren(children, 'oneOf');
  const chances = weights ?? children.map(() => 1);
  check(
    chances.length === children.length,
    `oneOf got ${chances.length} weights for ${children.length} augmenters`,
    'pass one weight per augmenter',
  );
  check(
    chances.every((w) => Number.isFinite(w) && w >= 0) && chances.some((w) => w > 0),
    `oneOf weights [${chances.join(', ')}] are not non-negative with a positive sum`,
    'pass finite weights ≥ 0, at least one of them > 0',
  );
  const pick = weightedPicker(chances);
  return assemble(
    options.name ?? `oneOf(${children.map((c) => c.name).join('|')})`,
    children.some((c) => c.transform)
      ? (batch, ctx) => {
          const contextOf = childContexts(ctx);
          const groups = Array.from({ length: batch.x.shape[0] }, () => pick(ctx.rng));
          const transforms = children.map((child) =>
            child.transform ? (b: Batch) => child.transform!(b, contextOf(child)) : null,
          );
          return transformGroups(batch, groups, transforms);
        }
      : null,
    children.some((c) => c.losses)
      ? (batch, ctx) => {
          const contextOf = childContexts(ctx);
          const child = children[pick(ctx.rng)];
          return child.losses ? child.losses(batch, contextOf(child)) : NO_LOSSES;
        }
      : null,
  );
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
