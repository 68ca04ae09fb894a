/**
 * A-FN, adversarial feature normalization: the clean features keep their shape per position
 * but take the adversarial features' first and second moments, positional normalization
 * (PONO) style — per sample and spatial position, over the channels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError } from '@perturb/core';

/** Added to the variance before the square root, as the official code does. */
const VARIANCE_EPSILON = 1e-5;

/**
 * Mean and standard deviation over the channels of NHWC features, per sample and spatial
 * position, shaped `[N, H, W, 1]`. The variance is the unbiased estimate (PyTorch's `var`, as
 * in the official code) and σ = sqrt(var + 1e-5).
 */
export function channelMoments(features: tf.Tensor4D): { mean: tf.Tensor4D; std: tf.Tensor4D } {
  const channels = features.shape[3];
  if (channels < 2) {
    throw new PerturbError(
      `channel moments need at least 2 channels, the features have ${channels}`,
      'apply adversarial feature normalization at a site with more channels',
    );
  }
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(features, 3, true);
    const unbiased = tf.mul(variance, channels / (channels - 1));
    return { mean: mean as tf.Tensor4D, std: tf.sqrt(tf.add(unbiased, VARIANCE_EPSILON)) as tf.Tensor4D };
  });
}

/**
 * f_mix = σ_adv·(f − μ)/σ + μ_adv: the clean features `clean`, normalized per sample and
 * position over channels, re-scaled and re-shifted with the moments of `adversarial`.
 * Differentiable with respect to both inputs.
 */
export function adversarialFeatureNormalization(clean: tf.Tensor4D, adversarial: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const cleanMoments = channelMoments(clean);
    const adversarialMoments = channelMoments(adversarial);
    const normalized = tf.div(tf.sub(clean, cleanMoments.mean), cleanMoments.std);
    return tf.add(tf.mul(normalized, adversarialMoments.std), adversarialMoments.mean) as tf.Tensor4D;
  });
}
