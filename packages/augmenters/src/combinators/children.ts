/** What every combinator does with its children: give each its own stream, build itself from their stages. */
import { Rng, check, type Augmenter, type Batch, type LossStage, type StepContext } from '@perturb/core';

/**
 * The contexts of a combinator's children for one call. One draw from the combinator's stream
 * seeds a family of streams named by the children's names, so children's numbers change from
 * step to step yet depend only on the combinator's stream position (which checkpoints save),
 * and adding a child shifts no sibling's numbers.
 */
export function childContexts(ctx: StepContext): (child: Augmenter) => StepContext {
  const family = new Rng(ctx.rng.nextUint32());
  return (child) => ({ ...ctx, rng: family.child(child.name) });
}

/** Throws unless there is at least one child and their names (their streams' names) are unique. */
export function checkChildren(children: readonly Augmenter[], combinator: string): void {
  check(children.length > 0, `${combinator} got no augmenters`, 'pass at least one augmenter');
  const seen = new Set<string>();
  for (const child of children) {
    check(
      !seen.has(child.name),
      `${combinator} has two augmenters named "${child.name}", which would share one random stream`,
      'give each a unique `name` option',
    );
    seen.add(child.name);
  }
}

/** The loss stage of a step on which a combinator applies no child's loss stage. */
export const NO_LOSSES: LossStage = { terms: () => [] };

/** An augmenter with only the stages that are given, so callers can tell which stages it has. */
export function assemble(
  name: string,
  transform: Augmenter['transform'] | null,
  losses: Augmenter['losses'] | null,
): Augmenter {
  return { name, ...(transform ? { transform } : {}), ...(losses ? { losses } : {}) };
}

/** A child's input stage bound to its context, or null when it has none. */
export type BoundTransform = ((batch: Batch) => Batch) | null;
