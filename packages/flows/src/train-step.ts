/** One maximum-likelihood training step of a Glow. */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError } from '@perturb/core';
import type { Rng } from '@perturb/core';
import { createOptimizer, globalNorm, type Optimizer } from '@perturb/optim';
import type { Glow } from './glow';
import type { TrainingNoise } from './training-noise';

/** The update rules a flow trains with (Glow's paper and flow-lp's CIFAR recipe use Adamax). */
export type OptimizerKind = 'adam' | 'adamax';

/**
 * The optimizer for a flow's parameters: `@perturb/optim`'s Adam or Adamax in its flat layout,
 * since a Glow has hundreds of small parameters and every one gets a gradient each step.
 */
export function createFlowOptimizer(
  model: Glow,
  options: { kind?: OptimizerKind; weightDecay?: number } = {},
): Optimizer {
  return createOptimizer(
    { name: options.kind ?? 'adam', weightDecay: options.weightDecay ?? 0 },
    model.namedParameters(),
    { layout: 'flat' },
  );
}

/** Options of `flowTrainingStep`. */
export interface FlowStepOptions {
  /** Learning rate of this step. */
  lr: number;
  /** Draws the training noise. */
  rng: Rng;
  /**
   * The noise x is trained on (see `Glow.bitsPerDim`). Default `{ kind: 'uniform' }`, uniform
   * dequantization.
   */
  noise?: TrainingNoise;
  /** Rescale gradients whose global L2 norm exceeds this; `Infinity` for none. Default `Infinity`. */
  gradClipNorm?: number;
  /** The condition (one-hot labels or embeddings), for a conditional model. */
  condition?: tf.Tensor2D;
}

/** What one step measured (before the update). */
export interface FlowStepResult {
  /** The loss: bits/dim of the noised batch (a bound on its bits/dim only with uniform noise). */
  bitsPerDim: number;
  /** Global gradient L2 norm before clipping. */
  gradNorm: number;
}

/**
 * Computes the bits/dim loss of `x` (images in [0, 1], noised as `options.noise` says) and its gradients, clips them by global
 * norm, and applies `optimizer`. Throws a `PerturbError` without updating when the loss or the
 * gradients are NaN or infinite. One device-to-host read per step (loss and norm together).
 */
export function flowTrainingStep(
  model: Glow,
  optimizer: Optimizer,
  x: tf.Tensor4D,
  options: FlowStepOptions,
): FlowStepResult {
  const { value, grads } = tf.variableGrads(
    () => model.bitsPerDim(x, { rng: options.rng, noise: options.noise, condition: options.condition }),
    model.parameters() as tf.Variable[],
  );
  try {
    const measured = tf.tidy(() => tf.stack([value, globalNorm(Object.values(grads))]).dataSync());
    const [bitsPerDim, gradNorm] = [measured[0], measured[1]];
    if (!Number.isFinite(bitsPerDim) || !Number.isFinite(gradNorm)) {
      throw new PerturbError(
        `the flow's training loss became ${Number.isFinite(bitsPerDim) ? `finite (${bitsPerDim}) but its gradient norm ${gradNorm}` : bitsPerDim} at optimizer step ${optimizer.steps + 1}`,
        'lower the learning rate, lengthen the warm-up or lower gradClipNorm, and check that the images are finite values in [0, 1]',
      );
    }
    const clip = options.gradClipNorm ?? Infinity;
    optimizer.step(grads, { lr: options.lr, gradientScale: gradNorm > clip ? clip / (gradNorm + 1e-6) : 1 });
    return { bitsPerDim, gradNorm };
  } finally {
    tf.dispose([value, ...Object.values(grads)]);
  }
}
