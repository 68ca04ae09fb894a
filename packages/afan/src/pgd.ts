import * as tf from '@tensorflow/tfjs-core';
import {
  type AttackedBatch,
  type Classifier,
  type Model,
  type PgdSettings,
  type Rng,
  classifierPgd,
  parseOptions,
} from '@perturb/core';
import { type FeatureAttackOptions, featureAttackSchema, featurePgdSettings } from './options';

/** Step size and step count of A-FAN's classification setting (ResNet-56, CIFAR-10). */
export const AFAN_ATTACK_DEFAULTS = { stepSize: 0.5 / 255, steps: 5 } as const;

/**
 * PGD on a feature perturbation: δ maximizes CE(tail(f + δ, site), labels) by sign steps of
 * size γ, each followed by clipping to [−ε, ε] when ε is set (core's PGD loop, L∞, true
 * labels). Gradients are taken over δ only; the model's parameters are never changed, but in
 * `bnMode: 'train'` its BatchNorm running statistics move. Call it outside any gradient scope.
 *
 * @param features f = `model.head(x, site)`.
 * @param options defaults as A-FAN's classification setting: γ = 0.5/255, 5 steps, no clipping,
 *   no random init, BatchNorm in training mode.
 * @param rng draws the random init; needed only with `randomInit`.
 * @returns δ, shaped like `features`.
 */
export function featurePgd(
  model: Classifier,
  site: string,
  features: tf.Tensor4D,
  labels: tf.Tensor2D,
  options: FeatureAttackOptions = {},
  rng?: Rng,
): tf.Tensor4D {
  const attack = parseOptions(featureAttackSchema(AFAN_ATTACK_DEFAULTS), options, 'featurePgd options');
  return runFeaturePgd(model, site, features, { y: labels }, featurePgdSettings(attack), rng);
}

/**
 * {@link featurePgd} with checked settings, against the targets of any model's task (class
 * labels, or a dense batch's label map).
 */
export function runFeaturePgd(
  model: Model,
  site: string,
  features: tf.Tensor4D,
  targets: AttackedBatch,
  attack: PgdSettings,
  rng: Rng | undefined,
): tf.Tensor4D {
  const [delta] = classifierPgd(
    model,
    targets,
    attack,
    {
      parts: [features],
      around: 'origin',
      logits: ([d], options) => model.tail(tf.add(features, d) as tf.Tensor4D, site, options),
    },
    rng,
  );
  return delta as tf.Tensor4D;
}
