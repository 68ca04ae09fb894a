/**
 * The pieces every gradient attack in perturb shares (pixel PGD, latent PGD through a flow,
 * feature PGD in A-FAN, on-manifold attacks): the loss, the labels attacked, and the geometry of
 * the threat model. A perturbation may span several tensors (a flow's latents at every level);
 * norms are then taken per sample over all of them jointly.
 */
import * as tf from '@tensorflow/tfjs-core';

/** `'linf'`: sign steps and a box; `'l2'`: unit-norm steps and a ball. */
export type ThreatNorm = 'linf' | 'l2';

/** Mean cross-entropy of `logits` against class probabilities `y` (one-hot or soft). */
export function crossEntropy(logits: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

/** Below this norm a vector counts as zero, so normalizing it gives zero instead of NaN. */
const TINY_NORM = 1e-12;

/** Each sample's L2 norm over all `parts` jointly, shaped [N, 1] for broadcasting after a reshape. */
function jointNorms(parts: readonly tf.Tensor[]): tf.Tensor2D {
  const squares = parts.map((p) => tf.sum(tf.square(tf.reshape(p, [p.shape[0], -1])), 1, true));
  return tf.sqrt(squares.length === 1 ? squares[0] : tf.addN(squares)) as tf.Tensor2D;
}

/** Multiplies every sample of every part by its factor from `factors` [N, 1]. */
function scaleSamples(parts: readonly tf.Tensor[], factors: tf.Tensor2D): tf.Tensor[] {
  return parts.map((p) => tf.mul(p, tf.reshape(factors, [p.shape[0], ...p.shape.slice(1).map(() => 1)])));
}

/** The ascent direction of a gradient: sign(g) for L∞, g/‖g‖₂ per sample for L2 (0 stays 0). */
export function ascentDirection<T extends tf.Tensor>(grads: readonly T[], norm: ThreatNorm): T[] {
  if (norm === 'linf') return grads.map((g) => tf.sign(g));
  return scaleSamples(grads, tf.div(1, tf.maximum(jointNorms(grads), TINY_NORM))) as T[];
}

/** Projects `deltas` onto the ε-ball of `norm`: clipping for L∞, shrinking per sample for L2. */
export function projectToBall<T extends tf.Tensor>(
  deltas: readonly T[],
  norm: ThreatNorm,
  epsilon: number,
): T[] {
  if (norm === 'linf') return deltas.map((d) => tf.clipByValue(d, -epsilon, epsilon));
  return scaleSamples(
    deltas,
    tf.minimum(1, tf.div(epsilon, tf.maximum(jointNorms(deltas), TINY_NORM))),
  ) as T[];
}

/** Each sample's norm of `deltas` (jointly over all parts), [N]: the L∞ or L2 size of a perturbation. */
export function perturbationNorms(deltas: readonly tf.Tensor[], norm: ThreatNorm): tf.Tensor1D {
  return tf.tidy(() => {
    if (norm === 'l2') return tf.reshape(jointNorms(deltas), [-1]) as tf.Tensor1D;
    const maxima = deltas.map((d) => tf.max(tf.abs(tf.reshape(d, [d.shape[0], -1])), 1));
    return (maxima.length === 1 ? maxima[0] : tf.max(tf.stack(maxima, 1), 1)) as tf.Tensor1D;
  });
}
