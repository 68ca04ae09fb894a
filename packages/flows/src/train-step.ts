/** One maximum-likelihood training step of a Glow. */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError } from '@perturb/core';
import type { Rng } from '@perturb/core';
import type { Glow } from './glow';
import type { FlowOptimizer } from './optimizer';

/** Options of `flowTrainingStep`. */
export interface FlowStepOptions {
  /** Learning rate of this step. */
  lr: number;
  /** Draws the dequantization noise. */
  rng: Rng;
  /** Rescale gradients whose global L2 norm exceeds this; `Infinity` for none. Default `Infinity`. */
  gradClipNorm?: number;
  /** One-hot labels, for a class-conditional model. */
  labels?: tf.Tensor2D;
}

/** What one step measured (before the update). */
export interface FlowStepResult {
  bitsPerDim: number;
  /** Global gradient L2 norm before clipping. */
  gradNorm: number;
}

/**
 * Computes the bits/dim loss of `x` (images in [0, 1]) and its gradients, clips them by global
 * norm, and applies `optimizer`. Throws a `PerturbError` without updating when the loss or the
 * gradients are NaN or infinite. One device-to-host read per step (loss and norm together).
 */
export function flowTrainingStep(
  model: Glow,
  optimizer: FlowOptimizer,
  x: tf.Tensor4D,
  options: FlowStepOptions,
): FlowStepResult {
  const named = model.namedParameters();
  const byVariableName = new Map(named.map(([name, v]) => [v.name, name]));
  const { value, grads } = tf.variableGrads(
    () => model.bitsPerDim(x, { rng: options.rng, labels: options.labels }),
    named.map(([, v]) => v),
  );
  const gradients: Record<string, tf.Tensor> = {};
  for (const [variableName, g] of Object.entries(grads)) gradients[byVariableName.get(variableName)!] = g;
  const flat = optimizer.flatten(gradients);
  try {
    const measured = tf.tidy(() => tf.stack([value, tf.sqrt(tf.sum(tf.square(flat)))]).dataSync());
    const [bitsPerDim, gradNorm] = [measured[0], measured[1]];
    if (!Number.isFinite(bitsPerDim) || !Number.isFinite(gradNorm)) {
      throw new PerturbError(
        `the flow's training loss became ${Number.isFinite(bitsPerDim) ? `finite (${bitsPerDim}) but its gradient norm ${gradNorm}` : bitsPerDim} at optimizer step ${optimizer.step + 1}`,
        'lower the learning rate, lengthen the warm-up or lower gradClipNorm, and check that the images are finite values in [0, 1]',
      );
    }
    const clip = options.gradClipNorm ?? Infinity;
    optimizer.applyFlat(flat, options.lr, gradNorm > clip ? clip / (gradNorm + 1e-6) : 1);
    return { bitsPerDim, gradNorm };
  } finally {
    tf.dispose([value, flat, ...Object.values(grads)]);
  }
}
