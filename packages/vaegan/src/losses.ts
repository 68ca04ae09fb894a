/** The loss terms of a VAE-GAN, each averaged over the batch. */
import * as tf from '@tensorflow/tfjs-core';

/**
 * How `reconstructionError` compares an image with its reconstruction: `'absolute'` (L1, Stutz
 * et al.'s `-absolute_error`, which every one of their experiments sets) or `'squared'` (L2).
 */
export type ReconstructionKind = 'absolute' | 'squared';

/** Absolute (default) or squared error summed over each image's pixels, mean over the batch. */
export function reconstructionError(
  x: tf.Tensor4D,
  reconstruction: tf.Tensor4D,
  kind: ReconstructionKind = 'absolute',
): tf.Scalar {
  const difference = tf.sub(x, reconstruction);
  const perPixel = kind === 'absolute' ? tf.abs(difference) : tf.square(difference);
  return tf.mean(tf.sum(perPixel, [1, 2, 3]));
}

/** KL(q(z|x) ‖ N(0, I)) for a diagonal Gaussian, summed over the code, mean over the batch. */
export function klDivergence(mean: tf.Tensor2D, logVar: tf.Tensor2D): tf.Scalar {
  const perDimension = tf.sub(tf.add(tf.square(mean), tf.exp(logVar)), tf.add(logVar, 1));
  return tf.mul(tf.mean(tf.sum(perDimension, 1)), 0.5);
}

/**
 * Binary cross-entropy of discriminator logits against one target for the whole batch:
 * −log σ(l) = softplus(−l) for "real", −log(1 − σ(l)) = softplus(l) for "fake".
 */
export function ganLoss(logits: tf.Tensor1D, target: 'real' | 'fake'): tf.Scalar {
  return tf.mean(tf.softplus(target === 'real' ? tf.neg(logits) : logits));
}
