/** What the combinators share: their children, given in code or named in a config. */
import {
  type Augmenter,
  type Batch,
  type BuildEnvironment,
  type LossStage,
  augmenterEntry,
  check,
  z,
} from '@perturb/core';

/** Throws unless a combinator got at least one child. */
export function requireChildren(children: readonly Augmenter[], combinator: string): void {
  check(children.length > 0, `${combinator} got no augmenters`, 'pass at least one augmenter');
}

/** A combinator's children in a config: a non-empty list of augmenter entries. */
export const childEntries = z.array(augmenterEntry).min(1);

/** Builds the children a config names for `combinator`. */
export function buildChildren(
  env: BuildEnvironment,
  entries: readonly unknown[],
  combinator: string,
): Augmenter[] {
  return entries.map((entry, i) => env.augmenter(entry, `${combinator} augmenters[${i}]`));
}

/** A child's input stage bound to its context, or null when it has none. */
export type BoundTransform = ((batch: Batch) => Batch) | null;

/** The loss stage of a step on which a combinator applies no child's loss stage. */
export const NO_LOSSES: LossStage = { terms: () => [] };
