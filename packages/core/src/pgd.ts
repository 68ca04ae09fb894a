/**
 * The one projected-gradient-ascent loop of perturb. Pixel PGD, LA-Glow's latent PGD and A-FAN's
 * feature PGD are settings of it: what the perturbation spans (an image batch, a flow's latents
 * at every level, features at a site), how the classifier is reached from it, and an optional
 * constraint after each projection (images stay in [0, 1]).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ascentDirection, projectToBall, type ThreatNorm } from './adversarial';
import { PerturbError } from './errors';
import { z } from './options';
import { type Presets, presetField } from './presets';
import type { Batch, ForwardOptions, Model, ModelOutput } from './plugin';
import type { Rng } from './rng';
import { batchTensors, taskOf } from './task';

/** How the loop steps. */
export interface PgdSteps {
  /** `'linf'`: sign steps and a box; `'l2'`: per-sample unit steps and a ball. */
  norm: ThreatNorm;
  /** Radius ε of the ball; `Infinity` for no projection (A-FAN's unclipped feature attack). */
  epsilon: number;
  /** Step size α. */
  stepSize: number;
  /** Gradient steps. */
  steps: number;
  /** Start from δ ~ U(−ε, ε)ⁿ projected onto the ball, instead of δ = 0. Needs a finite ε. */
  randomStart: boolean;
}

/** Whom the attack is against: the labels it ascends cross-entropy on, and the classifier's mode. */
export interface AttackMode {
  /**
   * `'predicted'`: the classifier's own argmax predictions (no label leaking, as LA-Glow's code
   * does); `'true'`: the batch's labels (what "accuracy under attack" means).
   */
  labels: 'predicted' | 'true';
  /**
   * `'train'`: BatchNorm uses batch statistics and its running averages move (what the official
   * training code does); `'eval'`: running statistics, untouched.
   */
  bnMode: 'train' | 'eval';
}

/** Every setting of a PGD attack on a classifier. */
export type PgdSettings = PgdSteps & AttackMode;

/** What a PGD attack perturbs and how the classifier sees it. */
export interface PgdTarget {
  /**
   * One tensor per part of the perturbation (shapes only), or, with `around`, the unperturbed
   * parts themselves. Each sample's norm is taken over all parts jointly.
   */
  parts: readonly tf.Tensor[];
  /**
   * `'origin'`: the loop searches δ in the ε-ball around 0 and `logits` receives δ (latent and
   * feature PGD). `'parts'`: it searches the perturbed point x' = x + δ in the ε-ball around
   * `parts` and `logits` receives x' (pixel PGD), so no x + (x' − x) round-off enters.
   */
  around: 'origin' | 'parts';
  /** The model's logits at the perturbation (δ or x', per `around`). */
  logits(values: tf.Tensor[], options: ForwardOptions): ModelOutput;
  /** Applied after each projection, e.g. clamping images to [0, 1]. Default none. */
  constrain?(values: tf.Tensor[]): tf.Tensor[];
}

/**
 * PGD against `model` on `batch`: maximizes the loss of the model's task (cross-entropy for
 * classifiers, per-pixel cross-entropy for dense models) of `target.logits` against the targets
 * `settings.labels` names, with the classifier in `settings.bnMode`, taking `steps`
 * ascent steps of size α along sign(∇) (L∞) or ∇/‖∇‖₂ (L2), each followed by the projection onto
 * the ε-ball and `constrain`. Only the perturbation is differentiated (`tf.grads`), so call it
 * outside any gradient scope; the model's parameters never change (in `'train'` mode its
 * BatchNorm statistics move). The random start comes from `rng`, one draw per part in order;
 * each forward pass of the ascent gets the attacked batch as its targets and `rng`'s child
 * `forward` as its stream (what a detector samples its anchors and RoIs with). The one pass that
 * predicts the targets (`labels: 'predicted'`) sees the images alone: with no targets there is
 * nothing to sample against.
 *
 * @returns the perturbation found (δ, or x' with `around: 'parts'`), one tensor per part; the
 *   caller owns them.
 */
export function classifierPgd(
  model: Model,
  batch: AttackedBatch,
  settings: PgdSettings,
  target: PgdTarget,
  rng?: Rng,
): tf.Tensor[] {
  const training = settings.bnMode === 'train';
  const task = taskOf(model);
  const attacked = settings.labels === 'true' ? (batch as Batch) : predictedTargets(model, batch, training);
  const forward: ForwardOptions = { training, targets: attacked, rng: rng?.child('forward') };
  try {
    return pgd(
      { ...target, loss: (values) => task.loss(target.logits(values, forward), attacked) },
      settings,
      rng,
    );
  } finally {
    if (attacked !== batch) tf.dispose(batchTensors(attacked).filter((t) => t !== attacked.x));
  }
}

/** The targets an attack may use, and the images, which only `labels: 'predicted'` needs. */
export type AttackedBatch = Omit<Batch, 'x'> & Partial<Pick<Batch, 'x'>>;

/** The batch with the model's own predictions as its targets. */
function predictedTargets(model: Model, batch: AttackedBatch, training: boolean): Batch {
  const x = imagesOf(batch);
  return tf.tidy(() => taskOf(model).predictedTargets(model.logits(x, { training }), { ...batch, x }));
}

function imagesOf(batch: AttackedBatch): tf.Tensor4D {
  if (!batch.x) {
    throw new PerturbError(
      "labels: 'predicted' needs the batch's images to predict from",
      "pass the batch's x, or attack the true labels",
    );
  }
  return batch.x;
}

/** The loop behind {@link classifierPgd}, for any scalar loss of the perturbation. */
export function pgd(
  problem: Omit<PgdTarget, 'logits'> & { loss(values: tf.Tensor[]): tf.Scalar },
  settings: PgdSteps,
  rng?: Rng,
): tf.Tensor[] {
  const { norm, epsilon, stepSize, steps, randomStart } = settings;
  const { parts, constrain = (values: tf.Tensor[]) => values } = problem;
  const startRng = randomStart ? randomStartRng(epsilon, rng) : undefined;
  const project = (deltas: tf.Tensor[]) =>
    Number.isFinite(epsilon) ? projectToBall(deltas, norm, epsilon) : deltas;
  // δ ↦ the loop's variable: δ itself, or x + δ when the ball is around the parts.
  const place = (deltas: tf.Tensor[]) =>
    problem.around === 'parts' ? deltas.map((d, i) => tf.add(parts[i], d)) : deltas;
  const offset = (values: tf.Tensor[]) =>
    problem.around === 'parts' ? values.map((v, i) => tf.sub(v, parts[i])) : values;
  const gradients = tf.grads((...values: tf.Tensor[]) => problem.loss(values));

  let values = tf.tidy(() =>
    constrain(
      place(
        startRng
          ? project(parts.map((p) => startRng.uniformTensor(p.shape, -epsilon, epsilon)))
          : parts.map((p) => tf.zerosLike(p)),
      ),
    ),
  );
  for (let step = 0; step < steps; step++) {
    const previous = values;
    // One tidy per step keeps a long attack's memory flat, whatever scope the caller runs in.
    values = tf.tidy(() => {
      const direction = ascentDirection(gradients(previous), norm);
      const moved = previous.map((v, i) => tf.add(v, tf.mul(direction[i], stepSize)));
      return constrain(place(project(offset(moved))));
    });
    tf.dispose(previous);
  }
  return values;
}

/** The stream a random start draws from, after checking it can draw. */
function randomStartRng(epsilon: number, rng: Rng | undefined): Rng {
  if (!Number.isFinite(epsilon)) {
    throw new PerturbError(
      'a random start needs a finite epsilon to draw δ ~ U(−ε, ε) from',
      'set epsilon, or turn the random start off',
    );
  }
  if (!rng) throw new PerturbError('a random start needs a seeded Rng', 'pass an Rng to draw it from');
  return rng;
}

/**
 * LA-Glow's official attack (flow-lp `pert/pgd.yaml`), the defaults of the PGD augmenters: L∞,
 * ε = α = 0.05, one step, random start, predicted labels, BatchNorm in training mode.
 */
export const LA_GLOW_PGD = {
  norm: 'linf',
  epsilon: 0.05,
  stepSize: 0.05,
  steps: 1,
  randomStart: true,
  labels: 'predicted',
  bnMode: 'train',
} as const satisfies PgdSettings;

/**
 * The zod fields every PGD augmenter's options have: its `name`, a `preset` from `presets` (wrap
 * the object in {@link withPresets}) and the PGD settings with `defaults`. Spread them into the
 * augmenter's `z.strictObject`.
 */
export function pgdAugmenterShape<P extends Presets>(
  name: string,
  presets: P,
  defaults: PgdSettings = LA_GLOW_PGD,
) {
  return {
    /** Unique within a pipeline; names the augmenter's `Rng` stream there. */
    name: z.string().min(1).default(name),
    /** Start values from the augmenter's presets; the other options override them. */
    preset: presetField(presets),
    /** Threat model: `'linf'` (sign steps, box) or `'l2'` (per-sample unit steps, ball). */
    norm: z.enum(['linf', 'l2']).default(defaults.norm),
    /** Radius ε of the ball the perturbation stays in. */
    epsilon: z.number().min(0).default(defaults.epsilon),
    /** Step size α. */
    stepSize: z.number().min(0).default(defaults.stepSize),
    /** Gradient steps. */
    steps: z.int().min(0).default(defaults.steps),
    /** Start from δ ~ U(−ε, ε) (projected for L2) instead of 0. */
    randomStart: z.boolean().default(defaults.randomStart),
    /** Labels the attack ascends cross-entropy on: the classifier's own predictions, or the batch's. */
    labels: z.enum(['predicted', 'true']).default(defaults.labels),
    /** Classifier mode during the attack, the label prediction included. */
    bnMode: z.enum(['train', 'eval']).default(defaults.bnMode),
  };
}

/**
 * The options of every PGD attack on the classifier being trained (pixel PGD, LA-Glow's latent
 * PGD), as a caller writes them: every field optional.
 */
export type PgdOptions = Partial<PgdSettings>;
