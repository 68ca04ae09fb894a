/**
 * The one composition rule of augmenters. The trainer runs its list of augmenters as one
 * `compose`d sequence, and every combinator (`pipeline`, `oneOf`, `randomApply`, `mixClean`) is
 * a `combinator` over its children, so all of them agree on three things:
 *
 * - **Streams.** The stream of step n is `rng.child('augmenters').child('step-<n>')` of the run's
 *   seed ({@link stepContext}); a child's stream is its parent's `.child('augmenter:<name>')`
 *   ({@link childContext}); a combinator's own random choices come from its stream's
 *   `.child('choices:<stage>')` ({@link choiceStream}). Every stream is derived from names, never
 *   from another stream's position, so no position carries from one step to the next (a resumed
 *   run draws exactly what an uninterrupted one would) and adding an augmenter shifts no
 *   sibling's numbers.
 * - **State.** A combinator's `state()` is `{ [childName]: childState }` over its children that
 *   have state, nested as deep as the combinators are; `loadState` hands each child its own back
 *   and refuses state that does not fit, so a resumed run never silently starts a child afresh.
 * - **Sequences.** A sequence nested in a sequence is flattened into it, so
 *   `compose([a, compose([b, c])])` is `compose([a, b, c])`: same streams, same state, and
 *   `train({ augmenters: [a, b] })` is `train({ augmenters: [pipeline([a, b])] })`.
 */
import { PerturbError, check } from './errors';
import type { Augmenter, Batch, DenseTarget, LossStage, Model, StepContext } from './plugin';
import type { Rng } from './rng';

/**
 * The root context of one training step: what the trainer hands its composed augmenters. Pass
 * the run's `Rng` (any `Rng` of the run's seed: only its seed is used) and a new `step` each
 * time, and the augmenters draw new numbers at every step and the same ones on every rerun.
 */
export function stepContext(model: Model, run: Rng, at: { step: number; epoch: number }): StepContext {
  return { model, rng: run.child('augmenters').child(`step-${at.step}`), step: at.step, epoch: at.epoch };
}

/** The context a combinator hands `child`: the same step, the child's own stream. */
export function childContext(ctx: StepContext, child: Augmenter): StepContext {
  return { ...ctx, rng: ctx.rng.child(`augmenter:${child.name}`) };
}

/**
 * The stream a combinator draws its own choices from in one stage (which child, which samples).
 * One per stage, so the loss stage's choices do not repeat the input stage's.
 */
export function choiceStream(ctx: StepContext, stage: 'input' | 'losses'): Rng {
  return ctx.rng.child(`choices:${stage}`);
}

/** The stages a combinator implements; it has each stage it is given. */
export interface CombinatorStages {
  transform?: (batch: Batch, ctx: StepContext) => Batch;
  losses?: (batch: Batch, ctx: StepContext) => LossStage;
}

/**
 * An augmenter made of `children`: it has the given stages and, if any child has state, a
 * `state()`/`loadState` that pass the children's state through, keyed by child name. It keeps
 * a batch's dense targets aligned where every child does (its `targets` are those all children
 * list). The stages must run children with {@link childContext} and draw their own choices from
 * {@link choiceStream}. Throws a `PerturbError` if two children share a name (they would share a
 * stream and a slot of the saved state).
 */
export function combinator(
  name: string,
  children: readonly Augmenter[],
  stages: CombinatorStages,
): Augmenter {
  checkUniqueNames(children, name);
  const stateful = children.filter((child) => child.state);
  const targets =
    children.length === 0 ? [] : DENSE_TARGETS.filter((t) => children.every((c) => c.targets?.includes(t)));
  const built: Augmenter = {
    name,
    ...(targets.length > 0 ? { targets } : {}),
    ...(stages.transform ? { transform: stages.transform } : {}),
    ...(stages.losses ? { losses: stages.losses } : {}),
    ...(stateful.length > 0
      ? {
          state: () => Object.fromEntries(stateful.map((child) => [child.name, child.state!()])),
          loadState: (state: unknown) => loadChildStates(name, stateful, state),
        }
      : {}),
  };
  return Object.defineProperty(built, COMBINATOR_CHILDREN, { value: children });
}

/** Every kind of dense target a batch can carry. */
const DENSE_TARGETS: readonly DenseTarget[] = ['labelMap', 'boxes'];

/** Where a combinator keeps its children, so a refusal can name the child that refuses. */
const COMBINATOR_CHILDREN = Symbol.for('perturb.compose.children');

/** What a dense target is called in messages, and where the augmenters that keep it are listed. */
const TARGET_NAMES: Record<DenseTarget, { plural: string; guide: string }> = {
  labelMap: { plural: 'label maps', guide: 'docs/segmentation.md' },
  boxes: { plural: 'object boxes', guide: 'the @perturb/augmenters README' },
};

/**
 * Refuses `batch` if it carries a dense target that `augmenter`, or any augmenter inside it,
 * does not keep aligned with the images: one line naming the first such augmenter.
 */
export function checkTargets(augmenter: Augmenter, batch: Batch): void {
  for (const target of DENSE_TARGETS) {
    if (batch[target] === undefined) continue;
    const refusing = firstRefusing(augmenter, target);
    if (refusing) {
      const { plural, guide } = TARGET_NAMES[target];
      throw new PerturbError(
        `${refusing.name} cannot augment batches with ${plural}: it would change the images without moving their ${plural} along`,
        `remove ${refusing.name} from the augmenters, or use ones that keep ${plural} (${guide} lists them)`,
      );
    }
  }
}

function firstRefusing(augmenter: Augmenter, target: DenseTarget): Augmenter | undefined {
  const children = (augmenter as { [COMBINATOR_CHILDREN]?: readonly Augmenter[] })[COMBINATOR_CHILDREN];
  if (!children) return augmenter.targets?.includes(target) ? undefined : augmenter;
  for (const child of children) {
    const refusing = firstRefusing(child, target);
    if (refusing) return refusing;
  }
  return undefined;
}

/** Where a sequence keeps its (already flat) children, so an enclosing sequence can take them over. */
const SEQUENCE_CHILDREN = Symbol.for('perturb.compose.sequence');

/**
 * Runs `children` in order as one augmenter. Input stage: each child transforms the previous
 * child's output. Loss stage: every child's loss stage runs on the batch it is given (the final
 * batch of the input stage, as the trainer passes it); their terms are concatenated and their
 * clean weights multiplied (½ from one child and 0.7 from another weigh the clean loss by 0.35).
 * Sequences among `children` are flattened into this one; names must be unique across the
 * flattened list. No children: an augmenter with no stages.
 */
export function compose(children: readonly Augmenter[], options: { name?: string } = {}): Augmenter {
  const flat = children.flatMap(
    (child) => (child as { [SEQUENCE_CHILDREN]?: readonly Augmenter[] })[SEQUENCE_CHILDREN] ?? [child],
  );
  const withTransform = flat.filter((child) => child.transform);
  const withLosses = flat.filter((child) => child.losses);
  const sequence = combinator(options.name ?? 'compose', flat, {
    ...(withTransform.length > 0
      ? {
          transform: (batch, ctx) => {
            checkTargets(sequence, batch);
            return withTransform.reduce(
              (current, child) => child.transform!(current, childContext(ctx, child)),
              batch,
            );
          },
        }
      : {}),
    ...(withLosses.length > 0
      ? {
          losses: (batch, ctx) => {
            checkTargets(sequence, batch);
            return combineLossStages(
              withLosses.map((child) => child.losses!(batch, childContext(ctx, child))),
            );
          },
        }
      : {}),
  });
  return Object.defineProperty(sequence, SEQUENCE_CHILDREN, { value: flat });
}

/** All terms of `stages`, with the product of their clean weights and all their learned inputs. */
export function combineLossStages(stages: readonly LossStage[]): LossStage {
  const learning = stages.flatMap((stage) => (stage.learned ? [stage.learned] : []));
  return {
    cleanWeight: stages.reduce((weight, stage) => weight * (stage.cleanWeight ?? 1), 1),
    terms: () => stages.flatMap((stage) => stage.terms()),
    ...(learning.length > 0
      ? {
          learned: {
            tensors: learning.flatMap((learned) => learned.tensors),
            // Each stage gets back the slice of gradients of its own tensors.
            learn(gradients) {
              let offset = 0;
              for (const learned of learning) {
                learned.learn(gradients.slice(offset, offset + learned.tensors.length));
                offset += learned.tensors.length;
              }
            },
          },
        }
      : {}),
  };
}

function checkUniqueNames(children: readonly Augmenter[], where: string): void {
  const seen = new Set<string>();
  for (const child of children) {
    check(
      !seen.has(child.name),
      `${where} has two augmenters named "${child.name}", which would share one random stream and one saved state`,
      'give each a unique `name` option',
    );
    seen.add(child.name);
  }
}

function loadChildStates(where: string, stateful: readonly Augmenter[], state: unknown): void {
  const fix = 'resume with the augmenters the run was started with, or start it again in a new folder';
  if (state === null || typeof state !== 'object' || Array.isArray(state)) {
    throw new PerturbError(
      `the saved state of ${where} is ${JSON.stringify(state) ?? 'missing'}, not one entry per augmenter`,
      fix,
    );
  }
  const saved = state as Record<string, unknown>;
  const names = stateful.map((child) => child.name);
  const unknown = Object.keys(saved).find((key) => !names.includes(key));
  if (unknown !== undefined) {
    throw new PerturbError(
      `the saved state of ${where} has an entry "${unknown}", but no augmenter there has that name and state`,
      fix,
    );
  }
  const missing = names.find((key) => !(key in saved));
  if (missing !== undefined) {
    throw new PerturbError(`the saved state of ${where} has no entry for augmenter "${missing}"`, fix);
  }
  for (const child of stateful) child.loadState?.(saved[child.name]);
}
