import * as tf from '@tensorflow/tfjs-core';
import { type Classifier, PerturbError, type Rng } from '@perturb/core';
import { crossEntropy } from '@perturb/core';
import { type AttackSettings, type FeatureAttackOptions, resolveAttack } from './options';

/** Step size and step count of A-FAN's classification setting (ResNet-56, CIFAR-10). */
export const AFAN_ATTACK_DEFAULTS = { stepSize: 0.5 / 255, steps: 5 } as const;

/**
 * PGD on a feature perturbation: δ maximizes CE(tail(f + δ, site), labels) by sign steps of
 * size γ, each followed by clipping to [−ε, ε] when ε is finite. Gradients are taken over δ
 * only (`tf.grad`); the model's parameters are never changed, but in `bnMode: 'train'` its
 * BatchNorm running statistics move. Call it outside any gradient scope.
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
  return runFeaturePgd(
    model,
    site,
    features,
    labels,
    resolveAttack(options, AFAN_ATTACK_DEFAULTS, 'featurePgd'),
    rng,
  );
}

/** {@link featurePgd} with validated settings. */
export function runFeaturePgd(
  model: Classifier,
  site: string,
  features: tf.Tensor4D,
  labels: tf.Tensor2D,
  attack: AttackSettings,
  rng: Rng | undefined,
): tf.Tensor4D {
  const { stepSize, steps, epsilon, training } = attack;
  const gradientAt = tf.grad((delta) =>
    crossEntropy(model.tail(tf.add(features, delta) as tf.Tensor4D, site, { training }), labels),
  );
  let delta = initialDelta(features, attack.randomInit, epsilon, rng);
  for (let step = 0; step < steps; step++) {
    const previous = delta;
    // One tidy per step keeps a long attack's memory flat, whatever scope the caller runs in.
    delta = tf.tidy(() =>
      clipToBall(tf.add(previous, tf.mul(tf.sign(gradientAt(previous)), stepSize)), epsilon),
    );
    previous.dispose();
  }
  return delta;
}

function initialDelta(
  features: tf.Tensor4D,
  randomInit: boolean,
  epsilon: number,
  rng: Rng | undefined,
): tf.Tensor4D {
  if (!randomInit) return tf.zerosLike(features);
  if (!rng) {
    throw new PerturbError('featurePgd randomInit needs a seeded Rng', 'pass an Rng as the last argument');
  }
  return rng.uniformTensor(features.shape, -epsilon, epsilon) as tf.Tensor4D;
}

function clipToBall(delta: tf.Tensor, epsilon: number): tf.Tensor4D {
  return (Number.isFinite(epsilon) ? tf.clipByValue(delta, -epsilon, epsilon) : delta) as tf.Tensor4D;
}
